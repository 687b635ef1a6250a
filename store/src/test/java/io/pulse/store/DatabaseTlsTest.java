package io.pulse.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.store.api.NamespaceStore;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.serviceproxy.ServiceException;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * sslmode against the test machine's PostgreSQL, which has no TLS: {@code prefer} (the default) falls back to a plain
 * connection, {@code require} refuses with a message saying so, at check-config and in every 503.
 */
class DatabaseTlsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static PulseConfig config(String sslMode) {
    return PulseConfig.fromMap(Map.of("PULSE_DB_URL", "postgresql://" + TestEnv.PG_USER + "@" + TestEnv.PG_HOST + ":"
        + TestEnv.PG_PORT + "/postgres?sslmode=" + sslMode, "PULSE_DB_TIMEOUT", "2s", "PULSE_SECRET_KEY",
        TestEnv.SECRET_KEY));
  }

  @Test
  void preferFallsBackToPlainAndRequireRefusesAServerWithoutTls() {
    assertTrue(StoreVerticle.check(vertx, config("prefer")).await().startsWith("PostgreSQL at "));

    PulseConfig require = config("require");
    IllegalStateException checked = assertThrows(IllegalStateException.class,
        () -> StoreVerticle.check(vertx, require).await());
    assertTrue(checked.getMessage().contains("does not handle SSL"), checked.getMessage());

    vertx.deployVerticle(new StoreVerticle(require, new SimpleMeterRegistry())).await();
    ServiceException refused = assertThrows(ServiceException.class,
        () -> NamespaceStore.createProxy(vertx, 10_000).find("x").await());
    assertEquals(503, refused.failureCode());
    assertTrue(refused.getMessage().contains("does not handle SSL"), refused.getMessage());
  }
}
