package io.pulse.store;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;

import java.util.Map;

/** The store verticle deployed on a database of its own in the real PostgreSQL, dropped at close. */
final class StoreOnDatabase implements AutoCloseable {

  final Vertx vertx = Vertx.vertx();
  final String database = TestEnv.createDatabase(vertx);

  StoreOnDatabase() {
    vertx.deployVerticle(new StoreVerticle(config(TestEnv.dbUrl(database)), new SimpleMeterRegistry())).await();
  }

  /** The store's configuration for a database URL: short timeouts, the tests' key for sealing passwords. */
  static PulseConfig config(String url) {
    return PulseConfig.fromMap(Map.of("PULSE_DB_URL", url, "PULSE_DB_TIMEOUT", "2s", "PULSE_SECRET_KEY",
        TestEnv.SECRET_KEY));
  }

  @Override
  public void close() {
    vertx.close().await();
    Vertx cleanup = Vertx.vertx();
    TestEnv.dropDatabase(cleanup, database);
    cleanup.close().await();
  }
}
