package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void durationAcceptsShortForms() {
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    assertEquals(Duration.ofDays(2), Durations.parse("2d"));
  }

  @Test
  void durationAcceptsIsoFormsInAnyCase() {
    assertEquals(Duration.ofHours(1), Durations.parse("PT1H"));
    assertEquals(Duration.ofMinutes(30), Durations.parse("pt30m"));
    assertEquals(Duration.ofDays(2), Durations.parse("P2D"));
  }

  @Test
  void durationIgnoresSurroundingWhitespace() {
    assertEquals(Duration.ofSeconds(30), Durations.parse("  30s "));
  }

  @Test
  void durationRejectsGarbageNamingTheValue() {
    for (String bad : new String[] {"abc", "-5s", "5x", "", "5"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad),
          "should reject '" + bad + "'");
      assertTrue(e.getMessage().contains("'" + bad + "'"), "message should name '" + bad + "': " + e.getMessage());
    }
  }

  @Test
  void durationRejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse(null));
  }

  @Test
  void durationRejectsOverflowingValueAsIllegalArgument() {
    // Long.MAX_VALUE days do not fit in a Duration: callers (PulseConfig) only catch IllegalArgumentException.
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("9223372036854775807d"));
  }

  @Test
  void formatPicksLargestWholeUnit() {
    assertEquals("2d", Durations.format(Duration.ofDays(2)));
    assertEquals("1h", Durations.format(Duration.ofHours(1)));
    assertEquals("90m", Durations.format(Duration.ofMinutes(90)));
    assertEquals("5m", Durations.format(Duration.ofMinutes(5)));
    assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
    assertEquals("2s", Durations.format(Duration.ofSeconds(2)));
    assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
  }

  @Test
  void formatRoundTripsThroughParse() {
    for (String text : new String[] {"500ms", "30s", "5m", "1h", "2d", "36h"}) {
      assertEquals(text, Durations.format(Durations.parse(text)));
    }
  }
}
