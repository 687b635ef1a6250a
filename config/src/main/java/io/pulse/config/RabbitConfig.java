package io.pulse.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The broker: its management API and the admin credentials the service uses there, the timeout of one management
 * call, and the AMQP URL clients are given (its vhost is where namespaces get their permissions); the PEM CA
 * certificates trusted for {@code https://} and {@code amqps://} ({@code null}: the JVM's trust store).
 */
public record RabbitConfig(URI api, String user, String password, Duration timeout, URI amqpUrl, String vhost,
    Path caFile) {

  static RabbitConfig read(Values v) {
    URI amqp = v.uri("PULSE_AMQP_URL", "amqp", "amqps");
    String ca = v.text("PULSE_RABBIT_CA");
    if (ca != null) {
      Pem.certificates("PULSE_RABBIT_CA", Path.of(ca));
    }
    return new RabbitConfig(v.uri("PULSE_RABBIT_API", "http", "https"), v.text("PULSE_RABBIT_USER"),
        v.text("PULSE_RABBIT_PASSWORD"), v.positive("PULSE_RABBIT_TIMEOUT"), amqp, Values.vhostOf("PULSE_AMQP_URL", amqp),
        ca == null ? null : Path.of(ca));
  }

  /** How long a caller waits for the RabbitMQ admin service before it answers 503: one call's timeout and slack. */
  public long busTimeoutMillis() {
    return 2 * timeout.toMillis() + 1000;
  }

  @Override
  public String toString() {
    return "RabbitConfig[api=" + api + ", user=" + user + ", password=****, timeout=" + timeout + ", amqpUrl=" + amqpUrl
        + ", vhost=" + vhost + ", caFile=" + caFile + "]";
  }
}
