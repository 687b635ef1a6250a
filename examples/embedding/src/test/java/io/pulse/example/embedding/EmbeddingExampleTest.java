package io.pulse.example.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.client.NamespaceService;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the example against the real PostgreSQL and RabbitMQ, with a database, a vhost and a user prefix of its own, on
 * exactly the class path an embedding application gets from pulse-client and pulse-app.
 */
@ExtendWith(VertxExtension.class)
class EmbeddingExampleTest {

  private WebClient client;
  private String database;
  private String vhost;
  private String userPrefix;

  @BeforeEach
  void services(Vertx vertx) {
    client = WebClient.create(vertx);
    database = TestEnv.createDatabase(vertx);
    vhost = TestEnv.createVhost(client);
    userPrefix = TestEnv.unique("ex") + "-";
  }

  @AfterEach
  void cleanUp(Vertx vertx) {
    TestEnv.deleteUsers(client, userPrefix);
    TestEnv.deleteVhost(client, vhost);
    TestEnv.dropDatabase(vertx, database);
    client.close();
  }

  private Map<String, String> settings() {
    return Map.of(
        "PULSE_DB_URL", TestEnv.dbUrl(database),
        "PULSE_SECRET_KEY", TestEnv.SECRET_KEY,
        "PULSE_RABBIT_API", TestEnv.managementApi(),
        "PULSE_RABBIT_USER", TestEnv.ADMIN_USER,
        "PULSE_RABBIT_PASSWORD", TestEnv.ADMIN_PASSWORD,
        "PULSE_AMQP_URL", TestEnv.amqpUrl(vhost),
        "PULSE_USERNAME_PREFIX", userPrefix);
  }

  @Test
  void theExampleClaimsOverTheBusSendsAndReceivesOverAmqpAndCleansUp(Vertx vertx) throws Exception {
    String namespace = TestEnv.unique("orders");
    String received = EmbeddingExample.run(vertx, settings(), namespace, "order 42").await(2, TimeUnit.MINUTES);

    assertEquals("order 42", received, "the message went through exchange/<ns>/orders and queue/<ns>/orders");
    assertEquals(List.of(), TestEnv.users(client, userPrefix), "the revocation deleted the namespace's users");
    assertEquals(404, TestEnv.queueStatus(client, vhost, "queue/" + namespace + "/orders"));
    assertEquals(0, TestEnv.sql(vertx, database, "SELECT count(*) FROM namespaces").get(0).getLong(0));
    String failure = EmbeddingExample.describe(assertThrows(Exception.class,
        () -> NamespaceService.createProxy(vertx, 5_000).namespace(namespace).await()));
    assertTrue(failure.contains("not deployed"), "the service was undeployed: " + failure);
  }

  @Test
  void wrongInputIsDescribedWithItsCode(Vertx vertx) {
    String failure = EmbeddingExample.describe(assertThrows(Exception.class,
        () -> EmbeddingExample.run(vertx, settings(), "not a namespace!", "x").await(2, TimeUnit.MINUTES)));
    assertTrue(failure.startsWith("the service answered 400 InvalidNamespace: "), failure);
    assertEquals(List.of(), TestEnv.users(client, userPrefix));
  }

  /** What pulse-client and pulse-app bring to an application: no logging configuration, no embedded PostgreSQL. */
  @Test
  void theEmbeddingClassPathHasNoLoggingConfigurationAndNoEmbeddedDatabase(Vertx vertx) {
    assertNull(getClass().getClassLoader().getResource("logback.xml"), "no jar of the project configures logging");
    assertThrows(ClassNotFoundException.class, () -> Class.forName("io.pulse.embedded.EmbeddedPostgres"));
    Exception failure = assertThrows(Exception.class, () -> EmbeddingExample.run(vertx,
        Map.of("PULSE_RABBIT_API", TestEnv.managementApi()), "x", "x").await(2, TimeUnit.MINUTES));
    assertTrue(failure.getMessage().contains("PULSE_DB_URL") && failure.getMessage().contains(
        "io.pulse:pulse-embedded-postgres"), failure.getMessage());
  }
}
