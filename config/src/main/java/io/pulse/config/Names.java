package io.pulse.config;

import java.util.regex.Pattern;

/** The naming rules every module shares: what a namespace is, and how a name goes into a RabbitMQ regex. */
public final class Names {

  /** A namespace: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'. */
  public static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private Names() {
  }

  /** {@code text} with every regex metacharacter escaped, for permission templates and name filters. */
  public static String escapeRegex(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (char c : text.toCharArray()) {
      if ("\\^$.|?*+()[]{}-".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}
