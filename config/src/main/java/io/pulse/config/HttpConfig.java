package io.pulse.config;

import java.net.URI;
import java.time.Duration;

/**
 * The REST server: where it listens; the public root URL clients use (its host, port and path are what Hawk signatures
 * are checked against; {@code null}: taken from the request); the proxies whose {@code X-Forwarded-*} headers are
 * believed; how long a connection may stay idle, and how long a client may take to send a request's headers; how many
 * first claims and revocations one caller may make per second (0: no limit), after a burst of up to
 * {@code rateLimitBurst}.
 */
public record HttpConfig(String host, int port, URI rootUrl, TrustedProxies trustedProxies, Duration idleTimeout,
    Duration headerTimeout, int firstClaimsPerSecond, int revocationsPerSecond, int rateLimitBurst) {

  static HttpConfig read(Values v) {
    return new HttpConfig(v.text("PULSE_HTTP_HOST"), v.integer("PULSE_HTTP_PORT", 0, 65535),
        v.rootUrl("PULSE_ROOT_URL"), TrustedProxies.parse(v.text("PULSE_TRUSTED_PROXIES")),
        v.atLeast("PULSE_HTTP_IDLE_TIMEOUT", Duration.ofSeconds(1)),
        v.atLeast("PULSE_HTTP_HEADER_TIMEOUT", Duration.ofMillis(100)),
        v.integer("PULSE_FIRST_CLAIMS_PER_SECOND", 0, 1_000_000),
        v.integer("PULSE_REVOCATIONS_PER_SECOND", 0, 1_000_000),
        v.integer("PULSE_RATE_LIMIT_BURST", 1, 1_000_000));
  }
}
