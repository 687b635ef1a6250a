package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ConcurrentClaimTest {

  private static RunningService service;
  private static RunningService replica;

  @BeforeAll
  static void start(Vertx vertx) {
    service = RunningService.start(vertx);
    // A second replica on the same database, vhost and user prefix, as when the service runs scaled out.
    replica = RunningService.start(vertx, java.util.Map.of(
        "PULSE_DB_URL", TestEnv.dbUrl(service.database),
        "PULSE_AMQP_URL", TestEnv.amqpUrl(service.vhost),
        "PULSE_USERNAME_PREFIX", service.userPrefix));
  }

  @AfterAll
  static void stop() {
    replica.close();
    service.close();
  }

  @Test
  void concurrentFirstClaimsMakeOneRecordOneActiveUserAndTheSameCredentials() {
    String ns = TestEnv.unique("rush");
    String token = service.token("pulse:namespace:" + ns);
    List<Future<HttpResponse<Buffer>>> claims = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      RunningService target = i % 2 == 0 ? service : replica;
      claims.add(target.request(HttpMethod.POST, "/namespace/" + ns, token)
          .putHeader("Content-Type", "application/json")
          .sendBuffer(Buffer.buffer("{\"contact\": \"rush" + i + "@example.com\"}")));
    }
    Future.all(claims).await();
    Set<String> connectionStrings = new HashSet<>();
    for (Future<HttpResponse<Buffer>> claim : claims) {
      HttpResponse<Buffer> response = claim.result();
      assertEquals(200, response.statusCode(), response.bodyAsString());
      connectionStrings.add(response.bodyAsJsonObject().getString("connectionString"));
    }
    assertEquals(1, connectionStrings.size(), "every caller got the same credentials");
    assertEquals(1, TestEnv.sql(service.vertx, service.database,
        "SELECT 1 FROM namespaces WHERE name = $1", ns).size());
    // The active user, and the standby once a maintenance sweep (of either replica) has made it: nothing else.
    Set<String> users = new HashSet<>(TestEnv.users(service.client, service.userPrefix + ns + "-"));
    assertTrue(users.contains(service.username(ns, 1)), users.toString());
    assertTrue(Set.of(service.username(ns, 1), service.username(ns, 2)).containsAll(users), users.toString());
  }
}
