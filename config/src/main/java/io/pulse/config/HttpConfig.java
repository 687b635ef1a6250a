package io.pulse.config;

import java.net.URI;

/**
 * The REST server: where it listens, and the public root URL clients use (its host, port and path are what Hawk
 * signatures are checked against; {@code null}: taken from the request).
 */
public record HttpConfig(String host, int port, URI rootUrl) {

  static HttpConfig read(Values v) {
    return new HttpConfig(v.text("PULSE_HTTP_HOST"), v.integer("PULSE_HTTP_PORT", 0, 65535), v.rootUrl("PULSE_ROOT_URL"));
  }
}
