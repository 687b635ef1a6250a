package io.pulse.api.impl;

import io.pulse.config.Names;
import io.pulse.config.PulseConfig;
import io.pulse.config.PulseError;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What RabbitMQ lacks: expiring credentials. Rotation, expiry (and revocation) and reconciliation of namespaces,
 * with the database as the truth. Replicas share the work by leasing rows; each step is idempotent, so a crash or a
 * broker error half-way is finished by a later sweep.
 */
final class Lifecycle {

  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  /** Longer than any step takes; a lease outlives its holder only when the holder died. */
  static final long LEASE_SECONDS = 120;
  /** Rows leased at once; the next lease is taken when a batch is done, so a large batch keeps every lane busy. */
  private static final int BATCH = 1000;
  /** Namespaces worked on at once; above the rabbit client's 16 connections, so database round trips overlap its calls. */
  private static final int IN_FLIGHT = 32;
  private static final int PAGE = 500;

  private final Vertx vertx;
  private final PulseConfig config;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final Credentials credentials;

  Lifecycle(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.rabbit = rabbit;
    this.credentials = new Credentials(config);
  }

  // --- Rotation -------------------------------------------------------------------------------------------

  /** Rotates every namespace whose rotation is due; answers how many rotated. */
  Future<Integer> rotateDue() {
    String token = UUID.randomUUID().toString();
    return store.leaseRotations(BATCH, LEASE_SECONDS, token).compose(batch -> {
      Future<Integer> rotated = forEach(batch, record -> rotate(record, token));
      return batch.size() < BATCH ? rotated : rotated.compose(n -> rotateDue().map(m -> n + m));
    });
  }

  /**
   * The standby user gets a fresh password (one management call: permissions do not change; two at the first
   * rotation, which creates it) and becomes active.
   * The previously active user keeps its password until the next rotation, so credentials reclaimed by reclaimAt
   * never stop working.
   */
  private Future<Boolean> rotate(NamespaceRecord record, String token) {
    String name = record.name();
    int standby = record.standbyUser();
    String user = credentials.username(name, standby);
    String password = Credentials.newPassword();
    // The standby user is made at the first rotation: then it needs its permissions too.
    Future<Void> put = rabbit.putUser(user, password, config.userTags());
    if (!record.hasUser(standby)) {
      put = put.compose(v -> rabbit.putPermissions(config.vhost(), user, credentials.permissions(name)));
    }
    return put
        .compose(v -> store.completeRotation(name, token, standby, password, config.rotationInterval().toSeconds()))
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
                  ? rabbit.putUser(user, current.password(standby), config.userTags()).map(false)
                  : rabbit.deleteUser(user).map(false));
        })
        .recover(e -> {
          log.warn("Rotation of {} failed; a later sweep retries: {}", name, e.getMessage());
          return store.release(name, token).transform(ar -> Future.succeededFuture(false));
        });
  }

  // --- Expiry and revocation -----------------------------------------------------------------------------

  /** Removes every namespace whose expires plus PULSE_EXPIRY_DELAY has passed; answers how many. */
  Future<Integer> expireDue() {
    String token = UUID.randomUUID().toString();
    boolean dryRun = config.dryRun();
    return store.leaseExpiries(BATCH, config.expiryDelay().toSeconds(), LEASE_SECONDS, token, !dryRun)
        .compose(batch -> {
          Future<Integer> expired = forEach(batch, record -> expire(record, token, "expired", dryRun)
              .map(true).recover(e -> Future.succeededFuture(false)));
          // A dry run leaves the rows as they are: going round again would find the same ones.
          return batch.size() < BATCH || dryRun ? expired : expired.compose(n -> expireDue().map(m -> n + m));
        });
  }

  /** Revokes a namespace now: the same removal as expiry. Fails with 404 when there is no such namespace. */
  Future<Void> revoke(String name) {
    return store.markExpiring(name).compose(record -> {
      if (record == null) {
        return PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + name + "' does not exist");
      }
      String token = UUID.randomUUID().toString();
      return leaseWithin(name, token, 25).compose(leased -> leased == null
          ? PulseError.SERVICE_UNAVAILABLE.<Void>fail("Namespace '" + name + "' is busy; it is marked for removal and"
              + " the next maintenance sweep removes it")
          : expire(leased, token, "was revoked", false));
    });
  }

  private Future<NamespaceRecord> leaseWithin(String name, String token, int attempts) {
    return store.lease(name, LEASE_SECONDS, token).compose(record -> record != null || attempts <= 1
        ? Future.succeededFuture(record)
        : vertx.timer(200).compose(t -> leaseWithin(name, token, attempts - 1)));
  }

  /**
   * Closes the users' connections (with a reason the clients see), deletes both users, then every
   * {@code queue/<ns>/...} and {@code exchange/<ns>/...} of the vhost, and the record last. Every step is idempotent;
   * on failure the lease is given back and a later sweep finishes the work.
   */
  private Future<Void> expire(NamespaceRecord record, String token, String why, boolean dryRun) {
    String name = record.name();
    String vhost = config.vhost();
    Set<String> users = Set.of(credentials.username(name, 1), credentials.username(name, 2));
    String reason = "Pulse namespace " + name + " " + why;
    String escaped = Names.escapeRegex(name);
    return rabbit.listConnections(vhost)
        .compose(connections -> {
          List<String> theirs = new ArrayList<>();
          connections.forEach(c -> {
            JsonObject connection = (JsonObject) c;
            if (users.contains(connection.getString("user"))) {
              theirs.add(connection.getString("name"));
            }
          });
          return destroy(dryRun, "close connection", theirs, connection -> rabbit.closeConnection(connection, reason));
        })
        .compose(v -> destroy(dryRun, "delete user", new ArrayList<>(users), rabbit::deleteUser))
        .compose(v -> rabbit.listQueueNames(vhost, "^queue/" + escaped + "/"))
        .compose(queues -> destroy(dryRun, "delete queue", queues, queue -> rabbit.deleteQueue(vhost, queue)))
        .compose(v -> rabbit.listExchangeNames(vhost, "^exchange/" + escaped + "/"))
        .compose(exchanges -> destroy(dryRun, "delete exchange", exchanges,
            exchange -> rabbit.deleteExchange(vhost, exchange)))
        .compose(v -> {
          if (dryRun) {
            log.info("DRY RUN: would delete the record of namespace {} ({})", name, why);
            return store.release(name, token);
          }
          return store.deleteExpired(name, token).map(deleted -> {
            log.info("Namespace {} {}: users, connections, queues, exchanges and record removed", name, why);
            return null;
          });
        })
        .recover(e -> {
          log.warn("Removal of namespace {} stopped half-way; a later sweep finishes it: {}", name, e.getMessage());
          return store.release(name, token).transform(ar -> Future.failedFuture(PulseError.translate(e,
              "the RabbitMQ admin service")));
        });
  }

  private Future<Void> destroy(boolean dryRun, String what, List<String> targets, Function<String, Future<Void>> act) {
    if (dryRun) {
      targets.forEach(target -> log.info("DRY RUN: would {} {}", what, target));
      return Future.succeededFuture();
    }
    return Future.all(targets.stream().map(act).toList()).mapEmpty();
  }

  // --- Reconciliation ------------------------------------------------------------------------------------

  /**
   * Restores the users, passwords, tags and permissions of every live namespace where RabbitMQ differs from the
   * database (a broker reset, a manual change, new templates or tags in the configuration). Reads the broker with two
   * calls and changes only what differs; answers how many namespaces it repaired.
   */
  Future<Integer> reconcile() {
    return Future.all(rabbit.listUsers(), rabbit.listPermissions(config.vhost())).compose(both -> {
      Map<String, JsonObject> users = index(both.resultAt(0), "name");
      Map<String, JsonObject> permissions = index(both.resultAt(1), "user");
      return reconcilePage(null, users, permissions, 0);
    });
  }

  private Future<Integer> reconcilePage(String after, Map<String, JsonObject> users,
      Map<String, JsonObject> permissions, int repaired) {
    return store.all(PAGE, after).compose(page -> {
      List<NamespaceRecord> drifted = new ArrayList<>();
      for (NamespaceRecord record : page) {
        if (record.provisioned() && !record.expiring() && !inStep(record, users, permissions)) {
          drifted.add(record);
        }
      }
      Future<Integer> fixed = forEach(drifted, record -> repair(record.name()));
      if (page.size() < PAGE) {
        return fixed.map(n -> repaired + n);
      }
      String last = page.get(page.size() - 1).name();
      return fixed.compose(n -> reconcilePage(last, users, permissions, repaired + n));
    });
  }

  private boolean inStep(NamespaceRecord record, Map<String, JsonObject> users, Map<String, JsonObject> permissions) {
    for (int n = 1; n <= 2; n++) {
      if (record.hasUser(n) && (!userInStep(record, n, users) || !permissionsInStep(record.name(), n, permissions))) {
        return false;
      }
    }
    return true;
  }

  private boolean userInStep(NamespaceRecord record, int n, Map<String, JsonObject> users) {
    JsonObject user = users.get(credentials.username(record.name(), n));
    return user != null
        && PasswordHashes.matches(user.getString("password_hash"), user.getString("hashing_algorithm"),
            record.password(n))
        && tags(user.getValue("tags")).equals(new HashSet<>(config.userTags()));
  }

  private boolean permissionsInStep(String name, int n, Map<String, JsonObject> permissions) {
    JsonObject actual = permissions.get(credentials.username(name, n));
    JsonObject expected = credentials.permissions(name);
    return actual != null
        && expected.getString("configure").equals(actual.getString("configure"))
        && expected.getString("write").equals(actual.getString("write"))
        && expected.getString("read").equals(actual.getString("read"));
  }

  /**
   * Under a lease, so a rotation cannot interleave: re-reads the record and the two users from the broker (the
   * sweep's listing may predate a rotation) and puts back only what still differs.
   */
  private Future<Boolean> repair(String name) {
    String token = UUID.randomUUID().toString();
    return store.lease(name, LEASE_SECONDS, token).compose(record -> {
      if (record == null || record.expiring() || !record.provisioned()) {
        return record == null ? Future.succeededFuture(false) : store.release(name, token).map(false);
      }
      List<Future<Boolean>> users = new ArrayList<>();
      for (int n = 1; n <= 2; n++) {
        if (record.hasUser(n)) {
          users.add(repairUser(record, n));
        }
      }
      return Future.all(users).map(all -> {
        boolean changed = false;
        for (int i = 0; i < users.size(); i++) {
          changed |= all.<Boolean>resultAt(i);
        }
        if (changed) {
          log.info("Reconciled namespace {}: RabbitMQ users and permissions restored from the database", name);
        }
        return changed;
      }).eventually(() -> store.release(name, token));
    }).recover(e -> {
      log.warn("Reconciliation of {} failed; the next sweep retries: {}", name, e.getMessage());
      return Future.succeededFuture(false);
    });
  }

  private Future<Boolean> repairUser(NamespaceRecord record, int n) {
    String user = credentials.username(record.name(), n);
    return rabbit.getUser(user).compose(current -> {
      Future<Boolean> put = current != null && userInStep(record, n, Map.of(user, current))
          ? Future.succeededFuture(false)
          : rabbit.putUser(user, record.password(n), config.userTags()).map(true);
      return put.compose(userChanged -> rabbit.getPermissions(config.vhost(), user).compose(permissions ->
          permissions != null && permissionsInStep(record.name(), n, Map.of(user, permissions))
              ? Future.succeededFuture(userChanged)
              : rabbit.putPermissions(config.vhost(), user, credentials.permissions(record.name())).map(true)));
    });
  }

  private static Set<String> tags(Object value) {
    Set<String> tags = new HashSet<>();
    if (value instanceof JsonArray) {
      ((JsonArray) value).forEach(tag -> tags.add(String.valueOf(tag)));
    } else if (value instanceof String && !((String) value).isBlank()) {
      for (String tag : ((String) value).split(",")) {
        tags.add(tag.trim());
      }
    }
    return tags;
  }

  private static Map<String, JsonObject> index(JsonArray items, String key) {
    Map<String, JsonObject> map = new HashMap<>();
    items.forEach(item -> map.put(((JsonObject) item).getString(key), (JsonObject) item));
    return map;
  }

  /** Runs {@code step} over the items, at most IN_FLIGHT at a time; answers how many answered true. */
  private static <T> Future<Integer> forEach(List<T> items, Function<T, Future<Boolean>> step) {
    Iterator<T> next = items.iterator();
    List<Future<Integer>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(IN_FLIGHT, items.size()); i++) {
      lanes.add(lane(next, step, 0));
    }
    return Future.all(lanes).map(all -> {
      int total = 0;
      for (int i = 0; i < lanes.size(); i++) {
        total += all.<Integer>resultAt(i);
      }
      return total;
    });
  }

  private static <T> Future<Integer> lane(Iterator<T> next, Function<T, Future<Boolean>> step, int done) {
    if (!next.hasNext()) {
      return Future.succeededFuture(done);
    }
    return step.apply(next.next()).compose(ok -> lane(next, step, done + (ok ? 1 : 0)));
  }
}
