package io.pulse.example.embedding;

import io.pulse.client.NamespaceService;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQOptions;

/**
 * The application's own verticle: at start it claims its namespace from the Pulse service over the event bus, connects
 * to RabbitMQ with the credentials it got, declares its exchange and queue, binds them, and sends itself one message.
 * {@link #received()} completes with that message once it has come back.
 */
public final class OrdersVerticle extends VerticleBase {

  /** Each call to the service may take this long (ms) before it fails with a ReplyException of kind TIMEOUT. */
  static final long CALL_TIMEOUT_MS = 30_000;

  private final String namespace;
  private final String text;
  private final Promise<String> received = Promise.promise();
  private RabbitMQClient amqp;

  public OrdersVerticle(String namespace, String text) {
    this.namespace = namespace;
    this.text = text;
  }

  /** The message, as it came back through the broker. */
  public Future<String> received() {
    return received.future();
  }

  @Override
  public Future<?> start() {
    NamespaceService pulse = NamespaceService.createProxy(vertx, CALL_TIMEOUT_MS);
    // Tenants may use only their own names: exchange/<namespace>/... and queue/<namespace>/...
    String exchange = "exchange/" + namespace + "/orders";
    String queue = "queue/" + namespace + "/orders";
    return pulse.claimNamespace(namespace, new JsonObject().put("contact", "orders-team@example.com"))
        .compose(claim -> {
          // The connection string holds the password: use it, never log it. Claim again before claim's reclaimAt.
          amqp = RabbitMQClient.create(vertx, new RabbitMQOptions()
              .setUri(claim.getString("connectionString"))
              .setConnectionName("orders")
              .setAutomaticRecoveryEnabled(false)
              .setReconnectAttempts(0));
          return amqp.start();
        })
        .compose(v -> amqp.exchangeDeclare(exchange, "topic", false, true))
        .compose(v -> amqp.queueDeclare(queue, false, false, true))
        .compose(v -> amqp.queueBind(queue, exchange, "orders.#"))
        .compose(v -> amqp.basicConsumer(queue))
        .compose(consumer -> {
          consumer.handler(message -> received.tryComplete(message.body().toString()));
          // Namespace users cannot publish through the default exchange: publish to your own exchange.
          return amqp.basicPublish(exchange, "orders.created", Buffer.buffer(text));
        });
  }

  @Override
  public Future<?> stop() {
    return amqp == null ? Future.succeededFuture() : amqp.stop();
  }
}
