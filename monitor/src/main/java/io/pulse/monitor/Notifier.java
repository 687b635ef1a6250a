package io.pulse.monitor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.client.Events;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQOptions;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells owners and other services: a plain-text mail to each of the namespace's contacts (logged instead when no SMTP server
 * is configured), and, for state changes, a JSON event published on the event bus ({@link Events#QUEUE_EVENTS}) and to
 * the RabbitMQ topic exchange PULSE_EVENTS_EXCHANGE with the routing key {@code <namespace>.<state>}.
 */
final class Notifier implements Notices {

  private static final Logger log = LoggerFactory.getLogger(Notifier.class);

  private final Vertx vertx;
  private final PulseConfig config;
  private final MailClient mail;
  private final RabbitMQClient amqp;
  private final Map<Notice.Kind, Counter> sent = new EnumMap<>(Notice.Kind.class);
  private Future<Void> exchangeReady;

  Notifier(Vertx vertx, PulseConfig config, MeterRegistry meters) {
    this.vertx = vertx;
    this.config = config;
    for (Notice.Kind kind : Notice.Kind.values()) {
      sent.put(kind, Counter.builder("pulse.notifications")
          .description("Owner notices about queues (mailed, or logged without SMTP), by kind")
          .tag("kind", kind.name().toLowerCase(Locale.ROOT))
          .register(meters));
    }
    this.mail = config.mail().host() == null ? null : MailClient.create(vertx, mailConfig(config));
    java.net.URI amqpUrl = config.rabbit().amqpUrl();
    boolean tls = "amqps".equalsIgnoreCase(amqpUrl.getScheme());
    RabbitMQOptions options = new RabbitMQOptions();
    if (tls) {
      // amqps: the broker's certificate must chain to PULSE_RABBIT_CA (else the JVM's trust store) and name its host.
      options.setHostnameVerificationAlgorithm("HTTPS");
      if (config.rabbit().caFile() != null) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(config.rabbit().caFile().toString()));
      }
    }
    this.amqp = RabbitMQClient.create(vertx, options
        .setHost(amqpUrl.getHost())
        .setPort(amqpUrl.getPort() == -1 ? (tls ? 5671 : 5672) : amqpUrl.getPort())
        .setSsl(tls)
        .setVirtualHost(config.rabbit().vhost())
        .setUser(config.rabbit().user())
        .setPassword(config.rabbit().password())
        .setConnectionTimeout((int) config.rabbit().timeout().toMillis())
        .setAutomaticRecoveryEnabled(true)
        .setReconnectAttempts(Integer.MAX_VALUE)
        .setReconnectInterval(5000));
    if (mail == null) {
      log.info("PULSE_SMTP_HOST is not set: owner notices are logged, not mailed");
    }
  }

  private static io.vertx.ext.mail.MailConfig mailConfig(PulseConfig config) {
    io.pulse.config.MailConfig smtp = config.mail();
    io.vertx.ext.mail.MailConfig mail = new io.vertx.ext.mail.MailConfig()
        .setHostname(smtp.host())
        .setPort(smtp.port())
        .setStarttls(StartTLSOptions.valueOf(smtp.starttls().toUpperCase(java.util.Locale.ROOT)))
        .setConnectTimeout((int) config.rabbit().timeout().toMillis());
    if (smtp.user() != null) {
      mail.setUsername(smtp.user()).setPassword(smtp.password()).setLogin(LoginOption.REQUIRED);
    } else {
      mail.setLogin(LoginOption.DISABLED);
    }
    return mail;
  }

  /**
   * Mails a notice to each of {@code contacts} (one mail each, so one refused address does not stop the others; none:
   * no mail) and publishes it when it is a state change.
   */
  @Override
  public Future<Void> tell(Notice notice, List<String> contacts) {
    sent.get(notice.kind()).increment();
    List<Future<Void>> done = new ArrayList<>();
    if (contacts == null || contacts.isEmpty()) {
      done.add(mail(notice, null));
    } else {
      contacts.forEach(contact -> done.add(mail(notice, contact)));
    }
    if (notice.isStateChange()) {
      done.add(publish(notice));
    }
    return Future.join(done).mapEmpty();
  }

  private Future<Void> mail(Notice notice, String contact) {
    if (contact == null) {
      log.info("Queue {} is {} ({} messages); namespace {} has no contact to tell", notice.queue(),
          notice.kind().state, notice.messages(), notice.namespace());
      return Future.succeededFuture();
    }
    if (mail == null) {
      log.info("Notice for {} (no SMTP configured): {}", contact, notice.subject());
      return Future.succeededFuture();
    }
    MailMessage message = new MailMessage()
        .setFrom(config.mail().from())
        .setTo(contact)
        .setSubject(notice.subject())
        .setText(notice.body());
    return mail.sendMail(message)
        .onSuccess(r -> log.info("Told {} about queue {}: {}", contact, notice.queue(), notice.kind()))
        .onFailure(e -> log.warn("Could not mail {} about queue {}: {}", contact, notice.queue(), e.getMessage()))
        .mapEmpty();
  }

  private Future<Void> publish(Notice notice) {
    vertx.eventBus().publish(Events.QUEUE_EVENTS, notice.event());
    return exchange()
        .compose(v -> amqp.basicPublish(config.naming().eventsExchange(), notice.routingKey(),
            Buffer.buffer(notice.event().encode())))
        .onFailure(e -> {
          log.warn("Could not publish the {} event of queue {} to {}: {}", notice.kind().state, notice.queue(),
              config.naming().eventsExchange(), e.getMessage());
          exchangeReady = null;
        });
  }

  /** Connects and declares the events exchange once, again after a failure. */
  private Future<Void> exchange() {
    if (exchangeReady == null) {
      Future<Void> connected = amqp.isConnected() ? Future.succeededFuture() : amqp.start();
      exchangeReady = connected.compose(v ->
          amqp.exchangeDeclare(config.naming().eventsExchange(), "topic", true, false));
    }
    return exchangeReady;
  }

  Future<Void> close() {
    Future<Void> stopped = amqp.isConnected() ? amqp.stop() : Future.succeededFuture();
    return stopped.eventually(() -> {
      if (mail != null) {
        return mail.close();
      }
      return Future.succeededFuture();
    });
  }
}
