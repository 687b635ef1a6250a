package io.pulse.core;

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

import java.util.List;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace service itself: claims, reads, lists and revocations, keeping the database (the truth) and RabbitMQ in
 * step. Served on the event bus by {@link NamespaceVerticle} (its {@link NamespaceService} methods count their
 * outcomes) and called in process by the REST server (through {@link #claim}, {@link #revoke} and {@link #exists},
 * which tell it what the bus contract does not, and which it counts itself), so both kinds of callers get the same
 * rules and the same error codes ({@link PulseError#coded}). One instance lives on one event loop.
 */
public final class NamespaceCore implements NamespaceService {

  private static final Logger log = LoggerFactory.getLogger(NamespaceCore.class);

  private final String namespacePrefix;
  private final NamespaceStore store;
  private final Claims claims;
  private final Removal removal;
  private final Outcomes claimOutcomes;
  private final Outcomes revocationOutcomes;

  private NamespaceCore(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit,
      MeterRegistry meters) {
    this.namespacePrefix = config.naming().namespacePrefix();
    this.store = store;
    this.claims = new Claims(config, store, rabbit);
    this.removal = new Removal(vertx, config, store, rabbit, new Leases(vertx, store));
    this.claimOutcomes = Outcomes.claims(meters);
    this.revocationOutcomes = Outcomes.revocations(meters);
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

  /** What a claim answers, and whether it made the namespace (its first claim, or the end of a half-done one). */
  public record Claim(JsonObject answer, boolean created) {
  }

  /** Claims a namespace (uncounted: the REST server counts every answer it gives). */
  public Future<Claim> claim(String namespace, JsonObject payload) {
    return answer(() -> claims.claim(namespace, payload).map(c -> new Claim(c.answer(), c.created())));
  }

  /** How a revocation ended: the namespace is gone, or its removal is under way and a sweep will finish it. */
  public enum Revocation { REMOVED, PENDING }

  /** Revokes a namespace (uncounted). */
  public Future<Revocation> revoke(String namespace) {
    return answer(() -> {
      Validation.namespace(namespace, namespacePrefix);
      return removal.revoke(namespace);
    });
  }

  /** Whether a namespace exists (provisioned): a claim of it would renew, not create. */
  public Future<Boolean> exists(String namespace) {
    return answer(() -> store.find(Validation.namespace(namespace, namespacePrefix)).map(record -> record != null));
  }

  @Override
  public Future<JsonObject> claimNamespace(String namespace, JsonObject payload) {
    return claimOutcomes.count(claim(namespace, payload).map(Claim::answer));
  }

  /** Succeeds once the revocation is recorded: the namespace is gone, or will be (see {@link #revoke}). */
  @Override
  public Future<Void> revokeNamespace(String namespace) {
    return revocationOutcomes.count(revoke(namespace).mapEmpty());
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

  /**
   * Runs a call, turning a refused input (thrown), a bug (thrown too) and any failure into the coded failure its
   * caller sees.
   */
  private <T> Future<T> answer(Supplier<Future<T>> call) {
    Future<T> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
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
}
