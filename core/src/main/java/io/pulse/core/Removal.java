package io.pulse.core;

import io.pulse.client.PulseError;
import io.pulse.config.DryRun;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removing a namespace, top to bottom, for expiry and revocation alike: its record is marked (claims no longer renew
 * it) and leased; its users' connections are closed with a reason the clients see; its users, every
 * {@code queue/<ns>/...} and {@code exchange/<ns>/...} are deleted; the record goes last. Every step is idempotent: a
 * failure half-way gives the lease back and a later sweep finishes the work.
 */
final class Removal {

  private static final Logger log = LoggerFactory.getLogger(Removal.class);
  /** Rows leased at once by an expiry sweep. */
  private static final int BATCH = 1000;
  /** How long a revocation waits for the namespace to be gone before it answers that it is under way. */
  static final long REVOCATION_WAIT_MILLIS = 10_000;
  private final long revocationWaitMillis;
  private static final long GONE_POLL_MILLIS = 200;

  private final Vertx vertx;
  private final PulseConfig config;
  private final Naming naming;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final Leases leases;

  Removal(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, Leases leases) {
    this(vertx, config, store, rabbit, leases, REVOCATION_WAIT_MILLIS);
  }

  Removal(Vertx vertx, PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, Leases leases,
      long revocationWaitMillis) {
    this.revocationWaitMillis = revocationWaitMillis;
    this.vertx = vertx;
    this.config = config;
    this.naming = config.naming();
    this.store = store;
    this.rabbit = rabbit;
    this.leases = leases;
  }

  /** Removes every namespace whose expires plus PULSE_EXPIRY_DELAY has passed; answers how many. */
  Future<Integer> expireDue() {
    boolean dryRun = config.operations().dryRun();
    return leases.with(token -> store.leaseExpiries(BATCH, config.lifecycle().expiryDelay().toSeconds(),
            leases.seconds(), token, !dryRun)
        .compose(batch -> {
          Future<Integer> expired = Lanes.count(batch, record -> remove(record, token, "expired", new DryRun(dryRun))
              .map(true).recover(e -> Future.succeededFuture(false)));
          // A dry run leaves the rows as they are: going round again would find the same ones. So does a batch of
          // which nothing could be removed (the broker refusing): the next tick tries again.
          return expired.compose(n -> batch.size() < BATCH || dryRun || n == 0 ? Future.succeededFuture(n)
              : expireDue().map(m -> n + m));
        }));
  }

  /**
   * Revokes a namespace now: it is marked for removal (durably: from then on claims no longer renew it, and whoever
   * holds its lease — this call, or a maintenance sweep of any replica — removes it). Answers REMOVED once it is gone,
   * whoever removed it, or PENDING when that takes longer than the wait ({@link #REVOCATION_WAIT_MILLIS}) or a step
   * failed (a later sweep finishes it). It is a caller's explicit request, so a dry run does not hold it back. Fails with
   * ResourceNotFound when there is no such namespace.
   */
  Future<NamespaceCore.Revocation> revoke(String name, String by) {
    return store.markExpiring(name, by).compose(record -> {
      if (record == null) {
        return PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + name + "' does not exist");
      }
      String token = leases.open();
      Future<Void> removed = removeOrAwait(name, token, Math.max(1, revocationWaitMillis / GONE_POLL_MILLIS));
      removed.onComplete(ar -> leases.close(token));
      Future<NamespaceCore.Revocation> outcome = removed.map(NamespaceCore.Revocation.REMOVED).recover(e -> {
        log.info("Revocation of namespace {} is under way and will finish later: {}", name, e.getMessage());
        return Future.succeededFuture(NamespaceCore.Revocation.PENDING);
      });
      return Future.any(outcome, vertx.timer(revocationWaitMillis).map(NamespaceCore.Revocation.PENDING))
          .map(any -> outcome.isComplete() ? outcome.result() : NamespaceCore.Revocation.PENDING);
    });
  }

  /**
   * Removes the namespace under a lease of its own; while another holder has it, polls until that holder has removed
   * it (an expiry sweep) or let it go (a rotation or the standby step, which do not remove: then this removal takes
   * the lease and goes on), for at most {@code polls} polls.
   */
  private Future<Void> removeOrAwait(String name, String token, long polls) {
    return store.lease(name, leases.seconds(), token).compose(leased -> {
      if (leased != null) {
        return remove(leased, token, "was revoked", new DryRun(false));
      }
      return store.findAll(List.of(name)).compose(left -> {
        if (left.isEmpty()) {
          return Future.succeededFuture();
        }
        if (polls <= 0) {
          return Future.failedFuture(new IllegalStateException("another holder is still working on it"));
        }
        return vertx.timer(GONE_POLL_MILLIS).compose(v -> removeOrAwait(name, token, polls - 1));
      });
    });
  }

  private Future<Void> remove(NamespaceRecord record, String token, String why, DryRun dryRun) {
    String name = record.name();
    String vhost = config.rabbit().vhost();
    String reason = "Pulse namespace " + name + " " + why;
    // What went with the namespace, for its history (the 'revoked' or 'expired' event before it says why).
    JsonObject removed = new JsonObject();
    return ownUsers(record)
        .compose(users -> leases.guard(token, () -> connectionsOf(users)).compose(theirs -> {
          removed.put("connections", theirs.size());
          return all(token, dryRun, "close connection", theirs,
              connection -> rabbit.closeConnection(connection, reason));
        }).compose(v -> {
          removed.put("users", users.size());
          return all(token, dryRun, "delete user", users, rabbit::deleteUser);
        }))
        // The broker's name filters ignore case: only exact matches are this namespace's.
        .compose(v -> rabbit.listQueueNames(vhost, naming.queueFilter(name)))
        .compose(queues -> {
          List<String> own = only(queues, q -> naming.ownsQueue(name, q));
          removed.put("queues", own.size());
          return all(token, dryRun, "delete queue", own, queue -> rabbit.deleteQueue(vhost, queue));
        })
        .compose(v -> rabbit.listExchangeNames(vhost, naming.exchangeFilter(name)))
        .compose(exchanges -> {
          List<String> own = only(exchanges, e -> naming.ownsExchange(name, e));
          removed.put("exchanges", own.size());
          return all(token, dryRun, "delete exchange", own, exchange -> rabbit.deleteExchange(vhost, exchange));
        })
        .compose(v -> {
          if (dryRun.isOn()) {
            log.info("DRY RUN: would delete the record of namespace {} ({})", name, why);
            return store.release(name, token);
          }
          return store.deleteExpired(name, token, removed).map(deleted -> {
            log.info("Namespace {} {}: users, connections, queues, exchanges and record removed", name, why);
            return null;
          });
        })
        .recover(e -> {
          log.warn("Removal of namespace {} stopped half-way; a later sweep finishes it: {}", name, e.getMessage());
          return store.release(name, token).transform(ar -> Future.failedFuture(e));
        });
  }

  /** The names of the open connections of these users on the service's vhost (one call per user, not per vhost). */
  private Future<List<String>> connectionsOf(List<String> users) {
    String vhost = config.rabbit().vhost();
    return Future.all(users.stream().map(rabbit::userConnections).toList()).map(all -> {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < users.size(); i++) {
        for (Object item : all.<JsonArray>resultAt(i)) {
          JsonObject connection = (JsonObject) item;
          if (users.get(i).equals(connection.getString("user")) && vhost.equals(connection.getString("vhost"))) {
            names.add(connection.getString("name"));
          }
        }
      }
      return names;
    });
  }

  /** The namespace's users that exist and are the service's own: never a user somebody else made. */
  private Future<List<String>> ownUsers(NamespaceRecord record) {
    List<String> names = List.of(naming.username(record.name(), 1), naming.username(record.name(), 2));
    List<Future<JsonObject>> users = names.stream().map(rabbit::getUser).toList();
    return Future.all(users).map(all -> {
      List<String> own = new ArrayList<>();
      for (int n = 1; n <= 2; n++) {
        JsonObject user = all.resultAt(n - 1);
        if (naming.isOwnUser(user, !record.usersMarked() && record.hasUser(n))) {
          own.add(names.get(n - 1));
        } else if (user != null) {
          log.warn("Removal of namespace {} leaves RabbitMQ user {} alone: this service did not make it",
              record.name(), names.get(n - 1));
        }
      }
      return own;
    });
  }

  private static List<String> only(List<String> names, java.util.function.Predicate<String> owned) {
    return names.stream().filter(owned).toList();
  }

  /** Every step on every target, each only while the lease is surely held (and, in a dry run, only logged). */
  private Future<Void> all(String token, DryRun dryRun, String what, List<String> targets,
      Function<String, Future<Void>> act) {
    return Future.all(targets.stream().map(target -> dryRun.guard(what + " " + target,
        () -> leases.guard(token, () -> act.apply(target)))).toList()).mapEmpty();
  }
}
