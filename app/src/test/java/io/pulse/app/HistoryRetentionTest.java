package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Maintenance prunes the history past PULSE_HISTORY_RETENTION, and expired exemptions, after each reconciliation. */
@ExtendWith(VertxExtension.class)
class HistoryRetentionTest {

  @Test
  void eventsOlderThanTheRetentionAndExpiredExemptionsArePrunedRecentOnesKept(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_HISTORY_RETENTION", "1h",
        "PULSE_RECONCILE_INTERVAL", "300ms", "PULSE_MAINTENANCE_INTERVAL", "1h"))) {
      String ns = TestEnv.unique("hist");
      // Written straight into PostgreSQL, as the store would have written them two hours and one minute ago.
      TestEnv.sql(vertx, service.database, "INSERT INTO history (namespace, event, first_at, at, detail) VALUES "
          + "($1, 'queue-warned', now() - interval '2 hours', now() - interval '2 hours', '{\"queue\": \"old\"}'), "
          + "($1, 'queue-normal', now() - interval '1 minute', now() - interval '1 minute', '{\"queue\": \"recent\"}')",
          ns);
      TestEnv.sql(vertx, service.database, "INSERT INTO queue_exemptions (queue, namespace, reason, expires, created_by)"
          + " VALUES ($1, $2, 'over', now() - interval '1 second', 'test'), ($3, $2, 'current', now() + interval '1 hour',"
          + " 'test')", "queue/" + ns + "/expired", ns, "queue/" + ns + "/current");

      service.awaitMaintenanceSweeps(2, "history");

      assertEquals(List.of("queue-normal"), TestEnv.sql(vertx, service.database,
          "SELECT event FROM history WHERE namespace = $1 ORDER BY id", ns).stream().map(r -> r.getString(0)).toList(),
          "the event of two hours ago is gone, the one of a minute ago kept");
      assertEquals(List.of("queue/" + ns + "/current"), TestEnv.sql(vertx, service.database,
          "SELECT queue FROM queue_exemptions WHERE namespace = $1", ns).stream().map(r -> r.getString(0)).toList());
      assertEquals(0.0, service.count("pulse.maintenance.sweeps", "sweep", "history", "outcome", "failed"));
    }
  }
}
