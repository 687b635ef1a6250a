package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.config.PulseConfig;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Row;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A copy of the database reveals no broker password; keys change with the service running; a wrong key stops it. */
@ExtendWith(VertxExtension.class)
class SecretsAtRestTest {

  private static final String KEY_1 = "a2V5LW9uZS1vZi10aGlydHktdHdvLWJ5dGVzLS0tLS0=";
  private static final String KEY_2 = "a2V5LXR3by1vZi10aGlydHktdHdvLWJ5dGVzLS0tLS0=";
  private static final String KEY_3 = "a2V5LXRocmVlLW9mLXRoaXJ0eS10d28tYnl0ZXMtLS0=";

  @Test
  void storedPasswordsAreSealedAndNeverInClear(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx)) {
      String ns = TestEnv.unique("sealed");
      String password = password(service.claim(ns, null).bodyAsJsonObject());
      String stored = stored(service, ns);
      assertTrue(stored.startsWith("v1:"), stored);
      assertFalse(stored.contains(password), "the database holds no clear password");
    }
  }

  @Test
  void keysChangeWithTheServiceRunningAndEveryIssuedCredentialKeepsWorking(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_SECRET_KEY", KEY_1,
        "PULSE_MAINTENANCE_INTERVAL", "1s"))) {
      List<String> issued = new ArrayList<>();
      List<String> namespaces = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String ns = TestEnv.unique("rekey");
        namespaces.add(ns);
        issued.add(service.claim(ns, null).bodyAsJsonObject().getString("connectionString"));
      }
      // Maintenance makes each namespace's standby user (and seals its password) right after the claim; with that
      // done, no replica writes a password while the keys change (rotations are an hour away).
      TestEnv.eventually(60, "the standby users made", () -> TestEnv.sql(service.vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name = ANY($1) AND password_2 IS NOT NULL",
          (Object) namespaces.toArray(new String[0])).size() == namespaces.size());
      // A second replica that already knows the next key (it only decrypts with it) keeps serving throughout.
      Vertx otherVertx = Vertx.vertx();
      PulseDeployment replica = PulseDeployment.deploy(otherVertx,
          with(service.config, "PULSE_SECRET_KEY", KEY_1, "PULSE_SECRET_KEY_OLD", KEY_2), false).await();
      try {
        // The first replica restarts with the new key: at start it seals every stored password again with it.
        service.deployment.undeploy().await();
        PulseDeployment restarted = PulseDeployment.deploy(vertx,
            with(service.config, "PULSE_SECRET_KEY", KEY_2, "PULSE_SECRET_KEY_OLD", KEY_1)).await();
        try {
          for (String ns : namespaces) {
            String stored = stored(service, ns);
            assertFalse(stored.startsWith(keyPrefix(service, KEY_1)), "resealed under the new key: " + stored);
          }
          for (int i = 0; i < namespaces.size(); i++) {
            TestEnv.connect(issued.get(i)).close();
            JsonObject again = io.pulse.client.NamespaceService.createProxy(otherVertx, 30_000)
                .claimNamespace(namespaces.get(i), null).await();
            assertEquals(issued.get(i), again.getString("connectionString"), "the replica still reads every row");
          }
        } finally {
          restarted.undeploy().await();
        }
        // And with the new key only, once every replica has it.
        PulseDeployment last = PulseDeployment.deploy(vertx, with(service.config, "PULSE_SECRET_KEY", KEY_2)).await();
        try {
          for (int i = 0; i < namespaces.size(); i++) {
            TestEnv.connect(issued.get(i)).close();
          }
        } finally {
          last.undeploy().await();
        }
      } finally {
        replica.undeploy().await();
        otherVertx.close().await();
      }
    }
  }

  @Test
  void passwordsStoredInClearBeforeEncryptionAreSealedAtStart(Vertx vertx) throws Exception {
    Map<String, String> plaintext = new HashMap<>();
    plaintext.put("PULSE_SECRET_KEY", null);
    plaintext.put("PULSE_ALLOW_PLAINTEXT_SECRETS", "true");
    try (RunningService service = RunningService.start(vertx, plaintext)) {
      String ns = TestEnv.unique("legacy");
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      assertEquals(password(credentials), stored(service, ns), "in clear, as older versions stored them");
      service.deployment.undeploy().await();

      PulseDeployment sealed = PulseDeployment.deploy(vertx, with(service.config, "PULSE_SECRET_KEY", KEY_1,
          "PULSE_ALLOW_PLAINTEXT_SECRETS", "false")).await();
      try {
        assertTrue(stored(service, ns).startsWith("v1:"), "sealed at start");
        TestEnv.connect(credentials).close();
      } finally {
        sealed.undeploy().await();
      }
    }
  }

  @Test
  void aWrongKeyStopsTheStartAndResetsNothing(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_SECRET_KEY", KEY_1))) {
      String ns = TestEnv.unique("wrongkey");
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      String before = stored(service, ns);
      service.deployment.undeploy().await();

      Exception failure = assertThrows(Exception.class, () -> PulseDeployment.deploy(vertx,
          with(service.config, "PULSE_SECRET_KEY", KEY_3)).await());
      assertTrue(failure.getMessage().contains("PULSE_SECRET_KEY"), failure.getMessage());
      assertEquals(before, stored(service, ns), "nothing was rewritten");
      TestEnv.connect(credentials).close();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static PulseConfig with(PulseConfig config, String... pairs) {
    Map<String, String> changes = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      changes.put(pairs[i], pairs[i + 1]);
    }
    changes.putIfAbsent("PULSE_SECRET_KEY_OLD", null);
    return config.with(changes);
  }

  private static String stored(RunningService service, String ns) {
    Row row = TestEnv.sql(service.vertx, service.database, "SELECT password_1 FROM namespaces WHERE name = $1", ns)
        .get(0);
    return row.getString(0);
  }

  private static String keyPrefix(RunningService service, String key) {
    return "v1:" + io.pulse.config.SecretsConfig.Key.parse(key, "test").id() + ":";
  }

  private static String password(JsonObject claim) {
    return password(claim.getString("connectionString"));
  }

  private static String password(String connectionString) {
    return URI.create(connectionString).getUserInfo().split(":", 2)[1];
  }
}
