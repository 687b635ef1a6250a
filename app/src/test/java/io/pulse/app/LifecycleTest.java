package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Row;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rotation, expiry, revocation, reconciliation, replicas and dry run, against the real broker and database with
 * short intervals. Rotations are made due by moving {@code next_rotation} into the past, so each test decides when.
 */
@ExtendWith(VertxExtension.class)
class LifecycleTest {

  private static final Map<String, String> FAST = Map.of(
      "PULSE_MAINTENANCE_INTERVAL", "300ms",
      "PULSE_EXPIRY_DELAY", "0s",
      "PULSE_RECONCILE_INTERVAL", "1h");

  @Test
  void rotationHandsOutTheStandbyUserAndRetiresTheOldPasswordOneRotationLater(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, FAST)) {
      String ns = TestEnv.unique("rot");
      String first = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      assertTrue(first.contains(service.username(ns, 1) + ":"));

      // Maintenance makes the standby user soon after the claim, so the first rotation is a password change.
      TestEnv.eventually(30, "the standby user is made", () -> TestEnv.sql(service.vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name = $1 AND password_2 IS NOT NULL", ns).size() == 1);
      assertNotNull(TestEnv.user(service.client, service.username(ns, 2)));
      double puts = service.rabbitCalls("PUT");
      double posts = service.rabbitCalls("POST");
      makeRotationDue(service, ns);
      awaitRotations(service, ns, 1);
      assertEquals(puts + 1, service.rabbitCalls("PUT"), "the first rotation is one password change");
      assertEquals(posts, service.rabbitCalls("POST"), "no import: the standby user and its permissions stand");
      assertTrue(TestEnv.management(service.client, "GET", "/permissions/" + TestEnv.encode(service.vhost) + "/"
          + TestEnv.encode(service.username(ns, 2)), null).bodyAsJsonObject().getString("write").contains(ns));

      JsonObject reclaimed = service.claim(ns, null).bodyAsJsonObject();
      String second = reclaimed.getString("connectionString");
      assertTrue(second.contains(service.username(ns, 2) + ":"), "the standby user is now handed out");
      Instant nextRotation = Instant.parse(reclaimed.getString("reclaimAt")).minus(Duration.ofMinutes(30));
      assertEquals(Duration.ofHours(1).toSeconds(), Duration.between(Instant.now(), nextRotation).toSeconds(), 10,
          "reclaimAt is the next rotation (an interval from now) plus half an interval");
      TestEnv.connect(first).close();
      TestEnv.connect(second).close();

      puts = service.rabbitCalls("PUT");
      posts = service.rabbitCalls("POST");
      makeRotationDue(service, ns);
      awaitRotations(service, ns, 2);
      assertEquals(puts + 1, service.rabbitCalls("PUT"), "later rotations are one password change each too");
      assertEquals(posts, service.rabbitCalls("POST"));
      assertThrows(AuthenticationFailureException.class, () -> TestEnv.connect(first).close(),
          "the first password is refused after the second rotation");
      TestEnv.connect(second).close();
      String third = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      assertTrue(third.contains(service.username(ns, 1) + ":"));
      assertNotEquals(first, third, "user 1 came back with a fresh password");
      TestEnv.connect(third).close();
    }
  }

  @Test
  void aGracefulStopMakesTheStandbyUsersOfNamespacesClaimedSinceTheLastSweep(Vertx vertx) throws Exception {
    // Maintenance sweeps once right after the start, then not for an hour: only the stop can make this standby.
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_MAINTENANCE_INTERVAL", "1h",
        "PULSE_RECONCILE_INTERVAL", "1h"))) {
      TestEnv.eventually(30, "the first standby sweep", () -> service.count("pulse.maintenance.sweeps", "sweep",
          "standby", "outcome", "ok") >= 1);
      String ns = TestEnv.unique("laststandby");
      assertEquals(200, service.claim(ns, null).statusCode());
      assertEquals(1, TestEnv.sql(vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name = $1 AND password_2 IS NULL", ns).size(), "no standby yet");

      service.deployment.undeploy().await();

      assertEquals(1, TestEnv.sql(vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name = $1 AND password_2 IS NOT NULL", ns).size(), "recorded at the stop");
      JsonObject standby = TestEnv.user(service.client, service.username(ns, 2));
      assertNotNull(standby, "made in the broker at the stop");
      assertTrue(TestEnv.management(service.client, "GET", "/permissions/" + TestEnv.encode(service.vhost) + "/"
          + TestEnv.encode(service.username(ns, 2)), null).bodyAsJsonObject().getString("write").contains(ns));
    }
  }

  @Test
  void expiryClosesConnectionsAndRemovesUsersQueuesExchangesAndTheRecord(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, FAST)) {
      String ns = TestEnv.unique("exp");
      String other = TestEnv.unique("keep");
      service.claim(other, null);
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      AtomicReference<ShutdownSignalException> closed = new AtomicReference<>();
      Connection connection = TestEnv.connect(credentials);
      connection.addShutdownListener(closed::set);
      Channel channel = connection.createChannel();
      channel.exchangeDeclare("exchange/" + ns + "/events", "topic", true);
      channel.queueDeclare("queue/" + ns + "/inbox", true, false, false, null);
      declareForeignQueue(service, "queue/" + other + "/stays");
      // The management API lists a new connection only after its next statistics round (up to 5 s).
      TestEnv.eventually(30, "the broker lists the connection", () -> TestEnv.management(service.client, "GET",
          "/vhosts/" + TestEnv.encode(service.vhost) + "/connections", null).bodyAsString()
          .contains(service.username(ns, 1)));
      TestEnv.sql(service.vertx, service.database,
          "UPDATE namespaces SET expires = now() - interval '1 second' WHERE name = $1", ns);

      TestEnv.eventually(30, "namespace " + ns + " removed", () -> record(service, ns) == null);
      TestEnv.eventually(10, "connection closed", () -> closed.get() != null);
      assertTrue(closed.get().getMessage().contains("Pulse namespace " + ns + " expired"), closed.get().getMessage());
      assertNull(TestEnv.user(service.client, service.username(ns, 1)));
      assertNull(TestEnv.user(service.client, service.username(ns, 2)));
      assertEquals(404, TestEnv.queueStatus(service.client, service.vhost, "queue/" + ns + "/inbox"));
      assertEquals(404, TestEnv.exchangeStatus(service.client, service.vhost, "exchange/" + ns + "/events"));
      assertEquals(200, TestEnv.queueStatus(service.client, service.vhost, "queue/" + other + "/stays"),
          "another namespace's queue is left alone");
      assertEquals(404, service.get("/namespace/" + ns).statusCode());
    }
  }

  @Test
  void revocationRemovesANamespaceNowAndItCanBeClaimedAfresh(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_MAINTENANCE_INTERVAL", "1h"))) {
      String ns = TestEnv.unique("rev");
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      Connection connection = TestEnv.connect(credentials);
      connection.createChannel().queueDeclare("queue/" + ns + "/q", false, false, false, null);

      HttpResponse<Buffer> refused = service.request(io.vertx.core.http.HttpMethod.DELETE, "/namespace/" + ns,
          service.token("pulse:namespace:someone-else")).send().await();
      assertEquals(403, refused.statusCode());
      assertNotNull(record(service, ns), "a refused revocation changes nothing");

      HttpResponse<Buffer> revoked = service.request(io.vertx.core.http.HttpMethod.DELETE, "/namespace/" + ns,
          service.token("pulse:namespace:" + ns)).send().await();
      assertEquals(204, revoked.statusCode(), revoked.bodyAsString());
      assertNull(record(service, ns));
      assertNull(TestEnv.user(service.client, service.username(ns, 1)));
      assertEquals(404, TestEnv.queueStatus(service.client, service.vhost, "queue/" + ns + "/q"));
      TestEnv.eventually(10, "connection closed", () -> !connection.isOpen());
      assertThrows(AuthenticationFailureException.class, () -> TestEnv.connect(credentials).close());

      HttpResponse<Buffer> again = service.request(io.vertx.core.http.HttpMethod.DELETE, "/namespace/" + ns,
          service.token("pulse:namespace:" + ns)).send().await();
      assertEquals(404, again.statusCode());
      assertEquals("ResourceNotFound", again.bodyAsJsonObject().getString("code"));

      String fresh = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      assertNotEquals(credentials, fresh);
      TestEnv.connect(fresh).close();
    }
  }

  @Test
  void reconciliationRestoresUsersAndPermissionsDeletedBehindTheServicesBack(Vertx vertx) throws Exception {
    Map<String, String> settings = Map.of("PULSE_MAINTENANCE_INTERVAL", "300ms", "PULSE_RECONCILE_INTERVAL", "300ms");
    try (RunningService service = RunningService.start(vertx, settings)) {
      String ns = TestEnv.unique("rec");
      service.claim(ns, null);
      // After one rotation both users exist: user 2 active, user 1 in its grace period.
      makeRotationDue(service, ns);
      awaitRotations(service, ns, 1);
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      String user1 = service.username(ns, 1);
      String permissionsPath = "/permissions/" + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(user1);
      TestEnv.management(service.client, "DELETE", "/users/" + TestEnv.encode(user1), null);
      TestEnv.management(service.client, "DELETE", "/users/" + TestEnv.encode(service.username(ns, 2)), null);

      TestEnv.eventually(30, "the issued credentials work again", () -> {
        try {
          TestEnv.connect(credentials).close();
          return true;
        } catch (Exception notYet) {
          return false;
        }
      });
      assertNotNull(TestEnv.user(service.client, user1), "the user in its grace period came back too");
      TestEnv.eventually(10, "permissions restored", () -> TestEnv.management(service.client, "GET",
          permissionsPath, null).statusCode() == 200);

      TestEnv.management(service.client, "PUT", permissionsPath,
          new JsonObject().put("configure", ".*").put("write", ".*").put("read", ".*"));
      TestEnv.eventually(30, "widened permissions narrowed back", () -> TestEnv.management(service.client, "GET",
          permissionsPath, null).bodyAsJsonObject().getString("write").contains(ns));
    }
  }

  @Test
  void changedTemplatesAndTagsReachExistingUsers(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_MAINTENANCE_INTERVAL", "1h"))) {
      String ns = TestEnv.unique("tpl");
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      service.deployment.undeploy().await();
      Map<String, String> changed = new java.util.HashMap<>(service.config.values());
      changed.put("PULSE_PERMISSION_READ", "^(queue/{ns}/.*|exchange/{ns}/.*|exchange/shared/.*)");
      changed.put("PULSE_USER_TAGS", "pulse-managed");
      changed.put("PULSE_RECONCILE_INTERVAL", "300ms");
      PulseDeployment restarted = PulseDeployment.deploy(vertx, io.pulse.config.PulseConfig.fromMap(changed))
          .await();
      try {
        String user = service.username(ns, 1);
        TestEnv.eventually(30, "new template and tags applied", () -> {
          JsonObject permissions = TestEnv.management(service.client, "GET", "/permissions/"
              + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(user), null).bodyAsJsonObject();
          JsonObject found = TestEnv.user(service.client, user);
          return permissions.getString("read").contains("exchange/shared/")
              && found.getValue("tags").toString().contains("pulse-managed");
        });
        TestEnv.connect(credentials).close();
        TestEnv.eventually(30, "the standby user, made by maintenance, has the new template too", () -> {
          HttpResponse<Buffer> permissions = TestEnv.management(service.client, "GET", "/permissions/"
              + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(service.username(ns, 2)), null);
          return permissions.statusCode() == 200
              && permissions.bodyAsJsonObject().getString("read").contains("exchange/shared/");
        });
      } finally {
        restarted.undeploy().await();
      }
    }
  }

  @Test
  void twoReplicasOnOneDatabaseRotateEachNamespaceExactlyOnce(Vertx vertx) throws Exception {
    Vertx other = Vertx.vertx();
    Map<String, String> settings = Map.of("PULSE_MAINTENANCE_INTERVAL", "200ms", "PULSE_RECONCILE_INTERVAL", "1h");
    try (RunningService service = RunningService.start(vertx, settings)) {
      Map<String, String> same = new java.util.HashMap<>(service.config.values());
      PulseDeployment replica = PulseDeployment.deploy(other, io.pulse.config.PulseConfig.fromMap(same)).await();
      try {
        String stem = TestEnv.unique("two");
        int count = 30;
        for (int i = 0; i < count; i++) {
          assertEquals(200, service.claim(stem + "-" + i, null).statusCode());
        }
        // Maintenance makes the standby users first, so each rotation below is one password change.
        TestEnv.eventually(60, "every standby user made", () -> TestEnv.sql(vertx, service.database,
            "SELECT 1 FROM namespaces WHERE name LIKE $1 AND password_2 IS NULL", stem + "-%").isEmpty());
        double putsHere = service.rabbitCalls("PUT");
        double putsThere = puts(replica);
        double postsHere = service.rabbitCalls("POST");
        double postsThere = calls(replica, "POST");
        TestEnv.sql(vertx, service.database,
            "UPDATE namespaces SET next_rotation = now() - interval '1 second' WHERE name LIKE $1", stem + "-%");
        TestEnv.eventually(60, "every namespace rotated", () -> TestEnv.sql(vertx, service.database,
            "SELECT 1 FROM namespaces WHERE name LIKE $1 AND rotations = 0", stem + "-%").isEmpty());
        // Several more sweeps of both replicas: nothing may rotate again.
        service.awaitMaintenanceSweeps(3, "rotation");
        double sweepsThere = sweeps(replica);
        TestEnv.eventually(60, "three more sweeps of the replica", () -> sweeps(replica) >= sweepsThere + 3);
        List<Row> rows = TestEnv.sql(vertx, service.database,
            "SELECT rotations, active_user FROM namespaces WHERE name LIKE $1", stem + "-%");
        assertEquals(count, rows.size());
        rows.forEach(row -> {
          assertEquals(1, (int) row.getInteger("rotations"));
          assertEquals(2, (int) row.getShort("active_user"));
        });
        // A rotation reaches the broker as one password PUT (many at once go in an import); a replica that lost a race
        // would put the database's password back with a PUT of its own, beyond one per namespace.
        double puts = service.rabbitCalls("PUT") - putsHere + puts(replica) - putsThere;
        double posts = service.rabbitCalls("POST") - postsHere + calls(replica, "POST") - postsThere;
        assertTrue(puts <= count, "no replica had to undo a rotation the other made: " + puts + " PUTs");
        assertTrue(puts + posts >= 1);
        // And every namespace's current credentials work: the broker holds what the database says.
        for (int i = 0; i < count; i++) {
          String current = service.claim(stem + "-" + i, null).bodyAsJsonObject().getString("connectionString");
          assertTrue(current.contains(service.username(stem + "-" + i, 2) + ":"));
          TestEnv.connect(current).close();
        }
      } finally {
        replica.undeploy().await();
      }
    } finally {
      other.close().await();
    }
  }

  @Test
  void aDryRunLogsInsteadOfRemovingButStillRotates(Vertx vertx) throws Exception {
    Map<String, String> settings = new java.util.HashMap<>(FAST);
    settings.put("PULSE_DRY_RUN", "true");
    try (RunningService service = RunningService.start(vertx, settings)) {
      String ns = TestEnv.unique("dry");
      String credentials = service.claim(ns, new JsonObject().put("expires", Instant.now().plusSeconds(1).toString()))
          .bodyAsJsonObject().getString("connectionString");
      Connection connection = TestEnv.connect(credentials);
      connection.createChannel().queueDeclare("queue/" + ns + "/kept", false, false, false, null);
      Instant expires = Instant.parse(service.get("/namespace/" + ns).bodyAsJsonObject().getString("expires"));
      TestEnv.eventually(30, "the namespace expired", () -> Instant.now().isAfter(expires));
      service.awaitMaintenanceSweeps(2, "expiry");
      assertTrue(connection.isOpen(), "its connection stays open");
      assertNotNull(TestEnv.user(service.client, service.username(ns, 1)), "its users stay");
      assertEquals(200, TestEnv.queueStatus(service.client, service.vhost, "queue/" + ns + "/kept"), "its queues stay");
      Row row = record(service, ns);
      assertNotNull(row, "its record stays");
      assertEquals(false, row.getBoolean("expiring"), "and it is not even marked");
      assertEquals(200, service.claim(ns, null).statusCode(), "so it can still be claimed");

      makeRotationDue(service, ns);
      awaitRotations(service, ns, 1);
      connection.close();
    }
  }

  // --- helpers --------------------------------------------------------------------------------------------

  private static void makeRotationDue(RunningService service, String ns) {
    TestEnv.sql(service.vertx, service.database,
        "UPDATE namespaces SET next_rotation = now() - interval '1 second' WHERE name = $1", ns);
  }

  private static void awaitRotations(RunningService service, String ns, int rotations) {
    TestEnv.eventually(30, ns + " rotated " + rotations + " time(s)", () -> {
      Row row = record(service, ns);
      return row != null && row.getInteger("rotations") >= rotations;
    });
    assertEquals(rotations, (int) record(service, ns).getInteger("rotations"));
  }

  private static Row record(RunningService service, String ns) {
    List<Row> rows = TestEnv.sql(service.vertx, service.database,
        "SELECT rotations, active_user, expiring FROM namespaces WHERE name = $1", ns);
    return rows.isEmpty() ? null : rows.get(0);
  }

  private static void declareForeignQueue(RunningService service, String name) {
    TestEnv.management(service.client, "PUT", "/queues/" + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(name),
        new JsonObject().put("durable", false).put("auto_delete", false));
  }

  private static double puts(PulseDeployment replica) {
    return calls(replica, "PUT");
  }

  private static double calls(PulseDeployment replica, String method) {
    return replica.meters().find("pulse.rabbit.api").tag("method", method).timers().stream()
        .mapToDouble(io.micrometer.core.instrument.Timer::count).sum();
  }

  private static double sweeps(PulseDeployment replica) {
    return replica.meters().find("pulse.maintenance.sweeps").tags("sweep", "rotation", "outcome", "ok").counters()
        .stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }
}
