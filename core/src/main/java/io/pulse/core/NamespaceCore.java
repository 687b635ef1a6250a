package io.pulse.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.client.Dates;
import io.pulse.client.NamespaceService;
import io.pulse.client.PulseError;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace service itself: claims, reads, lists and revocations, keeping the database (the truth) and RabbitMQ in
 * step. Served on the event bus by {@link NamespaceVerticle} and called in process by the REST server, so both kinds
 * of callers get the same rules, the same error codes ({@link PulseError#coded}) and the same outcome counters
 * ({@code pulse_claims_total}, {@code pulse_revocations_total}). One instance lives on one event loop.
 */
public final class NamespaceCore implements NamespaceService {

  private static final Logger log = LoggerFactory.getLogger(NamespaceCore.class);

  private final String namespacePrefix;
  private final NamespaceStore store;
  private final Claims claims;
  private final Removal removal;
  private final Map<String, Counter> claimOutcomes;
  private final Map<String, Counter> revocationOutcomes;

  private NamespaceCore(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit,
      MeterRegistry meters) {
    this.namespacePrefix = config.naming().namespacePrefix();
    this.store = store;
    this.claims = new Claims(config, store, rabbit);
    this.removal = new Removal(vertx, config, store, rabbit);
    this.claimOutcomes = outcomes(meters, "pulse.claims", "Namespace claims answered, by outcome");
    this.revocationOutcomes = outcomes(meters, "pulse.revocations", "Namespace revocations answered, by outcome");
  }

  /** A namespace service for the calling verticle's event loop, reaching storage and RabbitMQ over the event bus. */
  public static NamespaceCore create(Vertx vertx, PulseConfig config, MeterRegistry meters) {
    return create(vertx, config, NamespaceStore.createProxy(vertx, config.database().busTimeoutMillis()),
        RabbitAdmin.createProxy(vertx, config.rabbit().busTimeoutMillis()), meters);
  }

  /** A namespace service over the given storage and RabbitMQ administration (tests give small fakes). */
  public static NamespaceCore create(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit,
      MeterRegistry meters) {
    return new NamespaceCore(vertx, config, store, rabbit, meters);
  }

  @Override
  public Future<JsonObject> claimNamespace(String namespace, JsonObject payload) {
    return counted(claimOutcomes, answer(() -> claims.claim(namespace, payload)));
  }

  @Override
  public Future<Void> revokeNamespace(String namespace) {
    return counted(revocationOutcomes, answer(() -> {
      Validation.namespace(namespace, namespacePrefix);
      return removal.revoke(namespace);
    }));
  }

  @Override
  public Future<JsonObject> namespace(String namespace) {
    return answer(() -> {
      Validation.namespace(namespace, namespacePrefix);
      return store.find(namespace).compose(record -> record == null
          ? PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + namespace + "' does not exist")
          : Future.succeededFuture(summary(record)));
    });
  }

  @Override
  public Future<JsonObject> listNamespaces(JsonObject query) {
    return answer(() -> {
      Validation.ListQuery q = Validation.list(query);
      return store.list(q.limit() + 1, q.after()).map(records -> {
        List<NamespaceRecord> page = records.size() > q.limit() ? records.subList(0, q.limit()) : records;
        JsonArray namespaces = new JsonArray();
        page.forEach(record -> namespaces.add(summary(record)));
        JsonObject answer = new JsonObject().put("namespaces", namespaces);
        if (records.size() > q.limit()) {
          answer.put("continuationToken", Validation.token(page.get(page.size() - 1).name()));
        }
        return answer;
      });
    });
  }

  /** What every read answers about a namespace. */
  static JsonObject summary(NamespaceRecord record) {
    return new JsonObject()
        .put("namespace", record.name())
        .put("created", Dates.iso(record.created()))
        .put("expires", Dates.iso(record.expires()));
  }

  /** Runs a call, turning a refused input (thrown) and any failure into the coded failure its caller sees. */
  private <T> Future<T> answer(Supplier<Future<T>> call) {
    Future<T> result;
    try {
      result = call.get();
    } catch (ServiceException e) {
      result = Future.failedFuture(e);
    }
    return result.recover(e -> {
      ServiceException coded = PulseError.coded(e);
      if (coded != e && PulseError.of(e) == PulseError.INTERNAL) {
        log.error("Unexpected failure in the namespace service", e);
      }
      return Future.failedFuture(coded);
    });
  }

  private static <T> Future<T> counted(Map<String, Counter> outcomes, Future<T> answer) {
    return answer.onComplete(ar -> outcomes.get(ar.succeeded() ? "ok" : PulseError.of(ar.cause()).code()).increment());
  }

  /** Counters for {@code ok} and every error code, registered at once so every series is there from start-up. */
  private static Map<String, Counter> outcomes(MeterRegistry meters, String name, String description) {
    Map<String, Counter> counters = new HashMap<>();
    counters.put("ok", Counter.builder(name).description(description).tag("outcome", "ok").register(meters));
    for (PulseError error : PulseError.values()) {
      counters.put(error.code(), Counter.builder(name).description(description).tag("outcome", error.code())
          .register(meters));
    }
    return counters;
  }
}
