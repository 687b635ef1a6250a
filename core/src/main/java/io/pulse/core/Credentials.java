package io.pulse.core;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/** Passwords of namespace users, and the connection strings that carry them. */
final class Credentials {

  /** 32 random bytes: 256 bits of entropy, URL-safe so the connection string stays readable. */
  private static final int PASSWORD_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final URI amqpUrl;

  Credentials(URI amqpUrl) {
    this.amqpUrl = amqpUrl;
  }

  static String newPassword() {
    byte[] bytes = new byte[PASSWORD_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** PULSE_AMQP_URL with the URL-encoded user and password inserted. A secret: never log it. */
  String connectionString(String user, String password) {
    String authority = amqpUrl.getRawAuthority();
    String rest = amqpUrl.toString().substring(amqpUrl.getScheme().length() + 3 + authority.length());
    return amqpUrl.getScheme() + "://" + encode(user) + ":" + encode(password) + "@" + authority + rest;
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
