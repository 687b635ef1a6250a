package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Connection;
import io.pulse.client.NamespaceService;
import io.pulse.config.RolesConfig.Role;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.net.URI;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PULSE_ROLES: what a deployment runs beside storage and the RabbitMQ administration. Each replica has a Vert.x
 * instance of its own (as separate processes would), all on one database, vhost and user prefix.
 */
@ExtendWith(VertxExtension.class)
class RolesTest {

  /** Sweeps every 300 ms wherever maintenance and the monitor run. */
  private static final Map<String, String> FAST_SWEEPS = Map.of(
      "PULSE_MONITOR_INTERVAL", "300ms",
      "PULSE_MAINTENANCE_INTERVAL", "300ms",
      "PULSE_RECONCILE_INTERVAL", "300ms");

  private static Map<String, String> with(Map<String, String> base, String... more) {
    Map<String, String> settings = new java.util.HashMap<>(base);
    for (int i = 0; i < more.length; i += 2) {
      settings.put(more[i], more[i + 1]);
    }
    return settings;
  }

  @Test
  void theNamespaceRoleAloneServesTheBusAndNeverSweeps(Vertx vertx) throws Exception {
    Vertx witnessVertx = Vertx.vertx();
    Vertx sweeperVertx = Vertx.vertx();
    try (RunningService service = RunningService.start(vertx, with(FAST_SWEEPS, "PULSE_ROLES", "namespaces"));
        RunningService witness = RunningService.start(witnessVertx, FAST_SWEEPS)) {
      assertEquals(EnumSet.of(Role.NAMESPACES), service.deployment.roles());
      assertEquals(-1, service.deployment.httpPort(), "no REST server without the api role");
      assertTrue(service.deployment.meters().find("pulse.monitor.sweeps").counters().isEmpty(), "no monitor");
      assertTrue(service.deployment.meters().find("pulse.maintenance.sweeps").counters().isEmpty(), "no maintenance");

      NamespaceService bus = NamespaceService.createProxy(vertx, 30_000);
      String ns = TestEnv.unique("only");
      JsonObject claimed = bus.claimNamespace(ns, null).await();
      TestEnv.connect(claimed.getString("connectionString")).close();
      // What the monitor deletes (an orphan queue) and maintenance restores (a user deleted behind its back).
      String orphan = "queue/" + TestEnv.unique("ghost") + "/left";
      try (Connection admin = adminConnection(service)) {
        admin.createChannel().queueDeclare(orphan, true, false, false, null);
      }
      String user = service.username(ns, 1);
      TestEnv.management(service.client, "DELETE", "/users/" + TestEnv.encode(user), null);

      // The witness, with every role, sweeps its own vhost at the same pace: time enough for several sweeps here.
      witness.awaitMonitorSweeps(3, "ok");
      witness.awaitMaintenanceSweeps(3, "reconciliation");
      assertEquals(200, TestEnv.queueStatus(service.client, service.vhost, orphan), "no monitor deleted the orphan");
      assertNull(TestEnv.user(service.client, user), "no maintenance restored the user");

      // The same vhost with maintenance and the monitor deployed: both happen, so the checks above could fail.
      PulseDeployment sweeper = PulseDeployment.deploy(sweeperVertx,
          service.config.with(Map.of("PULSE_ROLES", "maintenance,monitor"))).await();
      try {
        TestEnv.eventually(60, "the orphan queue deleted",
            () -> TestEnv.queueStatus(service.client, service.vhost, orphan) == 404);
        TestEnv.eventually(60, "the user restored", () -> TestEnv.user(service.client, user) != null);
      } finally {
        sweeper.undeploy().await();
      }
    } finally {
      witnessVertx.close().await();
      sweeperVertx.close().await();
    }
  }

  @Test
  void restOnlyReplicasAndAMaintenanceReplicaShareOneDatabase(Vertx vertx) {
    Vertx secondRestVertx = Vertx.vertx();
    Vertx maintenanceVertx = Vertx.vertx();
    try (RunningService rest = RunningService.start(vertx,
        with(FAST_SWEEPS, "PULSE_ROLES", "api", "PULSE_EXPIRY_DELAY", "0s", "PULSE_ROTATION_INTERVAL", "2s"))) {
      PulseDeployment secondRest = PulseDeployment.deploy(secondRestVertx, rest.config).await();
      PulseDeployment maintenance = PulseDeployment.deploy(maintenanceVertx,
          rest.config.with(Map.of("PULSE_ROLES", "maintenance"))).await();
      try {
        assertEquals(EnumSet.of(Role.API), rest.deployment.roles());
        assertEquals(EnumSet.of(Role.MAINTENANCE), maintenance.roles());
        assertEquals(-1, maintenance.httpPort());
        ReplyException noBus = assertInstanceOf(ReplyException.class, assertThrows(Exception.class,
            () -> NamespaceService.createProxy(vertx, 5_000).namespace("x").await()));
        assertEquals(ReplyFailure.NO_HANDLERS, noBus.failureType(), "the api role serves no bus service");

        // A claim on one REST replica, renewed on the other: one record, the same credentials.
        String ns = TestEnv.unique("split");
        String first = rest.claim(ns, null).bodyAsJsonObject().getString("connectionString");
        HttpResponse<Buffer> renewed = rest.client.post(secondRest.httpPort(), "127.0.0.1",
            "/api/pulse/v1/namespace/" + ns).putHeader("Authorization", "Bearer " + rest.token("pulse:namespace:" + ns))
            .sendJsonObject(new JsonObject()).await();
        assertEquals(200, renewed.statusCode(), renewed.bodyAsString());
        assertEquals(first, renewed.bodyAsJsonObject().getString("connectionString"));

        // The maintenance replica rotates it: the REST replicas hand out the other user from then on.
        String firstUser = URI.create(first).getUserInfo().split(":")[0];
        TestEnv.eventually(60, "a rotation made by the maintenance replica", () -> {
          String now = rest.claim(ns, null).bodyAsJsonObject().getString("connectionString");
          return !URI.create(now).getUserInfo().split(":")[0].equals(firstUser);
        });

        // ... and removes what expires, users included.
        String brief = TestEnv.unique("brief");
        assertEquals(200, rest.claim(brief, new JsonObject()
            .put("expires", Instant.now().plusSeconds(2).toString())).statusCode());
        TestEnv.eventually(60, "the expired namespace removed by the maintenance replica",
            () -> rest.get("/namespace/" + brief).statusCode() == 404
                && TestEnv.users(rest.client, rest.username(brief, 1)).isEmpty());
        assertTrue(maintenance.meters().find("pulse.expirations").counter().count() >= 1);
        assertTrue(rest.deployment.meters().find("pulse.expirations").counters().isEmpty(),
            "the REST replica runs no maintenance");
      } finally {
        secondRest.undeploy().await();
        maintenance.undeploy().await();
      }
    } finally {
      secondRestVertx.close().await();
      maintenanceVertx.close().await();
    }
  }

  private static Connection adminConnection(RunningService service) throws Exception {
    return TestEnv.connect(TestEnv.amqpUrl(service.vhost)
        .replace("amqp://", "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"));
  }
}
