package io.pulse.core;

import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;


import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Password rotation: RabbitMQ has no expiring credentials, so each namespace's standby user gets a fresh password and
 * becomes active once an interval; the previously active user keeps its password until the rotation after, so
 * credentials reclaimed by {@code reclaimAt} never stop working.
 */
final class Rotation {

  private static final Logger log = LoggerFactory.getLogger(Rotation.class);
  /** Rows leased at once; the next lease is taken when a batch is done, so a large batch keeps every lane busy. */
  private static final int BATCH = 1000;

  private final PulseConfig config;
  private final Naming naming;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final Leases leases;

  Rotation(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, Leases leases) {
    this.config = config;
    this.naming = config.naming();
    this.store = store;
    this.rabbit = rabbit;
    this.leases = leases;
  }

  /** Rotates every namespace whose rotation is due; answers how many rotated. */
  Future<Integer> rotateDue() {
    return leases.with(token -> store.leaseRotations(BATCH, leases.seconds(), token).compose(batch -> {
      Future<Integer> rotated = Lanes.count(batch, record -> rotate(record, token));
      return batch.size() < BATCH ? rotated : rotated.compose(n -> rotateDue().map(m -> n + m));
    }));
  }

  /**
   * The standby user gets a fresh password (permissions do not change; the first rotation creates it and grants
   * them) and becomes active; the rotation is recorded only under the lease. A standby name held by a user the
   * service did not make is never touched.
   */
  private Future<Boolean> rotate(NamespaceRecord record, String token) {
    String name = record.name();
    int standby = record.standbyUser();
    String user = naming.username(name, standby);
    String password = Credentials.newPassword();
    Future<Void> put = rabbit.getUser(user).compose(current -> {
      if (current != null && !naming.isOwnUser(current, !record.usersMarked() && record.hasUser(standby))) {
        return Future.failedFuture(new IllegalStateException("RabbitMQ user " + user + " exists and was not made by"
            + " this service; the namespace cannot rotate until the broker's operator removes that user"));
      }
      return leases.guard(token, () -> rabbit.putUser(user, password, naming.userTags()));
    });
    if (!record.hasUser(standby)) {
      // The standby user is made at the first rotation: then it needs its permissions too.
      put = put.compose(v -> leases.guard(token,
          () -> rabbit.putPermissions(config.rabbit().vhost(), user, naming.permissions(name))));
    }
    return put
        .compose(v -> store.completeRotation(name, token, standby, password,
            config.lifecycle().rotationInterval().toSeconds()))
        .compose(done -> {
          if (done != null) {
            log.info("Rotated namespace {}: {} is active (rotation {})", name, user, done.rotations());
            return Future.succeededFuture(true);
          }
          // The lease was lost (or the namespace is being removed): put back what the database says.
          log.warn("Rotation of {} lost its lease; restoring {} from the database", name, user);
          return store.find(name).compose(current -> current == null || current.expiring()
              ? Future.succeededFuture(false)
              : current.hasUser(standby)
                  ? rabbit.putUser(user, current.password(standby), naming.userTags()).map(false)
                  : rabbit.deleteUser(user).map(false));
        })
        .recover(e -> {
          log.warn("Rotation of {} failed; a later sweep retries: {}", name, e.getMessage());
          return store.release(name, token).transform(ar -> Future.succeededFuture(false));
        });
  }
}
