package io.pulse.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.client.Dates;
import io.pulse.client.NamespaceService;
import io.pulse.client.PulseError;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
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
  /** Who the history names for calls over the event bus (trusted, co-deployed code). */
  static final String BUS = "bus";

  private final String namespacePrefix;
  private final NamespaceStore store;
  private final Claims claims;
  private final Removal removal;
  private final SelfService owners;
  private final Outcomes claimOutcomes;
  private final Outcomes revocationOutcomes;

  private NamespaceCore(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, QueueStates states,
      History history, MeterRegistry meters) {
    this.namespacePrefix = config.naming().namespacePrefix();
    this.store = store;
    this.claims = new Claims(config, store, rabbit);
    this.removal = new Removal(vertx, config, store, rabbit, new Leases(vertx, store));
    this.owners = new SelfService(config, store, rabbit, states, history);
    this.claimOutcomes = Outcomes.claims(meters);
    this.revocationOutcomes = Outcomes.revocations(meters);
  }

  /** A namespace service for the calling verticle's event loop, reaching storage and RabbitMQ over the event bus. */
  public static NamespaceCore create(Vertx vertx, PulseConfig config, MeterRegistry meters) {
    long db = config.database().busTimeoutMillis();
    return create(vertx, config, NamespaceStore.createProxy(vertx, db),
        RabbitAdmin.createProxy(vertx, config.rabbit().busTimeoutMillis()), QueueStates.createProxy(vertx, db),
        History.createProxy(vertx, db), meters);
  }

  /** A namespace service over the given storage and RabbitMQ administration (tests give small fakes). */
  public static NamespaceCore create(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit,
      QueueStates states, History history, MeterRegistry meters) {
    return new NamespaceCore(vertx, config, store, rabbit, states, history, meters);
  }

  /** What a claim answers, and whether it made the namespace (its first claim, or the end of a half-done one). */
  public record Claim(JsonObject answer, boolean created) {
  }

  /** Claims a namespace for {@code by} (uncounted: the REST server counts every answer it gives). */
  public Future<Claim> claim(String namespace, JsonObject payload, String by) {
    return answer(() -> claims.claim(namespace, payload, by).map(c -> new Claim(c.answer(), c.created())));
  }

  /** How a revocation ended: the namespace is gone, or its removal is under way and a sweep will finish it. */
  public enum Revocation { REMOVED, PENDING }

  /** Revokes a namespace for {@code by} (uncounted). */
  public Future<Revocation> revoke(String namespace, String by) {
    return answer(() -> {
      Validation.namespace(namespace, namespacePrefix);
      return removal.revoke(namespace, by);
    });
  }

  /** Whether a namespace exists (provisioned): a claim of it would renew, not create. */
  public Future<Boolean> exists(String namespace) {
    return answer(() -> store.find(Validation.namespace(namespace, namespacePrefix)).map(record -> record != null));
  }

  @Override
  public Future<JsonObject> claimNamespace(String namespace, JsonObject payload) {
    return claimOutcomes.count(claim(namespace, payload, BUS).map(Claim::answer));
  }

  /** Succeeds once the revocation is recorded: the namespace is gone, or will be (see {@link #revoke}). */
  @Override
  public Future<Void> revokeNamespace(String namespace) {
    return revocationOutcomes.count(revoke(namespace, BUS).mapEmpty());
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

  // --- owners' self-service ---------------------------------------------------------------------------------

  @Override
  public Future<JsonObject> namespaceDetails(String namespace) {
    return owned(namespace, () -> owners.details(namespace));
  }

  @Override
  public Future<JsonObject> updateNamespace(String namespace, JsonObject changes) {
    return updateNamespace(namespace, changes, BUS);
  }

  /** Changes an owner's settings; {@code by} names the caller in the history. */
  public Future<JsonObject> updateNamespace(String namespace, JsonObject changes, String by) {
    return owned(namespace, () -> owners.update(namespace, changes, by));
  }

  @Override
  public Future<JsonObject> namespaceQueues(String namespace, JsonObject query) {
    return owned(namespace, () -> owners.queues(namespace, query));
  }

  @Override
  public Future<JsonObject> namespaceConnections(String namespace) {
    return owned(namespace, () -> owners.connections(namespace));
  }

  @Override
  public Future<Void> deleteQueue(String namespace, String queue) {
    return deleteQueue(namespace, queue, BUS);
  }

  /** Deletes one of the namespace's queues; {@code by} names the caller in the history. */
  public Future<Void> deleteQueue(String namespace, String queue, String by) {
    return owned(namespace, () -> owners.deleteQueue(namespace, queue, by));
  }

  @Override
  public Future<JsonObject> purgeQueue(String namespace, String queue) {
    return purgeQueue(namespace, queue, BUS);
  }

  /** Purges one of the namespace's queues; {@code by} names the caller in the history. */
  public Future<JsonObject> purgeQueue(String namespace, String queue, String by) {
    return owned(namespace, () -> owners.purgeQueue(namespace, queue, by));
  }

  @Override
  public Future<JsonObject> namespaceHistory(String namespace, JsonObject query) {
    return owned(namespace, () -> owners.history(namespace, query));
  }

  /**
   * The live namespaces of these exact names and of names with these prefixes (a caller's scopes), by name, at most
   * {@code limit}, each as {@link #namespaceDetails} answers it: {@code {"namespaces": [...], "more": boolean}}.
   */
  public Future<JsonObject> namespacesOf(List<String> names, List<String> prefixes, int limit) {
    return answer(() -> {
      List<Future<List<NamespaceRecord>>> found = new ArrayList<>();
      found.add(names.isEmpty() ? Future.succeededFuture(List.of()) : store.findAll(names));
      prefixes.forEach(prefix -> found.add(store.listWithPrefix(prefix, limit + 1, null)));
      return Future.all(found).map(all -> {
        TreeMap<String, NamespaceRecord> byName = new TreeMap<>();
        for (int i = 0; i < found.size(); i++) {
          for (NamespaceRecord record : all.<List<NamespaceRecord>>resultAt(i)) {
            if (record.provisioned() && !record.expiring()) {
              byName.put(record.name(), record);
            }
          }
        }
        JsonArray namespaces = new JsonArray();
        byName.values().stream().limit(limit).forEach(record -> namespaces.add(owners.details(record)));
        return new JsonObject().put("namespaces", namespaces).put("more", byName.size() > limit);
      });
    });
  }

  private <T> Future<T> owned(String namespace, Supplier<Future<T>> call) {
    return answer(() -> {
      Validation.namespace(namespace, namespacePrefix);
      return call.get();
    });
  }

  /** What every read answers about a namespace. */
  static JsonObject summary(NamespaceRecord record) {
    return new JsonObject()
        .put("namespace", record.name())
        .put("created", Dates.iso(record.created()))
        .put("expires", Dates.iso(record.expires()));
  }

  /** Runs a call, turning a refused input, a bug and any failure into the coded failure its caller sees. */
  private <T> Future<T> answer(Supplier<Future<T>> call) {
    return Calls.coded(log, "the namespace service", call);
  }
}
