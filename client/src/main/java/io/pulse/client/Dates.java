package io.pulse.client;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The service writes dates as Taskcluster does: ISO 8601 in UTC with milliseconds. Writing and reading the common
 * form ({@code 2030-01-01T00:00:00.000Z}) is done by hand: java.time's formatter and parser were a seventh of a
 * renewal's CPU (three dates per claim). Everything else goes through java.time, so what is accepted is unchanged.
 */
public final class Dates {

  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final int SECONDS_PER_DAY = 86_400;

  private Dates() {
  }

  /** {@code uuuu-MM-dd'T'HH:mm:ss.SSS'Z'} in UTC; the sub-millisecond part is dropped. */
  public static String iso(Instant instant) {
    long seconds = instant.getEpochSecond();
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
    int year = date.getYear();
    if (year < 0 || year > 9999) {
      return ISO_MILLIS.format(instant);
    }
    int time = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    char[] text = new char[24];
    digits(text, 0, year, 4);
    text[4] = '-';
    digits(text, 5, date.getMonthValue(), 2);
    text[7] = '-';
    digits(text, 8, date.getDayOfMonth(), 2);
    text[10] = 'T';
    digits(text, 11, time / 3600, 2);
    text[13] = ':';
    digits(text, 14, time / 60 % 60, 2);
    text[16] = ':';
    digits(text, 17, time % 60, 2);
    text[19] = '.';
    digits(text, 20, instant.getNano() / 1_000_000, 3);
    text[23] = 'Z';
    return new String(text);
  }

  private static void digits(char[] text, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      text[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /**
   * An ISO 8601 date-time with an offset, as {@link OffsetDateTime#parse(CharSequence)} reads it (a zone or offset is
   * required; fractions of a second optional), as an instant.
   *
   * @throws DateTimeException when the text is not such a date-time
   */
  public static Instant parse(String text) {
    Instant fast = parseUtc(text);
    return fast != null ? fast : OffsetDateTime.parse(text).toInstant();
  }

  /**
   * {@code yyyy-MM-ddTHH:mm:ss[.f...]Z} read by hand, with java.time's strict checks (a month's days, hours below 24),
   * or null for any other form, which the caller leaves to java.time.
   */
  private static Instant parseUtc(String text) {
    int length = text.length();
    if (length < 20 || length > 30 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
        || text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(length - 1) != 'Z') {
      return null;
    }
    int year = number(text, 0, 4);
    int month = number(text, 5, 2);
    int day = number(text, 8, 2);
    int hour = number(text, 11, 2);
    int minute = number(text, 14, 2);
    int second = number(text, 17, 2);
    int nanos = 0;
    if (length > 20) {
      int fraction = length - 21;
      if (text.charAt(19) != '.' || fraction < 1 || fraction > 9) {
        return null;
      }
      nanos = number(text, 20, fraction);
      for (int i = fraction; i < 9; i++) {
        nanos *= 10;
      }
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59 || nanos < 0) {
      return null;
    }
    LocalDate date;
    try {
      date = LocalDate.of(year, month, day);
    } catch (DateTimeException e) {
      return null;
    }
    return Instant.ofEpochSecond(date.toEpochDay() * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second, nanos);
  }

  /** The decimal number of {@code width} ASCII digits at {@code at}, or -1 if any is not a digit. */
  private static int number(String text, int at, int width) {
    int value = 0;
    for (int i = at; i < at + width; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
