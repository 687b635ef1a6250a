package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.client.NamespaceService;
import io.pulse.config.PulseConfig;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Another Vert.x application deploys the service's verticles beside its own and claims a namespace over the event
 * bus, as the README shows: no HTTP server, no token.
 */
@ExtendWith(VertxExtension.class)
class EventBusApiTest {

  /** The co-deployed application's own verticle: claims its namespace at start, as a real one would. */
  static final class ConsumerVerticle extends VerticleBase {
    final String namespace;
    volatile JsonObject claimed;

    ConsumerVerticle(String namespace) {
      this.namespace = namespace;
    }

    @Override
    public Future<?> start() {
      NamespaceService pulse = NamespaceService.createProxy(vertx, 30_000);
      return pulse.claimNamespace(namespace, new JsonObject().put("contact", "bus@example.com"))
          .onSuccess(answer -> claimed = answer);
    }
  }

  @Test
  void aCoDeployedVerticleClaimsGetsAndListsOverTheBus(Vertx vertx) throws Exception {
    try (RunningService resources = RunningService.start(vertx)) {
      // Same database, vhost and prefix as the harness made, but deployed the way an embedding application does:
      // the harness's own deployment goes first, so every answer below comes from this one.
      resources.deployment.undeploy().await();
      Map<String, String> settings = new HashMap<>(resources.config.values());
      PulseConfig config = PulseConfig.fromMap(settings);
      PulseDeployment pulse = PulseDeployment.deploy(vertx, config, false).await();
      try {
        assertEquals(-1, pulse.httpPort(), "no REST API when left out");
        String ns = TestEnv.unique("bus");
        ConsumerVerticle app = new ConsumerVerticle(ns);
        vertx.deployVerticle(app).await();

        JsonObject claimed = app.claimed;
        assertEquals(ns, claimed.getString("namespace"));
        assertTrue(claimed.getString("connectionString").startsWith("amqp://" + resources.username(ns, 1) + ":"));
        TestEnv.connect(claimed.getString("connectionString")).close();

        NamespaceService service = NamespaceService.createProxy(vertx, 30_000);
        JsonObject got = service.namespace(ns).await();
        assertEquals(new JsonObject().put("namespace", ns).put("created", claimed.getString("created"))
            .put("expires", claimed.getString("expires")), got);
        JsonObject listed = service.listNamespaces(new JsonObject().put("limit", 1000)).await();
        assertTrue(listed.getJsonArray("namespaces").stream()
            .anyMatch(n -> ns.equals(((JsonObject) n).getString("namespace"))));

        assertFailure(400, "InvalidNamespace", () -> service.claimNamespace("bad name", null).await());
        assertFailure(400, "InputValidationError",
            () -> service.claimNamespace(ns, new JsonObject().put("contact", "nobody")).await());
        assertFailure(400, "InvalidRequestArguments",
            () -> service.listNamespaces(new JsonObject().put("limit", 0)).await());
        assertFailure(404, "ResourceNotFound", () -> service.namespace(TestEnv.unique("missing")).await());
        // The same bounds as REST: nothing PostgreSQL or Instant cannot hold gets past the input rules.
        assertFailure(400, "InputValidationError", () -> service.claimNamespace(TestEnv.unique("nul"),
            new JsonObject().put("contact", "a\u0000b@example.org")).await());
        assertFailure(400, "InputValidationError", () -> service.claimNamespace(TestEnv.unique("far"),
            new JsonObject().put("expires", "+300000-01-01T00:00:00Z")).await());
      } finally {
        pulse.undeploy().await();
      }
    }
  }

  /** The documented wire format, sent without the proxy, against the real service. */
  @Test
  void rawMessagesInTheDocumentedFormatWorkAndOthersAreRefusedWithTheirCode(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx)) {
      String ns = TestEnv.unique("raw");
      DeliveryOptions claim = new DeliveryOptions().addHeader("action", "claimNamespace").setLocalOnly(true);
      JsonObject answer = (JsonObject) vertx.eventBus().request(NamespaceService.ADDRESS, new JsonObject()
          .put("namespace", ns).put("payload", new JsonObject().put("contact", "raw@example.com")), claim)
          .await().body();
      TestEnv.connect(answer.getString("connectionString")).close();
      assertEquals("raw@example.com", TestEnv.sql(vertx, service.database,
          "SELECT contact FROM namespaces WHERE name = $1", ns).get(0).getString(0));

      String guessed = TestEnv.unique("guess");
      assertFailure(400, "InputValidationError", () -> vertx.eventBus().request(NamespaceService.ADDRESS,
          new JsonObject().put("namespace", guessed).put("contact", "raw@example.com"), claim).await());
      assertEquals(404, service.get("/namespace/" + guessed).statusCode(), "a refused message claims nothing");
      assertFailure(400, "InvalidRequestArguments",
          () -> vertx.eventBus().request(NamespaceService.ADDRESS, new JsonObject()).await());
      assertFailure(400, "MalformedPayload", () -> vertx.eventBus().request(NamespaceService.ADDRESS, ns,
          new DeliveryOptions().addHeader("action", "namespace")).await());
    }
  }

  @Test
  void aWrongSettingFailsTheDeploymentNamingItsKey(Vertx vertx) {
    Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> PulseDeployment.deploy(vertx, Map.of("PULSE_ROLES", "namespaces,everything")).await());
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    assertTrue(cause.getMessage().startsWith("PULSE_ROLES: unknown role 'everything'"), cause.getMessage());
  }

  @Test
  void aCallWithNoServiceDeployedFailsWithNoHandlers(Vertx vertx) {
    NamespaceService service = NamespaceService.createProxy(vertx, 5_000);
    Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> service.namespace("x").await());
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    assertInstanceOf(io.vertx.core.eventbus.ReplyException.class, cause);
    assertEquals(io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS,
        ((io.vertx.core.eventbus.ReplyException) cause).failureType());
  }

  interface Call {
    void run() throws Exception;
  }

  private static void assertFailure(int status, String code, Call call) {
    Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, call::run);
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    ServiceException e = assertInstanceOf(ServiceException.class, cause);
    assertEquals(status, e.failureCode(), e.getMessage());
    assertEquals(code, e.getDebugInfo().getString("code"), e.getMessage());
  }
}
