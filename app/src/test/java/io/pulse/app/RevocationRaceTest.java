package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Revocations racing the maintenance sweep for the same rows: a caller hears 204 (gone) or 202 (being removed, GET
 * answers 404 once done), never a 503 for work that is being done.
 */
@ExtendWith(VertxExtension.class)
class RevocationRaceTest {

  @Test
  void revocationsRacingTheExpirySweepAreAnswered204Or202AndEveryNamespaceGoes(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_MAINTENANCE_INTERVAL", "200ms",
        "PULSE_EXPIRY_DELAY", "0s", "PULSE_REVOCATIONS_PER_SECOND", "0"))) {
      String stem = TestEnv.unique("race");
      String token = service.token("pulse:namespace:" + stem + "*");
      List<String> names = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        names.add(stem + i);
        service.post("/namespace/" + stem + i, "{}", token);
      }
      // Every one is due for expiry now: the sweep leases them while the revocations arrive.
      TestEnv.sql(vertx, service.database, "UPDATE namespaces SET expires = now() - interval '1 second' WHERE name"
          + " LIKE $1", stem + "%");
      Set<Integer> statuses = new TreeSet<>();
      for (int i = 0; i < names.size(); i += 8) {
        List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
        for (String ns : names.subList(i, i + 8)) {
          batch.add(service.request(HttpMethod.DELETE, "/namespace/" + ns, token).send());
        }
        Future.join(batch).await();
        batch.forEach(answer -> statuses.add(answer.result().statusCode()));
      }
      assertTrue(Set.of(204, 202, 404).containsAll(statuses), "gone, being removed, or already gone: " + statuses);
      TestEnv.eventually(60, "every namespace removed", () -> TestEnv.sql(vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name LIKE $1", stem + "%").isEmpty());
      for (String ns : names) {
        assertTrue(service.get("/namespace/" + ns).statusCode() == 404);
      }
    }
  }
}
