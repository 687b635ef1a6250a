package io.pulse.api.impl;

import io.pulse.api.NamespaceService;
import io.pulse.config.PulseConfig;
import io.pulse.config.PulseError;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims, reads and lists namespaces by keeping the database (the truth) and RabbitMQ in step. Runs on the
 * namespace verticle's event loop, so the map of provisionings in flight needs no locking.
 */
final class NamespaceServiceImpl implements NamespaceService {

  private static final Logger log = LoggerFactory.getLogger(NamespaceServiceImpl.class);

  private final PulseConfig config;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final Lifecycle lifecycle;
  private final Credentials credentials;
  private final String reservedNamespace;
  private final Map<String, Future<NamespaceRecord>> provisioning = new HashMap<>();

  NamespaceServiceImpl(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, Lifecycle lifecycle) {
    this.config = config;
    this.store = store;
    this.rabbit = rabbit;
    this.lifecycle = lifecycle;
    this.credentials = new Credentials(config);
    this.reservedNamespace = ownerOf(config.eventsExchange());
  }

  /** {@code x} when the events exchange is {@code exchange/x/...}: a namespace x could write to it. */
  private static String ownerOf(String exchange) {
    if (!exchange.startsWith("exchange/")) {
      return null;
    }
    int slash = exchange.indexOf('/', "exchange/".length());
    return slash < 0 ? null : exchange.substring("exchange/".length(), slash);
  }

  @Override
  public Future<Void> revokeNamespace(String namespace) {
    return validated(() -> {
      Validation.namespace(namespace, config.namespacePrefix());
      return lifecycle.revoke(namespace)
          .recover(e -> Future.failedFuture(PulseError.translate(e, "the store service")));
    });
  }

  @Override
  public Future<JsonObject> claimNamespace(String namespace, JsonObject payload) {
    return validated(() -> {
      Validation.namespace(namespace, config.namespacePrefix());
      if (namespace.equals(reservedNamespace)) {
        return PulseError.INVALID_NAMESPACE.fail("Namespace '" + namespace + "' is reserved: the service publishes its"
            + " queue events to " + config.eventsExchange() + ", which only the service may write to");
      }
      Validation.Claim claim = Validation.claim(payload, Instant.now(), config.claimDuration());
      return store.claim(namespace, claim.expires().toString(), claim.contact(), Credentials.newPassword(),
              config.rotationInterval().toSeconds())
          .recover(e -> Future.failedFuture(PulseError.translate(e, "the store service")))
          .compose(record -> record.provisioned() ? Future.succeededFuture(record) : provision(record))
          .map(this::claimAnswer);
    });
  }

  @Override
  public Future<JsonObject> namespace(String namespace) {
    return validated(() -> {
      Validation.namespace(namespace, config.namespacePrefix());
      return store.find(namespace)
          .recover(e -> Future.failedFuture(PulseError.translate(e, "the store service")))
          .compose(record -> record == null
              ? PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + namespace + "' does not exist")
              : Future.succeededFuture(summary(record)));
    });
  }

  @Override
  public Future<JsonObject> listNamespaces(JsonObject query) {
    return validated(() -> {
      Validation.ListQuery q = Validation.list(query);
      return store.list(q.limit() + 1, q.after())
          .recover(e -> Future.failedFuture(PulseError.translate(e, "the store service")))
          .map(records -> {
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

  /**
   * Creates the active user and its permissions (two management calls), then marks the record provisioned; the
   * standby user is made at the first rotation, when it is first needed. Every step is idempotent, so a failure
   * half-way leaves an invisible record that the next claim finishes. Concurrent claims of one namespace on this
   * instance share one provisioning; other replicas repeat the same idempotent calls.
   */
  private Future<NamespaceRecord> provision(NamespaceRecord record) {
    String name = record.name();
    Future<NamespaceRecord> inFlight = provisioning.get(name);
    if (inFlight != null) {
      return inFlight;
    }
    String user = credentials.username(name, record.activeUser());
    Future<NamespaceRecord> done = rabbit.putUser(user, record.password(record.activeUser()), config.userTags())
        .compose(v -> rabbit.putPermissions(config.vhost(), user, credentials.permissions(name)))
        .recover(e -> Future.failedFuture(PulseError.translate(e, "the RabbitMQ admin service")))
        .compose(v -> store.markProvisioned(name)
            .recover(e -> Future.failedFuture(PulseError.translate(e, "the store service"))))
        .onSuccess(r -> log.info("Namespace {} created: user {} on vhost {}", name, user, config.vhost()))
        .onFailure(e -> log.warn("Namespace {} not yet created; the next claim retries: {}", name, e.getMessage()));
    provisioning.put(name, done);
    done.onComplete(ar -> provisioning.remove(name));
    return done;
  }

  private JsonObject claimAnswer(NamespaceRecord record) {
    int active = record.activeUser();
    Instant reclaimAt = record.nextRotation().plus(config.rotationInterval().dividedBy(2));
    return summary(record)
        .put("connectionString", credentials.connectionString(credentials.username(record.name(), active),
            record.password(active)))
        .put("reclaimAt", iso(reclaimAt));
  }

  private static JsonObject summary(NamespaceRecord record) {
    return new JsonObject()
        .put("namespace", record.name())
        .put("created", iso(record.created()))
        .put("expires", iso(record.expires()));
  }

  /** Taskcluster's date format: ISO 8601 in UTC with milliseconds. */
  static String iso(Instant instant) {
    return ISO_MILLIS.format(instant);
  }

  private static final java.time.format.DateTimeFormatter ISO_MILLIS =
      java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

  private static <T> Future<T> validated(Supplier<Future<T>> work) {
    try {
      return work.get();
    } catch (ServiceException e) {
      return Future.failedFuture(e);
    }
  }
}
