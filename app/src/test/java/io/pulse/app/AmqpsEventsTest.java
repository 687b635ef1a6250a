package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.pulse.testkit.Certificates;
import io.pulse.testkit.TcpRelay;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code amqps://} in PULSE_AMQP_URL: callers get it in their connection strings, and the service publishes its queue
 * events over it, verifying the broker against PULSE_RABBIT_CA (a TLS-terminating relay in front of the shared
 * broker's AMQP port, with a certificate the test makes for localhost).
 */
@ExtendWith(VertxExtension.class)
class AmqpsEventsTest {

  @TempDir
  Path dir;

  @Test
  void queueEventsArePublishedOverAmqpsTrustingPulseRabbitCa(Vertx vertx) throws Exception {
    Certificates.Pair broker = Certificates.selfSigned(dir, "amqps-broker");
    try (TcpRelay tls = TcpRelay.startTls(vertx, TestEnv.RABBIT_HOST, TestEnv.AMQP_PORT, broker);
        RunningService service = RunningService.start(vertx, Map.of(
            "PULSE_AMQP_URL", "amqps://localhost:" + tls.port() + "/{vhost}",
            "PULSE_RABBIT_CA", broker.cert().toString(),
            "PULSE_MONITOR_INTERVAL", "300ms",
            "PULSE_MONITOR_ALERT_THRESHOLD", "5",
            "PULSE_MONITOR_DELETE_THRESHOLD", "10"));
        Connection admin = TestEnv.connect(TestEnv.amqpUrl(service.vhost)
            .replace("amqp://", "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"))) {
      String ns = TestEnv.unique("amqps");
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      assertEquals("amqps", java.net.URI.create(credentials).getScheme());

      Channel events = admin.createChannel();
      String eventsQueue = events.queueDeclare().getQueue();
      events.queueBind(eventsQueue, service.config.naming().eventsExchange(), ns + ".*");
      String queue = "queue/" + ns + "/slow";
      // The caller's own connection goes through the TLS relay too.
      try (Connection connection = TestEnv.connect(credentials)) {
        connection.createChannel().queueDeclare(queue, true, false, false, null);
      }
      try (Channel filler = admin.createChannel()) {
        for (int i = 0; i < 7; i++) {
          filler.basicPublish("", queue, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
      }
      JsonObject[] warned = new JsonObject[1];
      TestEnv.eventually(60, "the warning event, published over amqps", () -> {
        try {
          GetResponse message = events.basicGet(eventsQueue, true);
          if (message != null && message.getEnvelope().getRoutingKey().equals(ns + ".warning")) {
            warned[0] = new JsonObject(new String(message.getBody(), StandardCharsets.UTF_8));
          }
          return warned[0] != null;
        } catch (java.io.IOException e) {
          throw new AssertionError(e);
        }
      });
      assertEquals(7, warned[0].getLong("messages"));
    }
  }
}
