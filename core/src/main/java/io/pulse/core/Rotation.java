package io.pulse.core;

import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.Secrets;
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
  /**
   * Namespaces leased, and whose new passwords go to the broker in one import, at a time: an import costs the broker
   * tens of milliseconds however small, then well under a millisecond per user, so imports are made large.
   */
  static final int CHUNK = 500;
  /**
   * Lanes working at once, each leasing a chunk, rotating it and leasing the next until none is due, so one lane's
   * lease and database writes overlap the other's import.
   */
  static final int CHUNKS_AT_ONCE = 2;
  /** Users put into the broker in one import from this many on; fewer go one PUT each ({@link #put}). */
  static final int IMPORT_FROM = 50;
  /** Single PUTs in flight at once. */
  private static final int PUTS_AT_ONCE = 16;

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
    return leases.with(token -> {
      List<Future<Integer>> lanes = new ArrayList<>();
      for (int i = 0; i < CHUNKS_AT_ONCE; i++) {
        lanes.add(lane(token, 0));
      }
      return Future.all(lanes).map(all -> lanes.stream().mapToInt(Future::result).sum());
    });
  }

  /** Leases a chunk of due namespaces and rotates it, then the next, until none is left; answers how many rotated. */
  private Future<Integer> lane(String token, int rotated) {
    return store.leaseRotations(CHUNK, leases.seconds(), token).compose(chunk -> {
      if (chunk.isEmpty()) {
        return Future.succeededFuture(rotated);
      }
      Future<Integer> done = rotate(chunk, token);
      // A full chunk means more may be due; a chunk that rotated nothing (the broker refusing) ends the sweep, so rows
      // given back are not leased again and again until the next tick.
      return done.compose(n -> chunk.size() < CHUNK || n == 0 ? Future.succeededFuture(rotated + n)
          : lane(token, rotated + n));
    });
  }

  /**
   * Rotates a leased chunk. A standby the database says the service made and tagged is the service's, and its new
   * password goes to the broker at once; a standby not made yet (or made before the service tagged its users) first has
   * its name's owner checked, in one lookup for them all (a listing of the broker's users while it holds few, else
   * single reads), so that lookup never holds up the others.
   */
  private Future<Integer> rotate(List<NamespaceRecord> chunk, String token) {
    List<NamespaceRecord> proven = new ArrayList<>();
    List<NamespaceRecord> unproven = new ArrayList<>();
    chunk.forEach(record -> (madeAndTagged(record) ? proven : unproven).add(record));
    Future<Integer> known = proven.isEmpty() ? Future.succeededFuture(0) : rotate(proven, new JsonObject(), token);
    Future<Integer> checked = unproven.isEmpty() ? Future.succeededFuture(0)
        : rabbit.findUsers(unproven.stream().map(this::standbyName).toList())
            .compose(current -> rotate(unproven, current, token), e -> {
              log.warn("Rotation of {} namespace(s) failed; a later sweep retries: {}", unproven.size(),
                  e.getMessage());
              return giveBack(names(unproven), token);
            });
    return Future.all(known, checked).map(both -> known.result() + checked.result());
  }

  /**
   * Rotates leased namespaces whose standby names' owners are in {@code current} (or need no check): a standby name
   * held by a user the service did not make is never touched (the row is given back); the other standby users get
   * fresh passwords ({@link #put}; a standby not made yet is made, with its permissions), and the rotations are then
   * recorded under the lease in one statement.
   */
  private Future<Integer> rotate(List<NamespaceRecord> chunk, JsonObject current, String token) {
    List<NamespaceRecord> rotating = new ArrayList<>();
    List<String> passwords = new ArrayList<>();
    JsonArray users = new JsonArray();
    List<Future<Void>> refused = new ArrayList<>();
    for (NamespaceRecord record : chunk) {
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
      String password = Secrets.newPassword();
      rotating.add(record);
      passwords.add(password);
      JsonObject entry = new JsonObject().put("name", user).put("password", password);
      if (!record.hasUser(standby)) {
        // The standby user is made at the first rotation (when maintenance has not made it yet): it needs its
        // permissions too.
        entry.put("permissions", naming.permissions(record.name()));
      }
      users.add(entry);
    }
    if (users.isEmpty()) {
      return Future.join(refused).map(0);
    }
    return Future.join(refused).transform(ignored -> put(users, token))
        .compose(there -> giveBack(names(where(rotating, there, false)), token)
            .compose(n -> complete(where(rotating, there, true), where(passwords, there, true), token)));
  }

  /**
   * Puts users into the broker (each {@code {name, password}}, with {@code permissions} when it is to be made);
   * answers, per user, whether it is there. Many go in one import: measured on RabbitMQ 3.10 (docs/benchmarks.md), an
   * import costs the broker about 25 ms however small, then 0.2 ms per password change and 0.5 ms per user made with
   * its permissions, where single PUTs made 16 at a time cost about 0.65 ms each; so fewer than {@link #IMPORT_FROM}
   * (a quiet sweep's few due namespaces) go one PUT each (and one for the permissions of a user made).
   */
  private Future<List<Boolean>> put(JsonArray users, String token) {
    if (users.size() >= IMPORT_FROM) {
      return leases.guard(token, () -> rabbit.putUsers(config.rabbit().vhost(), users, naming.userTags()))
          .map(v -> java.util.Collections.nCopies(users.size(), true))
          .otherwise(e -> {
            log.warn("Passwords of {} standby user(s) not changed; a later sweep retries: {}", users.size(),
                e.getMessage());
            return java.util.Collections.nCopies(users.size(), false);
          });
    }
    List<JsonObject> each = new ArrayList<>();
    users.forEach(user -> each.add((JsonObject) user));
    return Lanes.map(each, PUTS_AT_ONCE, user -> {
      String name = user.getString("name");
      JsonObject permissions = user.getJsonObject("permissions");
      return leases.guard(token, () -> rabbit.putUser(name, user.getString("password"), naming.userTags()))
          .compose(v -> permissions == null ? Future.<Void>succeededFuture()
              : leases.guard(token, () -> rabbit.putPermissions(config.rabbit().vhost(), name, permissions)))
          .map(true)
          .otherwise(e -> {
            log.warn("Password of {} not changed; a later sweep retries: {}", name, e.getMessage());
            return false;
          });
    });
  }

  /**
   * Makes the standby users of namespaces that have none yet (claimed since the last sweep), a chunk at a time, so
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
      return made.compose(n -> batch.size() < CHUNK || n == 0 ? Future.succeededFuture(n)
          : prepareStandbys().map(m -> n + m));
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
        String password = Secrets.newPassword();
        names.add(record.name());
        passwords.add(password);
        users.add(new JsonObject().put("name", user).put("password", password)
            .put("permissions", naming.permissions(record.name())));
      }
      if (users.isEmpty()) {
        return Future.join(left).map(0);
      }
      return put(users, token).compose(there -> {
        List<String> made = where(names, there, true);
        return giveBack(where(names, there, false), token)
            .compose(n -> made.isEmpty() ? Future.succeededFuture(List.<String>of())
                : store.recordStandbys(made, where(passwords, there, true), token));
      })
          .map(List::size)
          .recover(e -> {
            log.warn("Standby users of {} namespace(s) not made; a later sweep retries: {}", names.size(),
                e.getMessage());
            return giveBack(names, token);
          });
    }, e -> {
      log.warn("Standby users of {} namespace(s) not made; a later sweep retries: {}", batch.size(), e.getMessage());
      return giveBack(names(batch), token);
    });
  }

  /** Gives leased rows back for a later sweep (each release at best); answers 0, the rows rotated or made. */
  private Future<Integer> giveBack(List<String> names, String token) {
    return Lanes.count(names, name -> store.release(name, token).transform(ar -> Future.succeededFuture(false)))
        .map(0);
  }

  private static List<String> names(List<NamespaceRecord> records) {
    return records.stream().map(NamespaceRecord::name).toList();
  }

  /** The items whose flag (same position) is {@code wanted}. */
  private static <T> List<T> where(List<T> items, List<Boolean> flags, boolean wanted) {
    List<T> kept = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      if (flags.get(i) == wanted) {
        kept.add(items.get(i));
      }
    }
    return kept;
  }

  /** Whether the database says the service made the record's standby user and tagged it as its own. */
  private static boolean madeAndTagged(NamespaceRecord record) {
    return record.usersMarked() && record.hasUser(record.standbyUser());
  }

  private String standbyName(NamespaceRecord record) {
    return naming.username(record.name(), record.standbyUser());
  }

  /**
   * Records the rotations whose passwords are in the broker, in one statement under the lease; one that lost its lease
   * (or whose namespace is being removed) puts back what the database says.
   */
  private Future<Integer> complete(List<NamespaceRecord> rotating, List<String> passwords, String token) {
    if (rotating.isEmpty()) {
      return Future.succeededFuture(0);
    }
    List<String> names = names(rotating);
    List<Integer> standbys = rotating.stream().map(NamespaceRecord::standbyUser).toList();
    return store.completeRotations(names, token, standbys, passwords,
            config.lifecycle().rotationInterval().toSeconds())
        .compose(done -> {
          java.util.Set<String> rotated = new java.util.HashSet<>();
          done.forEach(record -> {
            rotated.add(record.name());
            log.debug("Rotated namespace {}: {} is active (rotation {})", record.name(),
                naming.username(record.name(), record.activeUser()), record.rotations());
          });
          List<NamespaceRecord> lost = rotating.stream().filter(r -> !rotated.contains(r.name())).toList();
          return Lanes.count(lost, this::restore).map(restored -> done.size());
        }, e -> {
          log.warn("Rotation of {} namespace(s) not recorded; a later sweep retries: {}", rotating.size(),
              e.getMessage());
          return giveBack(names, token);
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
