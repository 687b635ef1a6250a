package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.JarProcess;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Warnings must mean something: a normal first start and a restart of the jar (database, broker and key all fine) log
 * no WARN or ERROR line, through the first maintenance and reconciliation sweeps and a claim.
 */
@ExtendWith(VertxExtension.class)
class CleanStartIT {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aNormalStartAndRestartLogNoWarning(Vertx vertx) throws Exception {
    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    String prefix = TestEnv.unique("clean") + "-";
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", prefix);
    env.put("PULSE_JWT_SECRET", TestEnv.JWT_SECRET);
    env.put("PULSE_MONITOR_INTERVAL", "1s");
    try {
      for (String run : List.of("first start", "restart")) {
        Path log = Files.createTempFile("pulse-clean", ".log");
        int port = TestEnv.freePort();
        env.put("PULSE_HTTP_PORT", String.valueOf(port));
        try (JarProcess jar = JarProcess.start(env, log)) {
          jar.awaitOk(port, "/__heartbeat__");
          TestEnv.eventually(60, "a reconciliation and a monitor sweep", () -> {
            String metrics = get(port, "/metrics");
            return metrics.contains("pulse_maintenance_sweeps_total{outcome=\"ok\",sweep=\"reconciliation\"} 1")
                && !metrics.contains("pulse_monitor_sweeps_total{outcome=\"ok\"} 0.0");
          });
          assertEquals(0, jar.stop(), jar.logText());
          String text = jar.logText();
          assertTrue(text.contains("Pulse service started"), text);
          List<String> warnings = text.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
          assertEquals(List.of(), warnings, run + " logged warnings:\n" + text);
        }
      }
    } finally {
      TestEnv.deleteUsers(client, prefix);
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
    }
  }

  private String get(int port, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }
}
