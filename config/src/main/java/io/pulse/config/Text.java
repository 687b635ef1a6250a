package io.pulse.config;

/** Text chosen by callers, made safe to echo in a message or a log line. */
public final class Text {

  private static final int ECHO_LIMIT = 80;
  private static final int LOG_LIMIT = 200;

  private Text() {
  }

  /** A short, one-line echo of caller input for error messages: control characters become {@code ?}. */
  public static String printable(String text) {
    if (text == null) {
      return "";
    }
    int end = Math.min(text.length(), ECHO_LIMIT);
    StringBuilder out = new StringBuilder(end + 3);
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return text.length() > ECHO_LIMIT ? out.append("...").toString() : out.toString();
  }

  /**
   * Caller-chosen text (a clientId, a token's subject, a path) as it may go into a log line: control characters
   * escaped, so nobody can forge a line with {@code \n}; at most {@value #LOG_LIMIT} characters.
   */
  public static String loggable(String text) {
    if (text == null) {
      return "null";
    }
    int end = Math.min(text.length(), LOG_LIMIT);
    StringBuilder out = new StringBuilder(end + 8);
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        out.append("\\\\");
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return text.length() > LOG_LIMIT ? out.append("...").toString() : out.toString();
  }
}
