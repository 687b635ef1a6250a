package io.pulse.store;

import io.pulse.client.Dates;
import io.pulse.client.PulseError;
import io.pulse.config.Retry;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.Secrets;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class NamespaceStoreImpl implements NamespaceStore {

  private static final Logger log = LoggerFactory.getLogger(NamespaceStoreImpl.class);
  private static final long FIRST_RETRY_DELAY_MS = 1000;
  private static final long MAX_RETRY_DELAY_MS = 30_000;
  private static final int CLAIM_ATTEMPTS = 25;
  private static final long CLAIM_RETRY_MS = 200;

  private final Vertx vertx;
  private final Pool pool;
  private final SecretBox box;
  private final Promise<Void> ready = Promise.promise();
  private final ClaimBatches claims;
  private volatile String notReadyReason = "the schema migrations have not run yet";
  private volatile boolean stopped;
  /** Where an external database is, to explain one that does not exist; null for the embedded one. */
  volatile PgConnectOptions connectOptions;

  NamespaceStoreImpl(Vertx vertx, Pool pool, SecretBox box, int poolSize) {
    this.vertx = vertx;
    this.pool = pool;
    this.box = box;
    // Half the pool at most: the rest stays for other statements, and claims meanwhile gather into batches.
    this.claims = new ClaimBatches(Math.max(1, poolSize / 2));
  }

  void stop() {
    stopped = true;
  }

  /**
   * Applies the migrations and seals the stored passwords with the current key, retrying with backoff while the
   * database cannot be reached. The future completes after the first attempt; it fails only when the stored passwords
   * do not open with the configured keys (a configuration to fix, not to retry). Until an attempt succeeds, every call
   * answers 503.
   */
  Future<Void> migrateUntilReady(int failures) {
    return Migrations.apply(vertx, pool).compose(v -> Resealing.run(pool, box)).<Void>mapEmpty().onSuccess(v -> {
      log.info("Database schema is up to date");
      ready.tryComplete();
    }).recover(e -> {
      if (e instanceof SecretBox.UnknownKeyException) {
        notReadyReason = e.getMessage();
        log.error("The stored passwords cannot be read: {}. Set PULSE_SECRET_KEY to the key they were encrypted with,"
            + " or add that key to PULSE_SECRET_KEY_OLD", e.getMessage());
        return Future.failedFuture(new IllegalStateException(e.getMessage()
            + "; set PULSE_SECRET_KEY to the key they were encrypted with, or add it to PULSE_SECRET_KEY_OLD"));
      }
      if (!stopped) {
        notReadyReason = describe(e);
        long delayMs = Retry.backoff(FIRST_RETRY_DELAY_MS, failures, MAX_RETRY_DELAY_MS);
        log.warn("Database not ready ({}); retrying in {} ms", notReadyReason, delayMs);
        vertx.setTimer(delayMs, t -> migrateUntilReady(failures + 1));
      }
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<NamespaceRecord> claim(String name, String expires, String contact, String password,
      long rotationSeconds) {
    // A claim of a namespace that is being removed waits for the removal to finish (the row disappears and the claim
    // creates it anew); after a few seconds it gives up with 503, which callers retry.
    return Retry.polling(vertx, CLAIM_ATTEMPTS, CLAIM_RETRY_MS,
            () -> claimRow(name, expires, contact, password, rotationSeconds), record -> record != null)
        .compose(record -> record != null ? Future.succeededFuture(record)
            : PulseError.SERVICE_UNAVAILABLE.fail("Namespace '" + name + "' is being removed; claim it again shortly"));
  }


  private Future<NamespaceRecord> claimRow(String name, String expires, String contact, String password,
      long rotationSeconds) {
    OffsetDateTime expiresAt;
    try {
      expiresAt = Dates.parse(expires).atOffset(ZoneOffset.UTC);
    } catch (DateTimeException | NullPointerException e) {
      return PulseError.INPUT_VALIDATION.fail("expires must be an ISO 8601 date-time");
    }
    if (password != null && password.isEmpty()) {
      return PulseError.INPUT_VALIDATION.fail("a new namespace's password must not be empty");
    }
    return claims.claim(new ClaimRow(name, expiresAt, contact, password, (double) rotationSeconds, Promise.promise()))
        .recover(e -> e instanceof CaseTwinException ? caseTwin(name) : Future.failedFuture(e));
  }

  /**
   * One claim's statement, waiting to be run alone or with others; {@code password} is the caller's plain password for
   * a new record, or null when the store makes one (and only if the record is new).
   */
  private record ClaimRow(String name, OffsetDateTime expires, String contact, String password,
      double rotationSeconds, Promise<NamespaceRecord> done) {

    /** The sealed password a new record gets. */
    String sealed(SecretBox box) {
      return box.seal(name, 1, password != null ? password : Secrets.newPassword());
    }
  }

  /**
   * Claim statements batched the way PostgreSQL batches commits: a claim's statement runs at once when none runs;
   * claims arriving meanwhile wait for it to end and then run as one statement (one round trip, one commit for all of
   * them), which is how renewals outrun one commit each; a lone claim waits for nobody. A second statement (up to
   * {@code inFlightLimit}) starts only when the one running has taken {@link #STALLED_MS} (a row lock held by another
   * replica, say), so a slow statement never holds the others up for long, while under load the claims gather into
   * a few large statements: on two cores, one statement at a time made 5,900-6,300 renewals a second, four at a time
   * 4,500-4,900 (each commit costs the database about as much as the rows it changes). A batch that fails is run again
   * claim by claim, so each claim gets its own answer (a case twin, say). Runs on the store's event loop.
   */
  private final class ClaimBatches {

    private static final int MAX_BATCH = 64;
    static final long STALLED_MS = 10;
    private final int inFlightLimit;
    private final java.util.ArrayDeque<ClaimRow> waiting = new java.util.ArrayDeque<>();
    /** When each statement in flight started ({@code System.nanoTime()}), oldest first. */
    private final java.util.ArrayDeque<Long> started = new java.util.ArrayDeque<>();
    private long timer = -1;

    ClaimBatches(int inFlightLimit) {
      this.inFlightLimit = inFlightLimit;
    }

    Future<NamespaceRecord> claim(ClaimRow row) {
      waiting.add(row);
      drain();
      return row.done().future();
    }

    private void drain() {
      while (started.size() < inFlightLimit && !waiting.isEmpty()) {
        if (!started.isEmpty()) {
          long waitNanos = started.peekFirst() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(STALLED_MS)
              - System.nanoTime();
          if (waitNanos > 0) {
            // The running statement is young: the waiting claims go with the next one, unless it stalls.
            if (timer < 0) {
              timer = vertx.setTimer(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(waitNanos)),
                  t -> {
                    timer = -1;
                    drain();
                  });
            }
            return;
          }
        }
        List<ClaimRow> batch = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (java.util.Iterator<ClaimRow> it = waiting.iterator(); it.hasNext() && batch.size() < MAX_BATCH; ) {
          ClaimRow next = it.next();
          if (names.add(next.name())) {
            batch.add(next);
            it.remove();
          }
        }
        Long start = System.nanoTime();
        started.addLast(start);
        run(batch).onComplete(ar -> {
          started.remove(start);
          drain();
        });
      }
    }

    /**
     * Renews first: the claims without a password of their own whose namespaces exist and are provisioned (nearly
     * all claims under load) are answered by one UPDATE, without making and sealing a password they would not use.
     * The rest (new namespaces, half-done ones, those being removed, claims that bring a password) take the
     * insert-or-update statement.
     */
    private Future<Void> run(List<ClaimRow> batch) {
      List<ClaimRow> renewable = batch.stream().filter(row -> row.password() == null).toList();
      if (renewable.isEmpty()) {
        return insert(batch);
      }
      int n = renewable.size();
      String[] names = new String[n];
      OffsetDateTime[] expires = new OffsetDateTime[n];
      String[] contacts = new String[n];
      java.util.Map<String, ClaimRow> byName = new java.util.HashMap<>();
      for (int i = 0; i < n; i++) {
        ClaimRow row = renewable.get(i);
        names[i] = row.name();
        expires[i] = row.expires();
        contacts[i] = row.contact();
        byName.put(row.name(), row);
      }
      return query(Sql.RENEW_MANY, Tuple.of(names, expires, contacts)).transform(ar -> {
        if (ar.failed()) {
          return insert(batch);
        }
        ar.result().forEach(r -> {
          NamespaceRecord record = toRecord(r, Passwords.ACTIVE);
          byName.get(record.name()).done().tryComplete(record);
        });
        List<ClaimRow> rest = batch.stream().filter(row -> !row.done().future().isComplete()).toList();
        return rest.isEmpty() ? Future.succeededFuture() : insert(rest);
      });
    }

    private Future<Void> insert(List<ClaimRow> batch) {
      if (batch.size() == 1) {
        return alone(batch.get(0));
      }
      int n = batch.size();
      String[] names = new String[n];
      OffsetDateTime[] expires = new OffsetDateTime[n];
      String[] contacts = new String[n];
      String[] passwords = new String[n];
      Double[] seconds = new Double[n];
      for (int i = 0; i < n; i++) {
        ClaimRow row = batch.get(i);
        names[i] = row.name();
        expires[i] = row.expires();
        contacts[i] = row.contact();
        passwords[i] = row.sealed(box);
        seconds[i] = row.rotationSeconds();
      }
      return query(Sql.CLAIM_MANY, Tuple.of(names, expires, contacts, passwords, seconds))
          .transform(ar -> {
            if (ar.failed()) {
              return Future.join(batch.stream().map(this::alone).toList()).<Void>mapEmpty().otherwiseEmpty();
            }
            java.util.Map<String, NamespaceRecord> claimed = new java.util.HashMap<>();
            ar.result().forEach(r -> {
              NamespaceRecord record = toRecord(r, Passwords.ACTIVE);
              claimed.put(record.name(), record);
            });
            // A name without a row is being removed: its claim answers null and waits, as alone.
            batch.forEach(row -> row.done().tryComplete(claimed.get(row.name())));
            return Future.succeededFuture();
          });
    }

    private Future<Void> alone(ClaimRow row) {
      return records(Sql.CLAIM, Tuple.of(row.name(), row.expires(), row.contact(), row.sealed(box),
              row.rotationSeconds()), Passwords.ACTIVE)
          .map(NamespaceStoreImpl::first)
          .onComplete(row.done())
          .<Void>mapEmpty()
          .otherwiseEmpty();
    }
  }

  private Future<NamespaceRecord> caseTwin(String name) {
    return query(Sql.CASE_TWIN, Tuple.of(name)).compose(rows -> PulseError.REQUEST_CONFLICT.fail("Namespace '" + name
        + "' differs only in letter case from the existing namespace '"
        + (rows.size() == 0 ? "?" : rows.iterator().next().getString(0)) + "': this service refuses such twins,"
        + " because RabbitMQ's name filters ignore case; choose another name"));
  }

  @Override
  public Future<Void> forgetUnprovisioned(String name) {
    return query(Sql.FORGET_UNPROVISIONED, Tuple.of(name)).mapEmpty();
  }

  @Override
  public Future<Void> markUsersTagged(List<String> names) {
    return query(Sql.MARK_USERS_TAGGED, Tuple.of(names.toArray(new String[0]))).mapEmpty();
  }

  @Override
  public Future<NamespaceRecord> markProvisioned(String name, String by) {
    return query(Sql.MARK_PROVISIONED, Tuple.of(name, by)).compose(rows -> rows.size() == 0
        ? PulseError.RESOURCE_NOT_FOUND.fail("namespace " + name + " does not exist")
        : Future.succeededFuture(toRecord(rows.iterator().next(), Passwords.ACTIVE)));
  }

  @Override
  public Future<NamespaceRecord> find(String name) {
    return query(Sql.FIND, Tuple.of(name))
        .map(rows -> rows.size() == 0 ? null : toRecord(rows.iterator().next(), Passwords.ALL));
  }

  @Override
  public Future<List<NamespaceRecord>> list(int limit, String afterName) {
    Future<RowSet<Row>> rows = afterName == null
        ? query(Sql.LIST_FIRST, Tuple.of(limit))
        : query(Sql.LIST_AFTER, Tuple.of(limit, afterName));
    return rows.map(set -> {
      List<NamespaceRecord> records = new ArrayList<>(set.size());
      set.forEach(row -> records.add(toRecord(row, Passwords.ALL)));
      return records;
    });
  }

  @Override
  public Future<List<NamespaceRecord>> leaseStandbys(int limit, long leaseSeconds, String token) {
    return sealedRecords(Sql.LEASE_STANDBYS, Tuple.of(token, (double) leaseSeconds, limit));
  }

  @Override
  public Future<List<String>> recordStandbys(List<String> names, List<String> passwords, String token) {
    String[] sealed = new String[names.size()];
    for (int i = 0; i < sealed.length; i++) {
      sealed[i] = box.seal(names.get(i), 2, passwords.get(i));
    }
    return query(Sql.RECORD_STANDBYS, Tuple.of(names.toArray(new String[0]), sealed, token)).map(rows -> {
      List<String> recorded = new ArrayList<>(rows.size());
      rows.forEach(row -> {
        if (row.getBoolean(1)) {
          recorded.add(row.getString(0));
        }
      });
      return recorded;
    });
  }

  @Override
  public Future<List<NamespaceRecord>> leaseRotations(int limit, long leaseSeconds, String token) {
    return sealedRecords(Sql.LEASE_ROTATIONS, Tuple.of(token, (double) leaseSeconds, limit));
  }

  @Override
  public Future<List<NamespaceRecord>> leaseExpiries(int limit, long expiryDelaySeconds, long leaseSeconds,
      String token, boolean markExpiring) {
    return records(Sql.LEASE_EXPIRIES,
        Tuple.of(token, (double) leaseSeconds, limit, (double) expiryDelaySeconds, markExpiring));
  }

  @Override
  public Future<NamespaceRecord> lease(String name, long leaseSeconds, String token) {
    return records(Sql.LEASE_ONE, Tuple.of(token, (double) leaseSeconds, name)).map(NamespaceStoreImpl::first);
  }

  @Override
  public Future<NamespaceRecord> completeRotation(String name, String token, int activeUser, String password,
      long rotationSeconds) {
    return records(Sql.COMPLETE_ROTATION, Tuple.of(name, token, (short) activeUser,
            box.seal(name, activeUser, password), (double) rotationSeconds))
        .map(NamespaceStoreImpl::first);
  }

  @Override
  public Future<List<NamespaceRecord>> completeRotations(List<String> names, String token, List<Integer> activeUsers,
      List<String> passwords, long rotationSeconds) {
    if (names.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Short[] active = new Short[names.size()];
    String[] sealed = new String[names.size()];
    for (int i = 0; i < sealed.length; i++) {
      active[i] = activeUsers.get(i).shortValue();
      sealed[i] = box.seal(names.get(i), active[i], passwords.get(i));
    }
    return sealedRecords(Sql.COMPLETE_ROTATIONS, Tuple.of(names.toArray(new String[0]), token, active, sealed,
        (double) rotationSeconds));
  }

  @Override
  public Future<Void> renewLeases(List<String> tokens, long leaseSeconds) {
    return query(Sql.RENEW_LEASES, Tuple.of(tokens.toArray(new String[0]), (double) leaseSeconds)).mapEmpty();
  }

  @Override
  public Future<Void> release(String name, String token) {
    return query(Sql.RELEASE, Tuple.of(name, token)).mapEmpty();
  }

  @Override
  public Future<NamespaceRecord> markExpiring(String name, String by) {
    return records(Sql.MARK_EXPIRING, Tuple.of(name, by)).map(NamespaceStoreImpl::first);
  }

  @Override
  public Future<Boolean> deleteExpired(String name, String token, JsonObject removed) {
    return query(Sql.DELETE_EXPIRED, Tuple.of(name, token, removed == null ? new JsonObject() : removed))
        .map(rows -> rows.size() > 0);
  }

  @Override
  public Future<NamespaceRecord> updateSettings(String name, JsonObject changes, String by) {
    JsonArray contacts = changes.getJsonArray("contacts");
    String[] contactList = contacts == null ? null : contacts.stream().map(String::valueOf).toArray(String[]::new);
    JsonObject detail = changes.copy().put("by", by);
    return records(Sql.UPDATE_SETTINGS, Tuple.from(new Object[] {name,
        changes.containsKey("contacts"), contactList,
        changes.containsKey("alertThreshold"), changes.getLong("alertThreshold"),
        changes.containsKey("deleteThreshold"), changes.getLong("deleteThreshold"),
        detail})).map(NamespaceStoreImpl::first);
  }

  @Override
  public Future<List<NamespaceRecord>> listWithPrefix(String prefix, int limit, String afterName) {
    String pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    return records(Sql.LIST_PREFIX, Tuple.of(pattern, limit, afterName == null ? "" : afterName));
  }

  @Override
  public Future<List<NamespaceRecord>> all(int limit, String afterName) {
    return records(Sql.ALL_AFTER, Tuple.of(limit, afterName == null ? "" : afterName));
  }

  private Future<List<NamespaceRecord>> records(String sql, Tuple args) {
    return records(sql, args, Passwords.ALL);
  }

  /**
   * Records whose passwords stay sealed ({@link NamespaceRecord#WITHHELD}): what sweeps lease by the thousand and never
   * hand out, so no password is opened (and sent over the event bus) for nothing.
   */
  private Future<List<NamespaceRecord>> sealedRecords(String sql, Tuple args) {
    return records(sql, args, Passwords.NONE);
  }

  private Future<List<NamespaceRecord>> records(String sql, Tuple args, Passwords passwords) {
    return query(sql, args).map(set -> {
      List<NamespaceRecord> records = new ArrayList<>(set.size());
      set.forEach(row -> records.add(toRecord(row, passwords)));
      return records;
    });
  }

  /** Which of a row's passwords are opened: all, the active user's only (what a claim hands out), none. */
  private enum Passwords { ALL, ACTIVE, NONE }

  private static NamespaceRecord first(List<NamespaceRecord> records) {
    return records.isEmpty() ? null : records.get(0);
  }

  @Override
  public Future<Void> ping() {
    return query(Sql.PING, Tuple.tuple()).mapEmpty();
  }

  @Override
  public Future<List<NamespaceRecord>> findAll(List<String> names) {
    return records(Sql.FIND_MANY, Tuple.of(names.toArray(new String[0])));
  }

  Future<RowSet<Row>> query(String sql, Tuple args) {
    if (!ready.future().succeeded()) {
      return PulseError.SERVICE_UNAVAILABLE.fail("PostgreSQL is not ready: " + notReadyReason);
    }
    return pool.preparedQuery(sql).execute(args).recover(e -> {
      if (e instanceof PgException && Sql.FOLDED_NAME_INDEX.equals(((PgException) e).getConstraint())) {
        return Future.failedFuture(new CaseTwinException());
      }
      if (e instanceof PgException && !unavailable(((PgException) e).getSqlState())) {
        log.error("Query failed: {}", sql, e);
        return PulseError.INTERNAL.fail("database error " + ((PgException) e).getSqlState());
      }
      if (e instanceof PgException) {
        PgException pg = (PgException) e;
        return PulseError.SERVICE_UNAVAILABLE.fail("PostgreSQL is not available right now (" + pg.getSqlState() + ": "
            + pg.getErrorMessage() + ")");
      }
      return PulseError.SERVICE_UNAVAILABLE.fail("PostgreSQL is unreachable: " + describe(e));
    });
  }

  /**
   * SQLSTATEs that mean "not now" rather than "wrong": connection exceptions (08), operator intervention such as a
   * shutdown or a start-up in progress (57), insufficient resources such as too many connections (53), and a
   * transaction that lost a serialization race or a deadlock (40001, 40P01). Callers hear 503 and retry.
   */
  static boolean unavailable(String sqlState) {
    return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57") || sqlState.startsWith("53")
        || sqlState.equals("40001") || sqlState.equals("40P01"));
  }

  private String describe(Throwable e) {
    if (MissingDatabase.is(e) && connectOptions != null) {
      return MissingDatabase.explain(connectOptions);
    }
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private NamespaceRecord toRecord(Row row, Passwords passwords) {
    String name = row.getString("name");
    short active = row.getShort("active_user");
    String password1 = open(name, 1, row.getString("password_1"), passwords, active);
    String password2 = open(name, 2, row.getString("password_2"), passwords, active);
    String[] contacts = row.getArrayOfStrings("contacts");
    return new NamespaceRecord(
        name,
        row.getOffsetDateTime("created").toInstant(),
        row.getOffsetDateTime("expires").toInstant(),
        row.getString("contact"),
        active,
        password1,
        password2,
        row.getOffsetDateTime("next_rotation").toInstant(),
        row.getBoolean("provisioned"),
        row.getBoolean("expiring"),
        row.getInteger("rotations"),
        row.getBoolean("users_marked"))
        .withSettings(contacts == null ? null : List.of(contacts), row.getLong("alert_threshold"),
            row.getLong("delete_threshold"));
  }

  private String open(String name, int user, String stored, Passwords passwords, int active) {
    if (stored == null) {
      return null;
    }
    return passwords == Passwords.ALL || passwords == Passwords.ACTIVE && user == active
        ? box.open(name, user, stored) : NamespaceRecord.WITHHELD;
  }

  /** A claim hit the index that refuses namespaces differing only in letter case. */
  private static final class CaseTwinException extends RuntimeException {
    CaseTwinException() {
      super("case twin", null, false, false);
    }
  }
}
