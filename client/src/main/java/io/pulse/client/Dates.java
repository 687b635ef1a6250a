package io.pulse.client;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The service writes dates as Taskcluster does: ISO 8601 in UTC with milliseconds. */
public final class Dates {

  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Dates() {
  }

  public static String iso(Instant instant) {
    return ISO_MILLIS.format(instant);
  }
}
