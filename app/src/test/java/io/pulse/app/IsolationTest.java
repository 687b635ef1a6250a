package io.pulse.app;

import static io.pulse.testkit.Responses.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No tenant reaches another's resources, and the service never changes, deletes or disconnects what it did not make:
 * the reproductions of the isolation findings, through the REST API, checked on the broker afterwards.
 */
@ExtendWith(VertxExtension.class)
class IsolationTest {

  private static RunningService service;

  @BeforeAll
  static void start(Vertx vertx) {
    service = RunningService.start(vertx, Map.of("PULSE_MONITOR_INTERVAL", "300ms",
        "PULSE_RECONCILE_INTERVAL", "300ms", "PULSE_MAINTENANCE_INTERVAL", "300ms"));
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  private static HttpResponse<Buffer> revoke(String ns) {
    return service.request(io.vertx.core.http.HttpMethod.DELETE, "/namespace/" + ns,
        service.token("pulse:namespace:" + ns)).send().await();
  }

  private static int queueStatus(String queue) {
    return TestEnv.queueStatus(service.client, service.vhost, queue);
  }

  /** A broker user the service did not make, able to log in to the test vhost. */
  private static void foreignUser(String name, String password) {
    TestEnv.management(service.client, "PUT", "/users/" + TestEnv.encode(name),
        new JsonObject().put("password", password).put("tags", "monitoring"));
    TestEnv.management(service.client, "PUT", "/permissions/" + TestEnv.encode(service.vhost) + "/"
        + TestEnv.encode(name), new JsonObject().put("configure", "").put("write", "").put("read", ""));
  }

  @Test
  void revokingANamespaceNeverDeletesTheQueuesOfItsLowerCaseTwin() throws Exception {
    // Its own service (in a Vert.x of its own), without the monitor: a queue of no namespace is an orphan the monitor
    // would remove.
    Vertx own = Vertx.vertx();
    try (RunningService quiet = RunningService.start(own)) {
      String upper = TestEnv.unique("UP").toUpperCase(Locale.ROOT);
      String lower = upper.toLowerCase(Locale.ROOT);
      HttpResponse<Buffer> claimed = quiet.claim(upper, null);
      assertEquals(200, claimed.statusCode(), claimed.bodyAsString());
      try (Connection admin = TestEnv.connect(TestEnv.amqpUrl(quiet.vhost).replace("amqp://",
          "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"))) {
        Channel channel = admin.createChannel();
        channel.queueDeclare("queue/" + lower + "/keep", true, false, false, null);
        channel.exchangeDeclare("exchange/" + lower + "/keep", "topic", true);
      }

      assertEquals(204, quiet.request(io.vertx.core.http.HttpMethod.DELETE, "/namespace/" + upper,
          quiet.token("pulse:namespace:" + upper)).send().await().statusCode());

      assertEquals(200, TestEnv.queueStatus(quiet.client, quiet.vhost, "queue/" + lower + "/keep"),
          "the broker's case-insensitive name filter is only a pre-filter");
      assertEquals(200, TestEnv.exchangeStatus(quiet.client, quiet.vhost, "exchange/" + lower + "/keep"));
    } finally {
      own.close().await();
    }
  }

  @Test
  void aNamespaceDifferingOnlyInCaseIsRefusedAndRevokingItTouchesNothing() throws Exception {
    String lower = TestEnv.unique("twin");
    String upper = lower.toUpperCase(Locale.ROOT);
    String credentials = service.claim(lower, null).bodyAsJsonObject().getString("connectionString");
    try (Connection connection = TestEnv.connect(credentials)) {
      connection.createChannel().queueDeclare("queue/" + lower + "/keep", true, false, false, null);
    }

    JsonObject body = assertError(service.claim(upper, null), 409, "RequestConflict", lower);
    assertTrue(body.getString("message").contains("letter case"), body.encode());
    assertEquals(404, revoke(upper).statusCode());

    assertEquals(200, queueStatus("queue/" + lower + "/keep"));
    assertEquals(200, service.get("/namespace/" + lower).statusCode());
  }

  @Test
  void theReservedNamespaceCannotBeClaimedInAnyCase() {
    assertError(service.claim("PULSE", null), 400, "InvalidNamespace", "reserved");
    assertError(service.claim("Pulse", null), 400, "InvalidNamespace", "reserved");
  }

  @Test
  void aClaimNeverTakesOverABrokerUserTheServiceDidNotMake() throws Exception {
    for (int n = 1; n <= 2; n++) {
      String ns = TestEnv.unique("victim");
      String user = service.username(ns, n);
      foreignUser(user, "their-own-password");

      JsonObject body = assertError(service.claim(ns, null), 409, "RequestConflict", user);
      assertTrue(body.getString("message").contains("not made by this service"), body.encode());

      TestEnv.connect(TestEnv.amqpUrl(service.vhost).replace("amqp://",
          "amqp://" + TestEnv.encode(user) + ":their-own-password@")).close();
      JsonArray tags = TestEnv.user(service.client, user).getJsonArray("tags");
      assertEquals(new JsonArray().add("monitoring"), tags, "its tags are unchanged");
      assertEquals(404, service.get("/namespace/" + ns).statusCode());
      assertTrue(TestEnv.sql(service.vertx, service.database, "SELECT 1 FROM namespaces WHERE name = $1", ns)
          .isEmpty(), "the refused claim leaves no record");
    }
  }

  @Test
  void revocationAndTheMonitorLeaveForeignUsersAndTheirConnectionsAlone() throws Exception {
    String ns = TestEnv.unique("keepout");
    assertEquals(200, service.claim(ns, null).statusCode());
    // Made by somebody else after the claim, with the name of the namespace's standby user.
    String standby = service.username(ns, 2);
    foreignUser(standby, "their-own-password");
    // And a user named like a namespace that does not exist, connected.
    String ghost = service.username(TestEnv.unique("ghost"), 1);
    foreignUser(ghost, "their-own-password");
    try (Connection connection = TestEnv.connect(TestEnv.amqpUrl(service.vhost).replace("amqp://",
        "amqp://" + TestEnv.encode(ghost) + ":their-own-password@"))) {
      TestEnv.eventually(30, "the broker lists the connection", () -> TestEnv.management(service.client, "GET",
          "/vhosts/" + TestEnv.encode(service.vhost) + "/connections", null).bodyAsString().contains(ghost));

      assertEquals(204, revoke(ns).statusCode());
      service.awaitMonitorSweeps(3, "ok");

      assertTrue(connection.isOpen(), "the monitor does not close a connection of a user it did not make");
      assertNotNull(TestEnv.user(service.client, standby), "revocation does not delete a user it did not make");
      assertEquals(null, TestEnv.user(service.client, service.username(ns, 1)), "the service's own user goes");
    }
  }

  @Test
  void usersMadeBeforeTheServiceMarkedItsUsersAreAdopted() {
    String ns = TestEnv.unique("legacy");
    String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
    String user = service.username(ns, 1);
    String password = java.net.URI.create(credentials).getUserInfo().split(":", 2)[1];
    // As an older version of the service left them: the user without the mark, the record not yet marked.
    TestEnv.management(service.client, "PUT", "/users/" + TestEnv.encode(user),
        new JsonObject().put("password", password).put("tags", ""));
    TestEnv.sql(service.vertx, service.database, "UPDATE namespaces SET users_marked = false WHERE name = $1", ns);

    TestEnv.eventually(30, "reconciliation marks the user", () -> TestEnv.user(service.client, user)
        .getJsonArray("tags").contains("pulse-managed"));
    TestEnv.eventually(30, "and the record", () -> TestEnv.sql(service.vertx, service.database,
        "SELECT users_marked FROM namespaces WHERE name = $1", ns).get(0).getBoolean(0));
  }
}
