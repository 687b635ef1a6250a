package io.pulse.api.impl;

import io.pulse.config.Names;
import io.pulse.config.PulseConfig;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/** RabbitMQ user names, passwords, permissions and connection strings of namespaces. */
final class Credentials {

  /** 32 random bytes: 256 bits of entropy, URL-safe so the connection string stays readable. */
  private static final int PASSWORD_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PulseConfig config;

  Credentials(PulseConfig config) {
    this.config = config;
  }

  static String newPassword() {
    byte[] bytes = new byte[PASSWORD_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** {@code <PULSE_USERNAME_PREFIX><namespace>-<1|2>}. */
  String username(String namespace, int user) {
    return config.usernamePrefix() + namespace + "-" + user;
  }

  /** The permission templates with {@code {ns}} replaced by the regex-escaped namespace. */
  JsonObject permissions(String namespace) {
    String ns = Names.escapeRegex(namespace);
    return new JsonObject()
        .put("configure", config.permissionConfigure().replace("{ns}", ns))
        .put("write", config.permissionWrite().replace("{ns}", ns))
        .put("read", config.permissionRead().replace("{ns}", ns));
  }

  /** PULSE_AMQP_URL with the URL-encoded user and password inserted. A secret: never log it. */
  String connectionString(String user, String password) {
    URI amqp = config.amqpUrl();
    String authority = amqp.getRawAuthority();
    String rest = amqp.toString().substring(amqp.getScheme().length() + 3 + authority.length());
    return amqp.getScheme() + "://" + encode(user) + ":" + encode(password) + "@" + authority + rest;
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
