package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Owners follow their queues' events by binding to PULSE_EVENTS_EXCHANGE, which they may read but not declare: the
 * service declares it at start and again when reconciliation finds it gone (a broker reset), before any event.
 */
@ExtendWith(VertxExtension.class)
class EventsExchangeTest {

  @Test
  void aNamespaceUserBindsToTheEventsExchangeRightAfterStartAndAfterABrokerReset(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_RECONCILE_INTERVAL", "1s"))) {
      String exchange = service.config.naming().eventsExchange();
      String namespace = TestEnv.unique("ev");
      String connectionString = service.claim(namespace, null).bodyAsJsonObject().getString("connectionString");

      bindOwnQueue(connectionString, namespace, exchange);

      // What a broker reset does to the exchange; nothing is published meanwhile.
      assertEquals(204, TestEnv.management(service.client, "DELETE",
          "/exchanges/" + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(exchange), null).statusCode());
      assertEquals(404, TestEnv.exchangeStatus(service.client, service.vhost, exchange));
      TestEnv.eventually(60, "reconciliation declares " + exchange + " again",
          () -> TestEnv.exchangeStatus(service.client, service.vhost, exchange) == 200);

      bindOwnQueue(connectionString, namespace, exchange);
    }
  }

  /** Declares {@code queue/<ns>/events} and binds it with {@code <ns>.*}, as the README tells owners to. */
  private static void bindOwnQueue(String connectionString, String namespace, String exchange) throws Exception {
    try (Connection connection = TestEnv.connect(connectionString); Channel channel = connection.createChannel()) {
      String queue = "queue/" + namespace + "/events";
      channel.queueDeclare(queue, false, false, true, null);
      // Throws (404 NOT_FOUND, channel closed) when the exchange does not exist.
      channel.queueBind(queue, exchange, namespace + ".*");
      channel.queueDelete(queue);
    }
  }
}
