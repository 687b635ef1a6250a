package io.pulse.core;

import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

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
  /**
   * Namespaces whose new passwords go to the broker in one import: an import costs the broker tens of milliseconds
   * however small, then well under a millisecond per user, so imports are made large.
   */
  static final int CHUNK = 500;
  /** Chunks under way at once, so one chunk's owner checks and database writes overlap the other's import. */
  static final int CHUNKS_AT_ONCE = 2;

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
      List<List<NamespaceRecord>> chunks = new ArrayList<>();
      for (int i = 0; i < batch.size(); i += CHUNK) {
        chunks.add(batch.subList(i, Math.min(batch.size(), i + CHUNK)));
      }
      Future<Integer> rotated = Lanes.map(chunks, CHUNKS_AT_ONCE, chunk -> rotate(chunk, token))
          .map(counts -> counts.stream().mapToInt(Integer::intValue).sum());
      return batch.size() < BATCH ? rotated : rotated.compose(n -> rotateDue().map(m -> n + m));
    }));
  }

  /**
   * Rotates a chunk of leased namespaces: each standby user's owner is checked (a standby name held by a user the
   * service did not make is never touched), the others get fresh passwords in one import (at a namespace's first
   * rotation the standby user is made, with its permissions, in the same import), and each rotation is then recorded
   * under the lease.
   */
  /** Password changes of existing standby users in flight at once, as many as the bare benchmark's client makes. */
  static final int PASSWORD_CHANGES_AT_ONCE = 16;

  private Future<Integer> rotate(List<NamespaceRecord> chunk, String token) {
    List<String> standbyNames = chunk.stream().map(this::standbyName).toList();
    return rabbit.findUsers(standbyNames).compose(current -> {
      List<NamespaceRecord> rotating = new ArrayList<>();
      List<String> passwords = new ArrayList<>();
      JsonArray users = new JsonArray();
      List<Future<Void>> refused = new ArrayList<>();
      for (int i = 0; i < chunk.size(); i++) {
        NamespaceRecord record = chunk.get(i);
        int standby = record.standbyUser();
        String user = standbyName(record);
        JsonObject found = current.getJsonObject(user);
        if (found != null && !naming.isOwnUser(found, !record.usersMarked() && record.hasUser(standby))) {
          log.warn("Rotation of {} failed; a later sweep retries: RabbitMQ user {} exists and was not made by this"
              + " service; the namespace cannot rotate until the broker's operator removes that user", record.name(),
              user);
          refused.add(store.release(record.name(), token).otherwiseEmpty());
          continue;
        }
        String password = Credentials.newPassword();
        rotating.add(record);
        passwords.add(password);
        JsonObject entry = new JsonObject().put("name", user).put("password", password);
        if (!record.hasUser(standby)) {
          // The standby user is made at the first rotation: then it needs its permissions too.
          entry.put("permissions", naming.permissions(record.name()));
        }
        users.add(entry);
      }
      return Future.join(refused).transform(ignored -> put(users, token)).compose(changed -> {
        List<NamespaceRecord> done = new ArrayList<>();
        List<String> donePasswords = new ArrayList<>();
        List<NamespaceRecord> failed = new ArrayList<>();
        for (int i = 0; i < rotating.size(); i++) {
          if (changed.get(i)) {
            done.add(rotating.get(i));
            donePasswords.add(passwords.get(i));
          } else {
            failed.add(rotating.get(i));
          }
        }
        if (!failed.isEmpty()) {
          log.warn("Rotation of {} namespace(s) failed; a later sweep retries", failed.size());
        }
        return Lanes.count(failed, record -> store.release(record.name(), token).transform(
                ar -> Future.succeededFuture(false)))
            .compose(n -> complete(done, donePasswords, token));
      });
    }, e -> {
      log.warn("Rotation of {} namespace(s) failed; a later sweep retries: {}", chunk.size(), e.getMessage());
      return Lanes.count(chunk, record -> store.release(record.name(), token).transform(
          ar -> Future.succeededFuture(false)));
    });
  }

  /**
   * Makes the standby users of namespaces that have none yet (claimed since the last sweep), a chunk per import, so
   * neither the claim nor the first rotation pays for them: a rotation is then a password change. A standby name held
   * by a user the service did not make is left alone (the namespace's first rotation refuses it too). Answers how many
   * were made.
   */
  Future<Integer> prepareStandbys() {
    return leases.with(token -> store.leaseStandbys(CHUNK, leases.seconds(), token).compose(batch -> {
      if (batch.isEmpty()) {
        return Future.succeededFuture(0);
      }
      Future<Integer> made = prepare(batch, token);
      return batch.size() < CHUNK ? made : made.compose(n -> prepareStandbys().map(m -> n + m));
    }));
  }

  private Future<Integer> prepare(List<NamespaceRecord> batch, String token) {
    return rabbit.findUsers(batch.stream().map(this::standbyName).toList()).compose(current -> {
      List<String> names = new ArrayList<>();
      List<String> passwords = new ArrayList<>();
      JsonArray users = new JsonArray();
      List<Future<Void>> left = new ArrayList<>();
      for (NamespaceRecord record : batch) {
        String user = standbyName(record);
        JsonObject found = current.getJsonObject(user);
        if (found != null && !naming.isOwnUser(found, false)) {
          log.warn("Standby user {} of namespace {} not made: a RabbitMQ user of that name exists and was not made by"
              + " this service", user, record.name());
          left.add(store.release(record.name(), token).otherwiseEmpty());
          continue;
        }
        String password = Credentials.newPassword();
        names.add(record.name());
        passwords.add(password);
        users.add(new JsonObject().put("name", user).put("password", password)
            .put("permissions", naming.permissions(record.name())));
      }
      if (users.isEmpty()) {
        return Future.join(left).map(0);
      }
      return leases.guard(token, () -> rabbit.putUsers(config.rabbit().vhost(), users, naming.userTags()))
          .compose(v -> store.recordStandbys(names, passwords, token))
          .map(List::size)
          .recover(e -> {
            log.warn("Standby users of {} namespace(s) not made; a later sweep retries: {}", names.size(),
                e.getMessage());
            return Lanes.count(names, name -> store.release(name, token).transform(
                ar -> Future.succeededFuture(false))).map(0);
          });
    }, e -> {
      log.warn("Standby users of {} namespace(s) not made; a later sweep retries: {}", batch.size(), e.getMessage());
      return Lanes.count(batch, record -> store.release(record.name(), token).transform(
          ar -> Future.succeededFuture(false))).map(0);
    });
  }

  private String standbyName(NamespaceRecord record) {
    return naming.username(record.name(), record.standbyUser());
  }

  /**
   * Records the rotations whose passwords are in the broker, in one statement under the lease; one that lost its lease
   * (or whose namespace is being removed) puts back what the database says.
   */
  /**
   * Puts the users of a chunk into the broker; answers, per user, whether it is there. Standby users made now (with
   * their permissions) go in one import; a standby that exists only changes its password, one PUT each,
   * {@link #PASSWORD_CHANGES_AT_ONCE} at a time: measured on RabbitMQ 3.10, the broker applies imports one at a time and
   * a 500-user import took longer than 500 PUTs made 16 at a time (docs/benchmarks.md).
   */
  private Future<List<Boolean>> put(JsonArray users, String token) {
    List<Integer> changes = new ArrayList<>();
    JsonArray made = new JsonArray();
    for (int i = 0; i < users.size(); i++) {
      if (users.getJsonObject(i).containsKey("permissions")) {
        made.add(users.getJsonObject(i));
      } else {
        changes.add(i);
      }
    }
    Future<Boolean> imported = made.isEmpty() ? Future.succeededFuture(true)
        : leases.guard(token, () -> rabbit.putUsers(config.rabbit().vhost(), made, naming.userTags())).map(true)
            .otherwise(e -> {
              log.warn("Standby users of {} namespace(s) not made; a later sweep retries: {}", made.size(),
                  e.getMessage());
              return false;
            });
    Future<List<Boolean>> changed = Lanes.map(changes, PASSWORD_CHANGES_AT_ONCE, i -> {
      JsonObject user = users.getJsonObject(i);
      return leases.guard(token, () -> rabbit.putUser(user.getString("name"), user.getString("password"),
          naming.userTags())).map(true).otherwise(e -> {
            log.warn("Password of {} not changed; a later sweep retries: {}", user.getString("name"), e.getMessage());
            return false;
          });
    });
    return Future.all(imported, changed).map(all -> {
      List<Boolean> there = new ArrayList<>();
      int next = 0;
      for (int i = 0; i < users.size(); i++) {
        if (next < changes.size() && changes.get(next) == i) {
          there.add(changed.result().get(next++));
        } else {
          there.add(imported.result());
        }
      }
      return there;
    });
  }

  private Future<Integer> complete(List<NamespaceRecord> rotating, List<String> passwords, String token) {
    if (rotating.isEmpty()) {
      return Future.succeededFuture(0);
    }
    List<String> names = rotating.stream().map(NamespaceRecord::name).toList();
    List<Integer> standbys = rotating.stream().map(NamespaceRecord::standbyUser).toList();
    return store.completeRotations(names, token, standbys, passwords,
            config.lifecycle().rotationInterval().toSeconds())
        .compose(done -> {
          java.util.Set<String> rotated = new java.util.HashSet<>();
          done.forEach(record -> {
            rotated.add(record.name());
            log.info("Rotated namespace {}: {} is active (rotation {})", record.name(),
                naming.username(record.name(), record.activeUser()), record.rotations());
          });
          List<NamespaceRecord> lost = rotating.stream().filter(r -> !rotated.contains(r.name())).toList();
          return Lanes.count(lost, this::restore).map(restored -> done.size());
        }, e -> {
          log.warn("Rotation of {} namespace(s) not recorded; a later sweep retries: {}", rotating.size(),
              e.getMessage());
          return Lanes.count(rotating, record -> store.release(record.name(), token).transform(
              ar -> Future.succeededFuture(false))).map(0);
        });
  }

  /** A rotation that lost its lease (or whose namespace is being removed) puts back what the database says. */
  private Future<Boolean> restore(NamespaceRecord record) {
    String name = record.name();
    int standby = record.standbyUser();
    String user = naming.username(name, standby);
    log.warn("Rotation of {} lost its lease; restoring {} from the database", name, user);
    return store.find(name).compose(current -> current == null || current.expiring()
            ? Future.succeededFuture(false)
            : current.hasUser(standby)
                ? rabbit.putUser(user, current.password(standby), naming.userTags()).map(false)
                : rabbit.deleteUser(user).map(false))
        .otherwise(false);
  }
}
