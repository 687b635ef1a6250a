package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the README tells namespace owners: the default exchange is not theirs to publish to; their own
 * {@code exchange/<ns>/...}, bound to their {@code queue/<ns>/...}, is.
 */
@ExtendWith(VertxExtension.class)
class PublishingPatternTest {

  @Test
  void theDefaultExchangeIsRefusedAndTheNamespacesOwnExchangeWorks(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx)) {
      String ns = TestEnv.unique("pub");
      String connectionString = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      String queue = "queue/" + ns + "/orders";
      String exchange = "exchange/" + ns + "/orders";
      try (Connection connection = TestEnv.connect(connectionString)) {
        Channel refused = connection.createChannel();
        refused.queueDeclare(queue, true, false, false, null);
        AtomicReference<String> closedBecause = new AtomicReference<>();
        refused.addShutdownListener(e -> closedBecause.set(String.valueOf(e.getReason())));
        refused.confirmSelect();
        refused.basicPublish("", queue, null, "to the default exchange".getBytes(StandardCharsets.UTF_8));
        assertThrows(Exception.class, () -> refused.waitForConfirmsOrDie(10_000));
        TestEnv.eventually(10, "the channel is closed", () -> closedBecause.get() != null);
        assertTrue(closedBecause.get().contains("ACCESS_REFUSED") && closedBecause.get().contains("amq.default"),
            closedBecause.get());

        // The pattern that works: declare exchange/<ns>/..., bind queue/<ns>/... to it, publish there.
        Channel channel = connection.createChannel();
        channel.exchangeDeclare(exchange, "topic", true);
        channel.queueBind(queue, exchange, "#");
        channel.confirmSelect();
        channel.basicPublish(exchange, "order.created", null, "order 1".getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(10_000);
        GetResponse got = channel.basicGet(queue, true);
        assertNotNull(got, "the message arrived in the bound queue");
        assertEquals("order 1", new String(got.getBody(), StandardCharsets.UTF_8));
        channel.queueDelete(queue);
        channel.exchangeDelete(exchange);
      }
    }
  }
}
