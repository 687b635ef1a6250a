package io.pulse.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The REST server: where it listens, and on how many event loops (instances of the REST verticle sharing the port; two
 * per processor by default); the public root URL clients use (its host, port and path are what Hawk signatures
 * are checked against; {@code null}: taken from the request); the proxies whose {@code X-Forwarded-*} headers are
 * believed; how long a connection may stay idle, and how long a client may take to send a request's headers; how many
 * first claims and revocations one caller may make per second (0: no limit), after a burst of up to
 * {@code rateLimitBurst}; HTTPS: the PEM certificate chain and key ({@code null}: plain HTTP), and how often the files
 * are checked for a change.
 */
public record HttpConfig(String host, int port, int instances, URI rootUrl, TrustedProxies trustedProxies,
    Duration idleTimeout, Duration headerTimeout, int firstClaimsPerSecond, int revocationsPerSecond,
    int rateLimitBurst, Path tlsCert, Path tlsKey, Duration tlsReloadInterval) {

  static HttpConfig read(Values v) {
    int instances = v.integer("PULSE_HTTP_INSTANCES", 0, 64);
    return new HttpConfig(v.text("PULSE_HTTP_HOST"), v.integer("PULSE_HTTP_PORT", 0, 65535),
        instances == 0 ? 2 * Runtime.getRuntime().availableProcessors() : instances,
        v.rootUrl("PULSE_ROOT_URL"), TrustedProxies.parse(v.text("PULSE_TRUSTED_PROXIES")),
        v.atLeast("PULSE_HTTP_IDLE_TIMEOUT", Duration.ofSeconds(1)),
        v.atLeast("PULSE_HTTP_HEADER_TIMEOUT", Duration.ofMillis(100)),
        v.integer("PULSE_FIRST_CLAIMS_PER_SECOND", 0, 1_000_000),
        v.integer("PULSE_REVOCATIONS_PER_SECOND", 0, 1_000_000),
        v.integer("PULSE_RATE_LIMIT_BURST", 1, 1_000_000),
        tlsFile(v, "PULSE_TLS_CERT", "PULSE_TLS_KEY"), tlsFile(v, "PULSE_TLS_KEY", "PULSE_TLS_CERT"),
        v.atLeast("PULSE_TLS_RELOAD_INTERVAL", Duration.ofSeconds(1)));
  }

  public boolean tls() {
    return tlsCert != null;
  }

  private static Path tlsFile(Values v, String key, String partner) {
    String value = v.text(key);
    if ((value == null) != (v.text(partner) == null)) {
      throw new ConfigException(value == null ? key : partner, "HTTPS needs both PULSE_TLS_CERT and PULSE_TLS_KEY");
    }
    if (value == null) {
      return null;
    }
    Path path = Path.of(value);
    if (key.equals("PULSE_TLS_CERT")) {
      Pem.certificates(key, path);
    } else {
      Pem.privateKey(key, path);
    }
    return path;
  }
}
