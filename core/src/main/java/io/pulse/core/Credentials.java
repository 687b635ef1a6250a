package io.pulse.core;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The connection strings that carry namespace users' passwords. */
final class Credentials {

  /** What comes before the user ({@code amqp://}) and after the password ({@code @host:port/vhost...}). */
  private final String head;
  private final String tail;

  Credentials(URI amqpUrl) {
    String authority = amqpUrl.getRawAuthority();
    this.head = amqpUrl.getScheme() + "://";
    this.tail = "@" + authority + amqpUrl.toString().substring(head.length() + authority.length());
  }

  /** PULSE_AMQP_URL with the URL-encoded user and password inserted. A secret: never log it. */
  String connectionString(String user, String password) {
    return head + encode(user) + ":" + encode(password) + tail;
  }

  /** Percent-encodes all but RFC 3986's unreserved characters (the service's passwords have no others). */
  static String encode(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (!unreserved(text.charAt(i))) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A")
            .replace("%7E", "~");
      }
    }
    return text;
  }

  private static boolean unreserved(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
        || c == '~';
  }
}
