package io.pulse.core.fakes;

import io.pulse.client.PulseError;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.Secrets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@link NamespaceStore} in memory, with the semantics of the SQL statements (see the store module's {@code Sql}):
 * insert-or-renew claims, provisioned rows only for readers, leases that lapse, rotations recorded only under their
 * lease. Calls whose name matches {@link #failWhen} fail as an unreachable database does (503).
 */
public final class FakeStore implements NamespaceStore {

  /** A row: a record plus its lease. */
  public static final class Row {
    public NamespaceRecord record;
    public String leaseToken;
    public Instant leaseUntil;

    Row(NamespaceRecord record) {
      this.record = record;
    }
  }

  public final TreeMap<String, Row> rows = new TreeMap<>();
  /** The database clock; tests move it to make rotations or expiries due. */
  public Instant now = Instant.now();
  private Predicate<String> failing = call -> false;

  public FakeStore failWhen(Predicate<String> calls) {
    this.failing = calls;
    return this;
  }

  /** The record of that name whatever its state, or null. */
  public NamespaceRecord record(String name) {
    Row row = rows.get(name);
    return row == null ? null : row.record;
  }

  /** Replaces a record (to set up a state, e.g. a due rotation). */
  public void put(NamespaceRecord record) {
    rows.computeIfAbsent(record.name(), n -> new Row(record)).record = record;
  }

  private <T> Future<T> call(String name, java.util.function.Supplier<Future<T>> effect) {
    if (failing.test(name)) {
      return PulseError.SERVICE_UNAVAILABLE.fail("PostgreSQL is unreachable (fake: " + name + ")");
    }
    return effect.get();
  }

  private static NamespaceRecord with(NamespaceRecord r, Instant expires, String contact, int active, String p1,
      String p2, Instant next, boolean provisioned, boolean expiring, int rotations) {
    return new NamespaceRecord(r.name(), r.created(), expires, contact, active, p1, p2, next, provisioned, expiring,
        rotations, r.usersMarked()).withSettings(r.contacts(), r.alertThreshold(), r.deleteThreshold());
  }

  private boolean leaseFree(Row row) {
    return row.leaseToken == null || row.leaseUntil.isBefore(now);
  }

  @Override
  public Future<NamespaceRecord> claim(String name, String expires, String contact, String password,
      long rotationSeconds) {
    return call("claim", () -> {
      Instant until = OffsetDateTime.parse(expires).toInstant();
      Row row = rows.get(name);
      if (row == null && rows.keySet().stream().anyMatch(other -> other.equalsIgnoreCase(name))) {
        return PulseError.REQUEST_CONFLICT.fail("Namespace '" + name + "' differs only in letter case from another");
      }
      if (row == null) {
        row = new Row(new NamespaceRecord(name, now, until, contact, 1,
            password != null ? password : Secrets.newPassword(), null,
            now.plusSeconds(rotationSeconds), false, false, 0));
        rows.put(name, row);
        return Future.succeededFuture(row.record);
      }
      if (row.record.expiring()) {
        return PulseError.SERVICE_UNAVAILABLE.fail("Namespace '" + name + "' is being removed; claim it again shortly");
      }
      NamespaceRecord r = row.record;
      row.record = with(r, until, contact == null ? r.contact() : contact, r.activeUser(), r.password(1),
          r.password(2), r.nextRotation(), r.provisioned(), false, r.rotations());
      return Future.succeededFuture(row.record);
    });
  }

  @Override
  public Future<Void> forgetUnprovisioned(String name) {
    return call("forgetUnprovisioned", () -> {
      Row row = rows.get(name);
      if (row != null && !row.record.provisioned()) {
        rows.remove(name);
      }
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> markUsersTagged(List<String> names) {
    return call("markUsersTagged", () -> {
      names.forEach(name -> {
        Row row = rows.get(name);
        if (row != null) {
          NamespaceRecord r = row.record;
          row.record = new NamespaceRecord(r.name(), r.created(), r.expires(), r.contact(), r.activeUser(),
              r.password(1), r.password(2), r.nextRotation(), r.provisioned(), r.expiring(), r.rotations(), true)
              .withSettings(r.contacts(), r.alertThreshold(), r.deleteThreshold());
        }
      });
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<NamespaceRecord> markProvisioned(String name, String by) {
    return call("markProvisioned", () -> {
      Row row = rows.get(name);
      if (row == null) {
        return PulseError.RESOURCE_NOT_FOUND.fail("namespace " + name + " does not exist");
      }
      NamespaceRecord r = row.record;
      row.record = with(r, r.expires(), r.contact(), r.activeUser(), r.password(1), r.password(2), r.nextRotation(),
          true, r.expiring(), r.rotations());
      return Future.succeededFuture(row.record);
    });
  }

  @Override
  public Future<NamespaceRecord> find(String name) {
    return call("find", () -> {
      Row row = rows.get(name);
      return Future.succeededFuture(row == null || !row.record.provisioned() ? null : row.record);
    });
  }

  @Override
  public Future<List<NamespaceRecord>> list(int limit, String afterName) {
    return call("list", () -> Future.succeededFuture((afterName == null ? rows : rows.tailMap(afterName, false))
        .values().stream().map(r -> r.record).filter(NamespaceRecord::provisioned).limit(limit).toList()));
  }

  private List<NamespaceRecord> lease(List<Row> candidates, int limit, long leaseSeconds, String token) {
    List<NamespaceRecord> leased = new ArrayList<>();
    for (Row row : candidates) {
      if (leased.size() == limit) {
        break;
      }
      row.leaseToken = token;
      row.leaseUntil = now.plusSeconds(leaseSeconds);
      leased.add(row.record);
    }
    return leased;
  }

  @Override
  public Future<List<NamespaceRecord>> leaseStandbys(int limit, long leaseSeconds, String token) {
    return call("leaseStandbys", () -> Future.succeededFuture(lease(rows.values().stream()
        .filter(r -> r.record.provisioned() && !r.record.expiring() && r.record.rotations() == 0
            && r.record.password(2) == null && leaseFree(r))
        .toList(), limit, leaseSeconds, token)));
  }

  @Override
  public Future<List<String>> recordStandbys(List<String> names, List<String> passwords, String token) {
    return call("recordStandbys", () -> {
      List<String> recorded = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        Row row = rows.get(names.get(i));
        NamespaceRecord r = row == null ? null : row.record;
        if (r == null || !token.equals(row.leaseToken)) {
          continue;
        }
        if (r.rotations() == 0 && r.password(2) == null && !r.expiring()) {
          row.record = with(r, r.expires(), r.contact(), r.activeUser(), r.password(1), passwords.get(i),
              r.nextRotation(), r.provisioned(), false, 0);
          recorded.add(names.get(i));
        }
        row.leaseToken = null;
        row.leaseUntil = null;
      }
      return Future.succeededFuture(recorded);
    });
  }

  @Override
  public Future<List<NamespaceRecord>> leaseRotations(int limit, long leaseSeconds, String token) {
    return call("leaseRotations", () -> Future.succeededFuture(lease(rows.values().stream()
        .filter(r -> r.record.provisioned() && !r.record.expiring() && !r.record.nextRotation().isAfter(now)
            && leaseFree(r))
        .sorted(Comparator.comparing(r -> r.record.nextRotation())).toList(), limit, leaseSeconds, token)));
  }

  @Override
  public Future<List<NamespaceRecord>> leaseExpiries(int limit, long expiryDelaySeconds, long leaseSeconds,
      String token, boolean markExpiring) {
    return call("leaseExpiries", () -> {
      List<Row> due = rows.values().stream()
          .filter(r -> (r.record.expiring() || r.record.expires().plus(Duration.ofSeconds(expiryDelaySeconds))
              .isBefore(now)) && leaseFree(r))
          .sorted(Comparator.comparing(r -> r.record.expires())).toList();
      if (markExpiring) {
        due.stream().limit(limit).forEach(r -> r.record = expiring(r.record));
      }
      return Future.succeededFuture(lease(due, limit, leaseSeconds, token));
    });
  }

  private static NamespaceRecord expiring(NamespaceRecord r) {
    return with(r, r.expires(), r.contact(), r.activeUser(), r.password(1), r.password(2), r.nextRotation(),
        r.provisioned(), true, r.rotations());
  }

  @Override
  public Future<NamespaceRecord> lease(String name, long leaseSeconds, String token) {
    return call("lease", () -> {
      Row row = rows.get(name);
      if (row == null || !leaseFree(row)) {
        return Future.succeededFuture(null);
      }
      return Future.succeededFuture(lease(List.of(row), 1, leaseSeconds, token).get(0));
    });
  }

  @Override
  public Future<NamespaceRecord> completeRotation(String name, String token, int activeUser, String password,
      long rotationSeconds) {
    return call("completeRotation", () -> {
      Row row = rows.get(name);
      if (row == null || !token.equals(row.leaseToken) || row.record.expiring()
          || row.record.activeUser() == activeUser) {
        return Future.succeededFuture(null);
      }
      NamespaceRecord r = row.record;
      row.record = with(r, r.expires(), r.contact(), activeUser, activeUser == 1 ? password : r.password(1),
          activeUser == 2 ? password : r.password(2), now.plusSeconds(rotationSeconds), r.provisioned(), false,
          r.rotations() + 1);
      row.leaseToken = null;
      row.leaseUntil = null;
      return Future.succeededFuture(row.record);
    });
  }

  @Override
  public Future<List<NamespaceRecord>> completeRotations(List<String> names, String token, List<Integer> activeUsers,
      List<String> passwords, long rotationSeconds) {
    List<NamespaceRecord> done = new ArrayList<>();
    Future<Void> all = Future.succeededFuture();
    for (int i = 0; i < names.size(); i++) {
      int n = i;
      all = all.compose(v -> completeRotation(names.get(n), token, activeUsers.get(n), passwords.get(n),
          rotationSeconds).map(r -> {
            if (r != null) {
              done.add(r);
            }
            return null;
          }));
    }
    return all.map(v -> done);
  }

  @Override
  public Future<Void> renewLeases(List<String> tokens, long leaseSeconds) {
    return call("renewLeases", () -> {
      rows.values().stream().filter(r -> tokens.contains(r.leaseToken))
          .forEach(r -> r.leaseUntil = now.plusSeconds(leaseSeconds));
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> release(String name, String token) {
    return call("release", () -> {
      Row row = rows.get(name);
      if (row != null && token.equals(row.leaseToken)) {
        row.leaseToken = null;
        row.leaseUntil = null;
      }
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<NamespaceRecord> markExpiring(String name, String by) {
    return call("markExpiring", () -> {
      Row row = rows.get(name);
      if (row == null) {
        return Future.succeededFuture(null);
      }
      row.record = expiring(row.record);
      return Future.succeededFuture(row.record);
    });
  }

  @Override
  public Future<Boolean> deleteExpired(String name, String token, JsonObject removed) {
    return call("deleteExpired", () -> {
      Row row = rows.get(name);
      if (row == null || !row.record.expiring() || !token.equals(row.leaseToken)) {
        return Future.succeededFuture(false);
      }
      rows.remove(name);
      return Future.succeededFuture(true);
    });
  }

  @Override
  public Future<List<NamespaceRecord>> findAll(List<String> names) {
    return call("findAll", () -> Future.succeededFuture(names.stream().map(rows::get)
        .filter(java.util.Objects::nonNull).map(r -> r.record).toList()));
  }

  @Override
  public Future<List<NamespaceRecord>> all(int limit, String afterName) {
    return call("all", () -> Future.succeededFuture((afterName == null ? rows : rows.tailMap(afterName, false))
        .values().stream().map(r -> r.record).limit(limit).toList()));
  }

  @Override
  public Future<List<NamespaceRecord>> listWithPrefix(String prefix, int limit, String afterName) {
    return call("listWithPrefix", () -> Future.succeededFuture((afterName == null ? rows : rows.tailMap(afterName, false))
        .values().stream().map(r -> r.record).filter(r -> r.provisioned() && r.name().startsWith(prefix)).limit(limit)
        .toList()));
  }

  @Override
  public Future<NamespaceRecord> updateSettings(String name, JsonObject changes, String by) {
    return call("updateSettings", () -> {
      Row row = rows.get(name);
      if (row == null || !row.record.provisioned() || row.record.expiring()) {
        return Future.succeededFuture(null);
      }
      NamespaceRecord r = row.record;
      JsonArray contacts = changes.getJsonArray("contacts");
      row.record = r.withSettings(
          changes.containsKey("contacts") ? (contacts == null ? null : contacts.stream().map(String::valueOf).toList())
              : r.contacts(),
          changes.containsKey("alertThreshold") ? changes.getLong("alertThreshold") : r.alertThreshold(),
          changes.containsKey("deleteThreshold") ? changes.getLong("deleteThreshold") : r.deleteThreshold());
      return Future.succeededFuture(row.record);
    });
  }

  @Override
  public Future<Void> ping() {
    return call("ping", Future::succeededFuture);
  }
}
