package io.pulse.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.client.PulseError;
import io.vertx.core.Future;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code pulse_claims_total{outcome}} and {@code pulse_revocations_total{outcome}}: every answer, {@code ok} or its
 * error code, whoever gave it (the REST server counts its own refusals too: bad JSON, credentials, scopes, limits).
 * Every series is registered at once, so each is there (at 0) from start-up.
 */
public final class Outcomes {

  private final Map<String, Counter> counters = new HashMap<>();

  private Outcomes(MeterRegistry meters, String name, String description) {
    counters.put("ok", Counter.builder(name).description(description).tag("outcome", "ok").register(meters));
    for (PulseError error : PulseError.values()) {
      counters.put(error.code(), Counter.builder(name).description(description).tag("outcome", error.code())
          .register(meters));
    }
  }

  public static Outcomes claims(MeterRegistry meters) {
    return new Outcomes(meters, "pulse.claims", "Namespace claims answered, by outcome");
  }

  public static Outcomes revocations(MeterRegistry meters) {
    return new Outcomes(meters, "pulse.revocations", "Namespace revocations answered, by outcome");
  }

  /** Counts how {@code answer} ends. */
  public <T> Future<T> count(Future<T> answer) {
    return answer.onComplete(ar -> count(ar.succeeded() ? null : ar.cause()));
  }

  /** Counts an answer: {@code null} for ok, else its failure. */
  public void count(Throwable failure) {
    counters.get(failure == null ? "ok" : PulseError.of(failure).code()).increment();
  }
}
