package io.pulse.store.impl;

import io.pulse.config.PulseError;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class NamespaceStoreImpl implements NamespaceStore {

  private static final Logger log = LoggerFactory.getLogger(NamespaceStoreImpl.class);
  private static final long MAX_RETRY_DELAY_MS = 30_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Promise<Void> ready = Promise.promise();
  private volatile String notReadyReason = "the schema migrations have not run yet";
  private volatile boolean stopped;

  NamespaceStoreImpl(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  void stop() {
    stopped = true;
  }

  /**
   * Applies the migrations, retrying with backoff while the database cannot be reached. The future completes after
   * the first attempt, whatever its outcome; until one succeeds, every call answers 503.
   */
  Future<Void> migrateUntilReady(long delayMs) {
    return Migrations.apply(vertx, pool).onSuccess(v -> {
      log.info("Database schema is up to date");
      ready.tryComplete();
    }).recover(e -> {
      if (!stopped) {
        notReadyReason = describe(e);
        log.warn("Database not ready ({}); retrying in {} ms", notReadyReason, delayMs);
        vertx.setTimer(delayMs, t -> migrateUntilReady(Math.min(delayMs * 2, MAX_RETRY_DELAY_MS)));
      }
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<NamespaceRecord> claim(String name, String expires, String contact, String password,
      long rotationSeconds) {
    OffsetDateTime expiresAt;
    try {
      expiresAt = OffsetDateTime.parse(expires);
    } catch (DateTimeParseException | NullPointerException e) {
      return PulseError.INPUT_VALIDATION.fail("expires must be an ISO 8601 date-time");
    }
    if (password == null || password.isEmpty()) {
      return PulseError.INPUT_VALIDATION.fail("a new namespace needs a password");
    }
    return query(Sql.CLAIM, Tuple.of(name, expiresAt, contact, password, (double) rotationSeconds))
        .map(rows -> toRecord(rows.iterator().next()));
  }

  @Override
  public Future<NamespaceRecord> markProvisioned(String name) {
    return query(Sql.MARK_PROVISIONED, Tuple.of(name)).compose(rows -> rows.size() == 0
        ? PulseError.RESOURCE_NOT_FOUND.fail("namespace " + name + " does not exist")
        : Future.succeededFuture(toRecord(rows.iterator().next())));
  }

  @Override
  public Future<NamespaceRecord> find(String name) {
    return query(Sql.FIND, Tuple.of(name)).map(rows -> rows.size() == 0 ? null : toRecord(rows.iterator().next()));
  }

  @Override
  public Future<List<NamespaceRecord>> list(int limit, String afterName) {
    Future<RowSet<Row>> rows = afterName == null
        ? query(Sql.LIST_FIRST, Tuple.of(limit))
        : query(Sql.LIST_AFTER, Tuple.of(limit, afterName));
    return rows.map(set -> {
      List<NamespaceRecord> records = new ArrayList<>(set.size());
      set.forEach(row -> records.add(toRecord(row)));
      return records;
    });
  }

  @Override
  public Future<Void> ping() {
    return query(Sql.PING, Tuple.tuple()).mapEmpty();
  }

  private Future<RowSet<Row>> query(String sql, Tuple args) {
    if (!ready.future().succeeded()) {
      return PulseError.SERVICE_UNAVAILABLE.fail("PostgreSQL is not ready: " + notReadyReason);
    }
    return pool.preparedQuery(sql).execute(args).recover(e -> {
      if (e instanceof PgException) {
        log.error("Query failed: {}", sql, e);
        return PulseError.INTERNAL.fail("database error " + ((PgException) e).getSqlState());
      }
      return PulseError.SERVICE_UNAVAILABLE.fail("PostgreSQL is unreachable: " + describe(e));
    });
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static NamespaceRecord toRecord(Row row) {
    return new NamespaceRecord(
        row.getString("name"),
        row.getOffsetDateTime("created").toInstant(),
        row.getOffsetDateTime("expires").toInstant(),
        row.getString("contact"),
        row.getShort("active_user"),
        row.getString("password_1"),
        row.getString("password_2"),
        row.getOffsetDateTime("next_rotation").toInstant(),
        row.getBoolean("provisioned"));
  }
}
