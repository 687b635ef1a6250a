package io.pulse.rabbit;

import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.serviceproxy.ServiceBinder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RabbitMQ administration: one keep-alive HTTP client to the management API, serving {@link RabbitAdmin} on the
 * event bus.
 */
public final class RabbitVerticle extends VerticleBase {

  /** Concurrent connections to the management API; beyond this requests queue in the client. */
  private static final int MAX_CONNECTIONS = 16;
  private static final Logger log = LoggerFactory.getLogger(RabbitVerticle.class);

  private final PulseConfig config;
  private final MeterRegistry meters;
  private WebClient client;
  private MessageConsumer<JsonObject> consumer;

  public RabbitVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    client = WebClient.create(vertx, clientOptions(config), new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
    RabbitAdminImpl admin = admin(client, config);
    admin.metrics = new CallMetrics(meters);
    consumer = new ServiceBinder(vertx).setAddress(RabbitAdmin.ADDRESS).registerLocal(RabbitAdmin.class, admin);
    return consumer.completion().compose(v -> declareEventsExchange(admin));
  }

  /**
   * With {@code https://}, the broker's certificate must chain to PULSE_RABBIT_CA (else to the JVM's trust store) and
   * name the API's host.
   */
  private static WebClientOptions clientOptions(PulseConfig config) {
    WebClientOptions options = new WebClientOptions()
        .setKeepAlive(true)
        .setConnectTimeout((int) config.rabbit().timeout().toMillis())
        .setUserAgentEnabled(false)
        .setSsl("https".equalsIgnoreCase(config.rabbit().api().getScheme()))
        .setVerifyHost(true);
    if (config.rabbit().caFile() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(config.rabbit().caFile().toString()));
    }
    return options;
  }

  private static RabbitAdminImpl admin(WebClient client, PulseConfig config) {
    return new RabbitAdminImpl(client, config.rabbit().api(), config.rabbit().user(), config.rabbit().password(),
        config.rabbit().timeout().toMillis());
  }

  /**
   * For {@code check-config}: reaches the management API with the service's credentials and its vhost, and answers
   * what it found (the broker's version), or fails saying what is wrong. Never includes a password.
   */
  public static Future<String> check(Vertx vertx, PulseConfig config) {
    WebClient client;
    try {
      client = WebClient.create(vertx, clientOptions(config));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    RabbitAdminImpl admin = admin(client, config);
    String vhost = config.rabbit().vhost();
    return admin.overview()
        .compose(overview -> admin.listPermissions(vhost)
            .recover(e -> Future.failedFuture(new IllegalStateException("vhost '" + vhost + "' (from PULSE_AMQP_URL): "
                + e.getMessage())))
            .map(permissions -> "RabbitMQ " + overview.getString("rabbitmq_version", "?") + " at "
                + config.rabbit().api() + " as " + config.rabbit().user() + ", vhost '" + vhost + "' exists"))
        .eventually(() -> {
          client.close();
          return Future.succeededFuture();
        });
  }

  /**
   * Owners bind their queues to PULSE_EVENTS_EXCHANGE, which they may read but not declare: it must exist before the
   * first event is published. A broker that cannot be reached now does not stop the start (claims answer 503 until it
   * can); reconciliation declares the exchange again, also after a broker reset.
   */
  private Future<Void> declareEventsExchange(RabbitAdmin admin) {
    String exchange = config.naming().eventsExchange();
    return admin.putExchange(config.rabbit().vhost(), exchange, "topic")
        .onSuccess(v -> log.info("Events exchange {} declared on vhost {}", exchange, config.rabbit().vhost()))
        .recover(e -> {
          log.warn("Could not declare the events exchange {} yet; reconciliation will: {}", exchange, e.getMessage());
          return Future.succeededFuture();
        });
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister().eventually(() -> {
      client.close();
      return Future.succeededFuture();
    });
  }
}
