package io.pulse.core;

import io.pulse.client.Dates;
import io.pulse.client.PulseError;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A claim, top to bottom: the input is checked; the record is inserted or renewed in one statement (concurrent first
 * claims, on one replica or several, end with one record and the same password); a new namespace's active user and
 * its permissions are made in RabbitMQ; the record is then marked provisioned and the credentials answered. Every step
 * is idempotent, so a failure half-way leaves an invisible record that the next claim finishes.
 */
final class Claims {

  private static final Logger log = LoggerFactory.getLogger(Claims.class);

  private final PulseConfig config;
  private final Naming naming;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final Credentials credentials;
  /** Provisionings in flight on this instance, so concurrent claims of one new namespace share one. */
  private final Map<String, Future<NamespaceRecord>> provisioning = new HashMap<>();

  Claims(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit) {
    this.config = config;
    this.naming = config.naming();
    this.store = store;
    this.rabbit = rabbit;
    this.credentials = new Credentials(config.rabbit().amqpUrl());
  }

  /** What a claim answers, and whether it made the namespace (a first claim, or the end of a half-done one). */
  record Claimed(JsonObject answer, boolean created) {
  }

  /** Claims a namespace; {@code by} (the caller) is recorded in the history of a namespace it makes. */
  Future<Claimed> claim(String namespace, JsonObject payload, String by) {
    Validation.namespace(namespace, naming.namespacePrefix());
    if (naming.isReserved(namespace)) {
      return PulseError.INVALID_NAMESPACE.fail("Namespace '" + namespace + "' is reserved: the service publishes its"
          + " queue events to " + naming.eventsExchange() + ", which only the service may write to");
    }
    Validation.Claim claim = Validation.claim(payload, Instant.now(), config.lifecycle().claimDuration(),
        config.lifecycle().maxClaimDuration());
    // No password: the store makes one only for a new record, so a renewal neither makes nor seals one.
    return store.claim(namespace, Dates.iso(claim.expires()), claim.contact(), null,
            config.lifecycle().rotationInterval().toSeconds())
        .compose(record -> record.provisioned()
            ? Future.succeededFuture(new Claimed(answer(record), false))
            : provision(record, by).map(made -> new Claimed(answer(made), true)));
  }

  /**
   * Makes the active user and its permissions, then marks the record provisioned; the standby user is made at the
   * first rotation, when it is first needed. Neither user name may be held by a user the service did not make (else the
   * claim is refused and leaves nothing behind). The active user is created only if absent ({@code If-None-Match}), in
   * parallel with the read of the standby's name, so a new namespace costs the broker one read and two writes; a user
   * already there (a half-done claim, another replica's) is read and adopted only if it is the service's own. Other
   * replicas repeat the same idempotent calls.
   */
  private Future<NamespaceRecord> provision(NamespaceRecord record, String by) {
    String name = record.name();
    Future<NamespaceRecord> inFlight = provisioning.get(name);
    if (inFlight != null) {
      return inFlight;
    }
    StandbyHold.firstClaim();
    int active = record.activeUser();
    String user = naming.username(name, active);
    int standby = record.standbyUser();
    Future<Boolean> created = rabbit.createUser(user, record.password(active), naming.userTags());
    Future<JsonObject> standbyFound = rabbit.getUser(naming.username(name, standby));
    Future<NamespaceRecord> done = Future.all(created, standbyFound)
        .compose(both -> {
          if (!owned(record, standby, standbyFound.result())) {
            // Made here a moment ago (or already the service's): only a user it made is ever deleted.
            Future<Void> undo = created.result() ? rabbit.deleteUser(user) : Future.succeededFuture();
            return undo.transform(ar -> refuse(record, standby));
          }
          if (created.result()) {
            return Future.succeededFuture();
          }
          return rabbit.getUser(user).compose(current -> owned(record, active, current)
              ? rabbit.putUser(user, record.password(active), naming.userTags())
              : refuse(record, active));
        })
        .compose(v -> rabbit.putPermissions(config.rabbit().vhost(), user, naming.permissions(name)))
        .compose(v -> store.markProvisioned(name, by))
        .onSuccess(r -> log.info("Namespace {} created: user {} on vhost {}", name, user, config.rabbit().vhost()))
        .onFailure(e -> log.warn("Namespace {} not yet created; the next claim retries: {}", name, e.getMessage()));
    provisioning.put(name, done);
    done.onComplete(ar -> {
      provisioning.remove(name);
      StandbyHold.firstClaim();
    });
    return done;
  }

  /** Whether user {@code n} of the record is free or the service's own. */
  private boolean owned(NamespaceRecord record, int n, JsonObject user) {
    return user == null || naming.isOwnUser(user, !record.usersMarked() && record.hasUser(n));
  }

  /** Forgets the record and refuses the claim: user {@code n}'s name is held by a user the service did not make. */
  private <T> Future<T> refuse(NamespaceRecord record, int n) {
    String name = record.name();
    String taken = naming.username(name, n);
    log.warn("Claim of namespace {} refused: RabbitMQ user {} exists and was not made by this service", name, taken);
    return store.forgetUnprovisioned(name).transform(ar -> PulseError.REQUEST_CONFLICT.fail("RabbitMQ user '"
        + taken + "' already exists and was not made by this service, so namespace '" + name + "' cannot be"
        + " claimed here; choose another name, or ask the broker's operator about that user"));
  }

  /** The credentials of the active user, and when to claim again. */
  private JsonObject answer(NamespaceRecord record) {
    int active = record.activeUser();
    return NamespaceCore.summary(record)
        .put("connectionString", credentials.connectionString(naming.username(record.name(), active),
            record.password(active)))
        .put("reclaimAt", Dates.iso(reclaimAt(record, config.lifecycle().rotationInterval())));
  }

  /**
   * When a caller should claim again: the next rotation plus half an interval. The standby user it then gets was made
   * active by that rotation, and the user it held stays valid until the rotation after.
   */
  static Instant reclaimAt(NamespaceRecord record, Duration rotationInterval) {
    return record.nextRotation().plus(rotationInterval.dividedBy(2));
  }
}
