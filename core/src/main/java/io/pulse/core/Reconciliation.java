package io.pulse.core;

import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings RabbitMQ back in step with the database (the truth): users deleted behind the service's back (a broker reset,
 * a manual delete), changed passwords, and permissions or tags that differ from the current templates. Reads the broker
 * with two calls, compares passwords against RabbitMQ's salted hashes so nothing is reset needlessly, and changes
 * only what differs, under a lease so a rotation cannot interleave.
 */
final class Reconciliation {

  private static final Logger log = LoggerFactory.getLogger(Reconciliation.class);
  private static final int PAGE = 500;

  private final PulseConfig config;
  private final Naming naming;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final Leases leases;
  private final History history;

  Reconciliation(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, Leases leases, History history) {
    this.config = config;
    this.naming = config.naming();
    this.store = store;
    this.rabbit = rabbit;
    this.leases = leases;
    this.history = history;
  }

  /** Answers how many namespaces it repaired. */
  Future<Integer> reconcile() {
    return Future.all(rabbit.listUsers(), rabbit.listPermissions(config.rabbit().vhost())).compose(both -> {
      Map<String, JsonObject> users = index(both.resultAt(0), "name");
      Map<String, JsonObject> permissions = index(both.resultAt(1), "user");
      return page(null, users, permissions, 0);
    });
  }

  private Future<Integer> page(String after, Map<String, JsonObject> users, Map<String, JsonObject> permissions,
      int repaired) {
    return store.all(PAGE, after).compose(page -> {
      List<NamespaceRecord> drifted = new ArrayList<>();
      List<String> nowMarked = new ArrayList<>();
      for (NamespaceRecord record : page) {
        if (!record.provisioned() || record.expiring()) {
          continue;
        }
        if (!inStep(record, users, permissions)) {
          drifted.add(record);
        } else if (!record.usersMarked()) {
          nowMarked.add(record.name());
        }
      }
      Future<Integer> fixed = Lanes.count(drifted, record -> repair(record.name()).map(changed -> {
        if (!record.usersMarked() && changed) {
          nowMarked.add(record.name());
        }
        return changed;
      })).compose(n -> nowMarked.isEmpty() ? Future.succeededFuture(n)
          : store.markUsersTagged(nowMarked).map(n));
      if (page.size() < PAGE) {
        return fixed.map(n -> repaired + n);
      }
      String last = page.get(page.size() - 1).name();
      return fixed.compose(n -> page(last, users, permissions, repaired + n));
    });
  }

  /** In step, or nothing the service may change: a user of that name the service did not make is left alone. */
  private boolean inStep(NamespaceRecord record, Map<String, JsonObject> users, Map<String, JsonObject> permissions) {
    for (int n = 1; n <= 2; n++) {
      if (!record.hasUser(n) || foreign(record, n, users.get(naming.username(record.name(), n)))) {
        continue;
      }
      if (!userInStep(record, n, users) || !permissionsInStep(record.name(), n, permissions)) {
        return false;
      }
    }
    return true;
  }

  private boolean foreign(NamespaceRecord record, int n, JsonObject user) {
    boolean foreign = user != null && !naming.isOwnUser(user, !record.usersMarked());
    if (foreign) {
      log.warn("Reconciliation leaves RabbitMQ user {} of namespace {} alone: this service did not make it (its tag"
          + " {} is missing); the namespace's credentials cannot work until the broker's operator removes it",
          naming.username(record.name(), n), record.name(), naming.managedTag());
    }
    return foreign;
  }

  private boolean userInStep(NamespaceRecord record, int n, Map<String, JsonObject> users) {
    JsonObject user = users.get(naming.username(record.name(), n));
    return user != null
        && PasswordHashes.matches(user.getString("password_hash"), user.getString("hashing_algorithm"),
            record.password(n))
        && tags(user.getValue("tags")).equals(new HashSet<>(naming.userTags()));
  }

  private boolean permissionsInStep(String name, int n, Map<String, JsonObject> permissions) {
    JsonObject actual = permissions.get(naming.username(name, n));
    JsonObject expected = naming.permissions(name);
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
    return leases.with(token -> store.lease(name, leases.seconds(), token).compose(record -> {
      if (record == null || record.expiring() || !record.provisioned()) {
        return record == null ? Future.succeededFuture(false) : store.release(name, token).map(false);
      }
      List<Future<Boolean>> users = new ArrayList<>();
      for (int n = 1; n <= 2; n++) {
        if (record.hasUser(n)) {
          users.add(repairUser(record, n, token));
        }
      }
      return Future.all(users).compose(all -> {
        JsonArray restored = new JsonArray();
        for (int i = 0; i < users.size(); i++) {
          if (all.<Boolean>resultAt(i)) {
            restored.add(naming.username(name, i + 1));
          }
        }
        if (restored.isEmpty()) {
          return Future.succeededFuture(false);
        }
        log.info("Reconciled namespace {}: RabbitMQ users and permissions restored from the database", name);
        // The owner sees in the history that the broker had lost its users; the repair stands if recording fails.
        return history.record(name, "reconciled", new JsonObject().put("users", restored))
            .otherwise(e -> null).map(true);
      }).eventually(() -> store.release(name, token));
    })).recover(e -> {
      log.warn("Reconciliation of {} failed; the next sweep retries: {}", name, e.getMessage());
      return Future.succeededFuture(false);
    });
  }

  private Future<Boolean> repairUser(NamespaceRecord record, int n, String token) {
    String user = naming.username(record.name(), n);
    String vhost = config.rabbit().vhost();
    return rabbit.getUser(user).compose(current -> {
      if (foreign(record, n, current)) {
        return Future.succeededFuture(false);
      }
      Future<Boolean> put = current != null && userInStep(record, n, Map.of(user, current))
          ? Future.succeededFuture(false)
          : leases.guard(token, () -> rabbit.putUser(user, record.password(n), naming.userTags())).map(true);
      return put.compose(userChanged -> rabbit.getPermissions(vhost, user).compose(permissions ->
          permissions != null && permissionsInStep(record.name(), n, Map.of(user, permissions))
              ? Future.succeededFuture(userChanged)
              : leases.guard(token, () -> rabbit.putPermissions(vhost, user, naming.permissions(record.name())))
                  .map(true)));
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
}
