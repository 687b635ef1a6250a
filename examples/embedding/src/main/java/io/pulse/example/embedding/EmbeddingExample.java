package io.pulse.example.embedding;

import io.pulse.app.PulseDeployment;
import io.pulse.client.NamespaceService;
import io.pulse.client.PulseError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.serviceproxy.ServiceException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x application embedding the Pulse service: it deploys the service (the event-bus role only) into its own
 * Vert.x instance with an external database, deploys its own {@link OrdersVerticle}, which claims a namespace over the
 * bus and sends itself a message over AMQP with the credentials, then revokes the namespace and undeploys everything.
 *
 * <pre>
 * PULSE_DB_URL=postgresql://postgres@127.0.0.1:5432/pulse java -cp ... io.pulse.example.embedding.EmbeddingExample
 * </pre>
 */
public final class EmbeddingExample {

  /** The settings the example takes from the environment; see the service's docs/configuration.md. */
  private static final List<String> FROM_ENVIRONMENT = List.of("PULSE_DB_URL", "PULSE_DB_PASSWORD", "PULSE_SECRET_KEY",
      "PULSE_RABBIT_API", "PULSE_RABBIT_USER", "PULSE_RABBIT_PASSWORD", "PULSE_AMQP_URL", "PULSE_NAMESPACE_PREFIX",
      "PULSE_USERNAME_PREFIX");

  private EmbeddingExample() {
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> settings = new HashMap<>();
    FROM_ENVIRONMENT.forEach(key -> {
      String value = System.getenv(key);
      if (value != null && !value.isBlank()) {
        settings.put(key, value);
      }
    });
    String namespace = settings.getOrDefault("PULSE_NAMESPACE_PREFIX", "") + "example-"
        + UUID.randomUUID().toString().substring(0, 8);
    Vertx vertx = Vertx.vertx();
    try {
      String received = run(vertx, settings, namespace, "order 1").await(2, TimeUnit.MINUTES);
      System.out.println("Namespace " + namespace + ": sent and received '" + received + "' over AMQP");
    } catch (Exception e) {
      System.err.println("The example failed: " + describe(e));
      System.exit(1);
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Deploys the service with {@code settings} (PULSE_DB_URL and the broker's addresses at least), then the
   * application's verticle, which claims {@code namespace} and sends {@code text} through the broker to itself;
   * completes with the text as received, after revoking the namespace and undeploying both.
   */
  public static Future<String> run(Vertx vertx, Map<String, String> settings, String namespace, String text) {
    Map<String, String> service = new HashMap<>(settings);
    // The event-bus service alone: this application neither serves REST nor sweeps the vhost.
    service.put("PULSE_ROLES", "namespaces");
    return PulseDeployment.deploy(vertx, service).compose(pulse -> {
      OrdersVerticle orders = new OrdersVerticle(namespace, text);
      return vertx.deployVerticle(orders)
          .compose(id -> orders.received()
              .eventually(() -> vertx.undeploy(id)))
          // Revocation closes the namespace's connections and deletes its users, queues and exchanges now.
          .compose(message -> NamespaceService.createProxy(vertx, OrdersVerticle.CALL_TIMEOUT_MS)
              .revokeNamespace(namespace).map(message))
          // Undeploys the service's verticles in reverse order; the Vert.x instance stays up.
          .eventually(pulse::undeploy);
    });
  }

  /** What a failed call means, by kind: the service's coded answer, or the event bus's own failures. */
  public static String describe(Throwable failure) {
    Throwable e = failure.getCause() != null && !(failure instanceof ReplyException) ? failure.getCause() : failure;
    if (e instanceof ServiceException) {
      ServiceException answer = (ServiceException) e;
      return "the service answered " + answer.failureCode() + " " + PulseError.of(answer).code() + ": "
          + answer.getMessage();
    }
    if (e instanceof ReplyException && ((ReplyException) e).failureType() == ReplyFailure.NO_HANDLERS) {
      return "the Pulse service is not deployed in this Vert.x instance (" + NamespaceService.ADDRESS
          + " has no handler): deploy it first";
    }
    if (e instanceof ReplyException && ((ReplyException) e).failureType() == ReplyFailure.TIMEOUT) {
      return "the Pulse service did not answer within " + OrdersVerticle.CALL_TIMEOUT_MS + " ms; a claim may be"
          + " retried as it is";
    }
    return e.toString();
  }
}
