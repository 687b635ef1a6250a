package io.pulse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The hand-written date writer and reader against java.time's, which they replace on the common form. */
class DatesTest {

  private static final DateTimeFormatter REFERENCE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Test
  void writesWhatJavaTimeWritesForAnyInstant() {
    Random random = new Random(42);
    List<Instant> edges = List.of(Instant.EPOCH, Instant.ofEpochMilli(-1), Instant.parse("0000-01-01T00:00:00Z"),
        Instant.parse("9999-12-31T23:59:59.999999999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
        Instant.parse("-0001-12-31T23:59:59Z"), Instant.parse("2024-02-29T12:34:56.789Z"));
    for (Instant instant : edges) {
      assertEquals(REFERENCE.format(instant), Dates.iso(instant), instant.toString());
    }
    for (int i = 0; i < 100_000; i++) {
      Instant instant = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 254_000_000_000L),
          random.nextInt(1_000_000_000));
      assertEquals(REFERENCE.format(instant), Dates.iso(instant), instant.toString());
    }
  }

  @Test
  void readsWhatOffsetDateTimeReadsAndRefusesWhatItRefuses() {
    Random random = new Random(7);
    for (int i = 0; i < 100_000; i++) {
      Instant instant = Instant.ofEpochSecond(random.nextLong(0, 253_402_300_799L), random.nextInt(1_000_000_000));
      String text = instant.toString();
      assertEquals(OffsetDateTime.parse(text).toInstant(), Dates.parse(text), text);
      String millis = Dates.iso(instant);
      assertEquals(OffsetDateTime.parse(millis).toInstant(), Dates.parse(millis), millis);
    }
    for (String text : List.of("2030-01-01T00:00:00Z", "2030-01-01T00:00:00.5Z", "2030-01-01T00:00:00.123456789Z",
        "2030-01-01t00:00:00z", "2030-01-01T00:00Z", "2030-01-01T01:00:00+01:00", "2030-01-01T00:00:00.Z",
        "+12030-01-01T00:00:00Z", "2024-02-29T00:00:00Z")) {
      assertEquals(OffsetDateTime.parse(text).toInstant(), Dates.parse(text), text);
    }
    for (String text : List.of("2030-02-30T00:00:00Z", "2030-13-01T00:00:00Z", "2030-01-01T24:00:00Z",
        "2030-01-01T00:60:00Z", "2030-01-01T00:00:60Z", "2030-01-01 00:00:00Z", "2030-01-01T00:00:00",
        "2030-01-01T00:00:00.1234567890Z", "203a-01-01T00:00:00Z", "2030-01-01T00:00:00.12a4Z", "",
        "2023-02-29T00:00:00Z", "2030-1-01T00:00:00Z")) {
      assertThrows(DateTimeException.class, () -> OffsetDateTime.parse(text), text);
      assertThrows(DateTimeException.class, () -> Dates.parse(text), text);
    }
  }
}
