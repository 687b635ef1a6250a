package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Unreachable dependencies answer 503 quickly and leave nothing half-visible. */
@ExtendWith(VertxExtension.class)
class FailureTest {

  @Test
  void unreachableBrokerIs503AndLeavesNoVisibleNamespace(Vertx vertx) throws Exception {
    int closed = TestEnv.closedPort();
    try (RunningService service = RunningService.start(vertx,
        Map.of("PULSE_RABBIT_API", "http://127.0.0.1:" + closed + "/api"))) {
      String ns = TestEnv.unique("nobroker");
      HttpResponse<Buffer> response = service.claim(ns, null);
      assertEquals(503, response.statusCode(), response.bodyAsString());
      JsonObject body = response.bodyAsJsonObject();
      assertEquals("ServiceUnavailable", body.getString("code"));
      assertTrue(body.getString("message").contains("RabbitMQ management API"), body.getString("message"));
      assertFalse(body.encode().contains(TestEnv.ADMIN_PASSWORD + "@"), "no credentials in the error");
      assertEquals(404, service.get("/namespace/" + ns).statusCode());
      assertEquals(0, service.get("/namespaces").bodyAsJsonObject().getJsonArray("namespaces").size());
    }
  }

  @Test
  void unreachableDatabaseIs503ForEveryRoute(Vertx vertx) throws Exception {
    int closed = TestEnv.closedPort();
    try (RunningService service = RunningService.start(vertx,
        Map.of("PULSE_DB_URL", "postgresql://postgres:hunter2@127.0.0.1:" + closed + "/nothing",
            "PULSE_DB_TIMEOUT", "2s"))) {
      String ns = TestEnv.unique("nodb");
      for (HttpResponse<Buffer> response : new HttpResponse[] {
          service.claim(ns, null), service.get("/namespace/" + ns), service.get("/namespaces")}) {
        assertEquals(503, response.statusCode(), response.bodyAsString());
        assertEquals("ServiceUnavailable", response.bodyAsJsonObject().getString("code"));
        assertTrue(response.bodyAsString().contains("PostgreSQL"), response.bodyAsString());
        assertFalse(response.bodyAsString().contains("hunter2"), "no database password in the error");
      }
      assertEquals(200, service.get("/ping").statusCode(), "the service itself stays up");
      assertEquals(0, TestEnv.users(service.client, service.userPrefix).size(), "no user made without a record");
    }
  }

  @Test
  void aBrokerFailureHalfWayThroughAFirstClaimIsFinishedByTheNextClaim(Vertx vertx) {
    // The permissions call fails (its vhost does not exist yet) after the users were made.
    String missingVhost = TestEnv.unique("pulse-late-");
    try (RunningService service = RunningService.start(vertx,
        Map.of("PULSE_AMQP_URL", TestEnv.amqpUrl(missingVhost)))) {
      String ns = TestEnv.unique("half");
      HttpResponse<Buffer> failed = service.claim(ns, null);
      assertEquals(503, failed.statusCode(), failed.bodyAsString());
      assertTrue(failed.bodyAsString().contains("permissions"), failed.bodyAsString());
      assertEquals(List.of(service.username(ns, 1)), TestEnv.users(service.client, service.userPrefix + ns + "-"),
          "the user was made");
      assertEquals(404, service.get("/namespace/" + ns).statusCode(), "but the namespace is not visible");

      TestEnv.management(service.client, "PUT", "/vhosts/" + TestEnv.encode(missingVhost), new JsonObject());
      try {
        HttpResponse<Buffer> retried = service.claim(ns, null);
        assertEquals(200, retried.statusCode(), retried.bodyAsString());
        assertEquals(200, service.get("/namespace/" + ns).statusCode());
        JsonObject permissions = TestEnv.management(service.client, "GET", "/permissions/"
            + TestEnv.encode(missingVhost) + "/" + TestEnv.encode(service.username(ns, 1)), null).bodyAsJsonObject();
        assertTrue(permissions.getString("write").contains(ns));
      } finally {
        TestEnv.deleteVhost(service.client, missingVhost);
      }
    }
  }
}
