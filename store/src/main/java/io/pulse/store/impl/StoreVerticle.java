package io.pulse.store.impl;

import io.pulse.config.PulseConfig;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.pulse.store.embedded.EmbeddedPostgres;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.serviceproxy.ServiceBinder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage: owns the PostgreSQL pool (or an embedded PostgreSQL when no PULSE_DB_URL is set), applies the schema
 * migrations and serves {@link NamespaceStore} on the event bus.
 */
public final class StoreVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(StoreVerticle.class);

  private final PulseConfig config;
  private EmbeddedPostgres embedded;
  private Pool pool;
  private MessageConsumer<JsonObject> consumer;
  private MessageConsumer<JsonObject> statesConsumer;
  private NamespaceStoreImpl store;

  public StoreVerticle(PulseConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    return connectOptions().compose(options -> {
      int timeoutMillis = (int) config.dbTimeout().toMillis();
      pool = PgBuilder.pool()
          .with(new PoolOptions()
              .setMaxSize(config.dbPoolSize())
              .setConnectionTimeout(timeoutMillis)
              .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
          .with(new NetClientOptions().setConnectTimeout(timeoutMillis))
          .connectingTo(options)
          .using(vertx)
          .build();
      store = new NamespaceStoreImpl(vertx, pool);
      consumer = new ServiceBinder(vertx).setAddress(NamespaceStore.ADDRESS).register(NamespaceStore.class, store);
      statesConsumer = new ServiceBinder(vertx).setAddress(QueueStates.ADDRESS)
          .register(QueueStates.class, new QueueStatesImpl(store));
      return Future.all(consumer.completion(), statesConsumer.completion());
    }).compose(v -> {
      // A database that is down at start must not keep the service from starting: it answers 503 until the
      // schema is in place, and keeps trying.
      return store.migrateUntilReady(1000);
    });
  }

  private Future<PgConnectOptions> connectOptions() {
    if (config.dbUrl() != null) {
      return Future.succeededFuture(PgConnectOptions.fromUri(config.dbUrl().replaceFirst("^postgres://", "postgresql://")));
    }
    return vertx.executeBlocking(() -> {
      embedded = EmbeddedPostgres.start(config.dataDir().resolve("postgres"));
      log.info("Started embedded PostgreSQL on {}:{} with its data under {}", embedded.host(), embedded.port(),
          config.dataDir().resolve("postgres"));
      return new PgConnectOptions()
          .setHost(embedded.host())
          .setPort(embedded.port())
          .setUser(embedded.user())
          .setDatabase(embedded.database());
    });
  }

  @Override
  public Future<?> stop() {
    if (store != null) {
      store.stop();
    }
    Future<Void> unregistered = consumer == null ? Future.succeededFuture()
        : Future.all(consumer.unregister(), statesConsumer.unregister()).mapEmpty();
    return unregistered
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close())
        .eventually(() -> embedded == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }));
  }
}
