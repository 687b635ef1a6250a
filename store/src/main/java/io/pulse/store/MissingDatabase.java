package io.pulse.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PULSE_DB_URL naming a database that does not exist: made when the user may create databases, else explained once,
 * clearly, with the rights the service needs (the service keeps trying, so it is ready once an operator made it).
 */
final class MissingDatabase {

  private static final Logger log = LoggerFactory.getLogger(MissingDatabase.class);
  /** PostgreSQL's SQLSTATE for "database ... does not exist". */
  static final String INVALID_CATALOG_NAME = "3D000";
  private static final String CAN_CREATE =
      "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user";

  private MissingDatabase() {
  }

  static boolean is(Throwable e) {
    return e instanceof PgException && INVALID_CATALOG_NAME.equals(((PgException) e).getSqlState());
  }

  /** What an operator must do; the same words at start, in every 503 and in {@code check-config}. */
  static String explain(PgConnectOptions options) {
    String db = options.getDatabase();
    String user = options.getUser();
    return "database '" + db + "' does not exist on " + options.getHost() + ":" + options.getPort() + " and user '"
        + user + "' may not create it; create it with CREATE DATABASE " + quote(db) + " OWNER " + quote(user)
        + " (the service needs to connect to it and to create tables in it: owning it is simplest), or grant the user"
        + " CREATEDB and the service creates it at start";
  }

  /**
   * Connects once: a database that exists, or one that cannot be reached yet, is left to the migrations' retries; a
   * missing one is created when the user may, else explained. Never fails.
   */
  static Future<Void> ensure(Vertx vertx, Pool pool, PgConnectOptions options) {
    // Through the service's pool: another client would register Vert.x's SQL meters a second time.
    return pool.getConnection()
        .compose(conn -> conn.close())
        .recover(e -> is(e) ? create(vertx, options) : Future.succeededFuture());
  }

  /** Whether the user of {@code options} may create databases (asked of the {@code postgres} database). */
  static Future<Boolean> mayCreate(Vertx vertx, PgConnectOptions options) {
    PgConnectOptions maintenance = new PgConnectOptions(options).setDatabase("postgres");
    return PgConnection.connect(vertx, maintenance).compose(conn -> conn.query(CAN_CREATE).execute()
        .map(rows -> rows.size() > 0 && Boolean.TRUE.equals(rows.iterator().next().getBoolean(0)))
        .eventually(conn::close));
  }

  private static Future<Void> create(Vertx vertx, PgConnectOptions options) {
    return mayCreate(vertx, options).compose(may -> {
      if (!may) {
        return Future.failedFuture(new IllegalStateException(explain(options)));
      }
      PgConnectOptions maintenance = new PgConnectOptions(options).setDatabase("postgres");
      return PgConnection.connect(vertx, maintenance).compose(conn -> conn
          .query("CREATE DATABASE " + quote(options.getDatabase())).execute()
          .onSuccess(v -> log.info("Created the database '{}' on {}:{} (it did not exist; user '{}' may create"
              + " databases)", options.getDatabase(), options.getHost(), options.getPort(), options.getUser()))
          .<Void>mapEmpty()
          .eventually(conn::close));
    }).recover(e -> {
      // Another replica may have made it meanwhile (42P04: duplicate_database).
      if (e instanceof PgException && "42P04".equals(((PgException) e).getSqlState())) {
        return Future.succeededFuture();
      }
      log.error("PostgreSQL: {}", e instanceof IllegalStateException ? e.getMessage()
          : explain(options) + " (" + e.getMessage() + ")");
      return Future.succeededFuture();
    });
  }

  /** A quoted identifier: any name PULSE_DB_URL may carry is safe in SQL this way. */
  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
