package io.pulse.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pulse_maintenance_sweeps_total{sweep, outcome}}: completed maintenance sweeps, so an operator can alert when
 * sweeps stop succeeding (and tests can wait for sweeps instead of sleeping).
 */
final class SweepCounters {

  private static final List<String> SWEEPS = List.of("rotation", "expiry", "standby", "reconciliation", "history");
  private final Map<String, Counter> counters = new HashMap<>();

  SweepCounters(MeterRegistry meters) {
    for (String sweep : SWEEPS) {
      for (String outcome : List.of("ok", "failed")) {
        counters.put(sweep + outcome, Counter.builder("pulse.maintenance.sweeps")
            .description("Maintenance sweeps completed by this instance, by kind and outcome")
            .tag("sweep", sweep).tag("outcome", outcome).register(meters));
      }
    }
  }

  void count(String sweep, boolean ok) {
    counters.get(sweep + (ok ? "ok" : "failed")).increment();
  }
}
