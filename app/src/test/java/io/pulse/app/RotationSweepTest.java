package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AuthenticationFailureException;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A sweep over more namespaces than one chunk holds (the sweep leases and checks them 500 at a time) rotates
 * every one of them, against the real broker and database, and the usual rules hold for each: the standby is handed
 * out, the old password works until the rotation after, then it is refused.
 */
@ExtendWith(VertxExtension.class)
class RotationSweepTest {

  /** Above one chunk of the sweep (500 namespaces), so the sweep works through more than one. */
  private static final int NAMESPACES = 510;

  @Test
  void aSweepOfManyDueNamespacesRotatesAllAndRetiresOldPasswordsOneRotationLater(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_MAINTENANCE_INTERVAL", "300ms",
        "PULSE_RECONCILE_INTERVAL", "1h"))) {
      String prefix = TestEnv.unique("sweep") + "-";
      List<String> names = new ArrayList<>();
      List<String> first = new ArrayList<>();
      for (int i = 0; i < NAMESPACES; i++) {
        names.add(prefix + i);
        first.add(service.claim(prefix + i, null).bodyAsJsonObject().getString("connectionString"));
      }
      // Maintenance makes the standby users first (in imports, or one PUT each when few), so each rotation below is a
      // password change.
      TestEnv.eventually(60, "every standby user made", () -> TestEnv.sql(service.vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name LIKE $1 AND password_2 IS NULL", prefix + "%").isEmpty());
      double puts = service.rabbitCalls("PUT");
      double posts = service.rabbitCalls("POST");

      makeDue(service, prefix);
      awaitRotations(service, prefix, 1);
      // Two lanes lease up to a chunk (500) each, side by side, so how the 510 split between them varies from run to
      // run (their rows all fall due at once). A lane with 50 or more goes in one import, one with fewer (fewer than an
      // import pays for) one PUT each: two imports and no PUT, or one import and the few the other lane leased.
      double changed = service.rabbitCalls("PUT") - puts;
      double imports = service.rabbitCalls("POST") - posts;
      assertTrue(imports == 2 && changed == 0 || imports == 1 && changed > 0 && changed < 50,
          "two imports, or one import and fewer than 50 single PUTs; got " + imports + " import(s) and " + changed
              + " PUT(s)");
      List<String> second = new ArrayList<>();
      for (int i = 0; i < NAMESPACES; i++) {
        String reclaimed = service.claim(names.get(i), null).bodyAsJsonObject().getString("connectionString");
        assertTrue(reclaimed.contains(service.username(names.get(i), 2) + ":"), "the standby is handed out");
        second.add(reclaimed);
        TestEnv.connect(reclaimed).close();
        TestEnv.connect(first.get(i)).close();
      }

      makeDue(service, prefix);
      awaitRotations(service, prefix, 2);
      for (int i = 0; i < NAMESPACES; i++) {
        String old = first.get(i);
        assertThrows(AuthenticationFailureException.class, () -> TestEnv.connect(old).close(),
            "the first password is refused after the second rotation");
        TestEnv.connect(second.get(i)).close();
        String third = service.claim(names.get(i), null).bodyAsJsonObject().getString("connectionString");
        assertTrue(third.contains(service.username(names.get(i), 1) + ":"));
        TestEnv.connect(third).close();
      }
    }
  }

  private static void makeDue(RunningService service, String prefix) {
    TestEnv.sql(service.vertx, service.database,
        "UPDATE namespaces SET next_rotation = now() - interval '1 second' WHERE name LIKE $1", prefix + "%");
  }

  private static void awaitRotations(RunningService service, String prefix, int rotations) {
    TestEnv.eventually(60, "every namespace rotated " + rotations + " time(s)", () -> TestEnv.sql(service.vertx,
        service.database, "SELECT count(*) FROM namespaces WHERE name LIKE $1 AND rotations >= $2", prefix + "%",
        rotations).get(0).getLong(0) == NAMESPACES);
    assertEquals(NAMESPACES, TestEnv.sql(service.vertx, service.database,
        "SELECT count(*) FROM namespaces WHERE name LIKE $1 AND rotations = $2", prefix + "%", rotations)
        .get(0).getLong(0), "each exactly " + rotations + " time(s)");
  }
}
