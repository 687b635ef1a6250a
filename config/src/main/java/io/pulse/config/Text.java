package io.pulse.config;

/** Text chosen by callers, made safe to echo in a message or a log line. */
public final class Text {

  private static final int ECHO_LIMIT = 80;

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
}
