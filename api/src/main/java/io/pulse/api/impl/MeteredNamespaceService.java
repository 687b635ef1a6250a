package io.pulse.api.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.api.NamespaceService;
import io.pulse.config.PulseError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * Counts what the namespace service answers, for REST and event-bus callers alike: {@code pulse_claims_total{outcome}}
 * and {@code pulse_revocations_total{outcome}}, outcome being {@code ok} or the error code. Every series is registered
 * at start, so all are there (at 0) from the first scrape.
 */
final class MeteredNamespaceService implements NamespaceService {

  private final NamespaceService service;
  private final Map<String, Counter> claims = new HashMap<>();
  private final Map<String, Counter> revocations = new HashMap<>();

  MeteredNamespaceService(NamespaceService service, MeterRegistry meters) {
    this.service = service;
    register(meters, "pulse.claims", "Namespace claims answered, by outcome", claims);
    register(meters, "pulse.revocations", "Namespace revocations answered, by outcome", revocations);
  }

  private static void register(MeterRegistry meters, String name, String description, Map<String, Counter> into) {
    into.put("ok", Counter.builder(name).description(description).tag("outcome", "ok").register(meters));
    for (PulseError error : PulseError.values()) {
      into.put(error.code(), Counter.builder(name).description(description).tag("outcome", error.code())
          .register(meters));
    }
  }

  private static <T> Future<T> count(Future<T> answer, Map<String, Counter> counters) {
    return answer.onComplete(ar ->
        counters.get(ar.succeeded() ? "ok" : PulseError.of(ar.cause()).code()).increment());
  }

  @Override
  public Future<JsonObject> claimNamespace(String namespace, JsonObject payload) {
    return count(service.claimNamespace(namespace, payload), claims);
  }

  @Override
  public Future<Void> revokeNamespace(String namespace) {
    return count(service.revokeNamespace(namespace), revocations);
  }

  @Override
  public Future<JsonObject> namespace(String namespace) {
    return service.namespace(namespace);
  }

  @Override
  public Future<JsonObject> listNamespaces(JsonObject query) {
    return service.listNamespaces(query);
  }
}
