package io.pulse.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.store.api.NamespaceStore;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.serviceproxy.ServiceException;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PULSE_DB_URL naming a database that does not exist: made when the user may, else explained with the rights needed. */
class MissingDatabaseTest {

  private Vertx vertx;
  private String database;
  private String role;

  @BeforeEach
  void names() {
    vertx = Vertx.vertx();
    database = TestEnv.unique("pulse_test_missing_");
  }

  @AfterEach
  void cleanUp() {
    vertx.close().await();
    Vertx cleanup = Vertx.vertx();
    try {
      TestEnv.dropDatabase(cleanup, database);
      if (role != null) {
        TestEnv.sql(cleanup, "postgres", "DROP ROLE IF EXISTS " + role);
      }
    } finally {
      cleanup.close().await();
    }
  }

  @Test
  void aMissingDatabaseIsCreatedAtStartWhenTheUserMay() {
    PulseConfig config = config(TestEnv.PG_USER);
    assertTrue(StoreVerticle.check(vertx, config).await().contains("creates it at start"));

    vertx.deployVerticle(new StoreVerticle(config, new SimpleMeterRegistry())).await();

    awaitReady();
    assertEquals(1, TestEnv.sql(vertx, "postgres", "SELECT 1 FROM pg_database WHERE datname = $1", database).size());
  }

  @Test
  void aMissingDatabaseTheUserMayNotCreateIsExplainedUntilAnOperatorMakesIt() {
    role = TestEnv.unique("pulse_test_role_");
    TestEnv.sql(vertx, "postgres", "CREATE ROLE " + role + " LOGIN NOCREATEDB");
    PulseConfig config = config(role);

    IllegalStateException checked = assertThrows(IllegalStateException.class,
        () -> StoreVerticle.check(vertx, config).await());
    assertExplained(checked.getMessage());

    vertx.deployVerticle(new StoreVerticle(config, new SimpleMeterRegistry())).await();
    ServiceException refused = assertThrows(ServiceException.class,
        () -> NamespaceStore.createProxy(vertx, 10_000).find("x").await());
    assertEquals(503, refused.failureCode());
    assertExplained(refused.getMessage());

    // What the message tells the operator to do.
    TestEnv.sql(vertx, "postgres", "CREATE DATABASE " + database + " OWNER " + role);
    awaitReady();
  }

  private void assertExplained(String message) {
    assertTrue(message.contains("database '" + database + "' does not exist"), message);
    assertTrue(message.contains("CREATE DATABASE \"" + database + "\" OWNER \"" + role + "\""), message);
    assertTrue(message.contains("CREATEDB"), message);
  }

  private void awaitReady() {
    NamespaceStore store = NamespaceStore.createProxy(vertx, 10_000);
    TestEnv.eventually(60, "the schema is in place", () -> store.ping().transform(ar ->
        Future.succeededFuture(ar.succeeded())).await());
  }

  private PulseConfig config(String user) {
    return PulseConfig.fromMap(Map.of("PULSE_DB_URL", "postgresql://" + user + "@" + TestEnv.PG_HOST + ":"
        + TestEnv.PG_PORT + "/" + database, "PULSE_DB_TIMEOUT", "2s", "PULSE_SECRET_KEY", TestEnv.SECRET_KEY));
  }
}
