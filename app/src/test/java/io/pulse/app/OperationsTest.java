package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** What an operator relies on: health endpoints, version, Prometheus metrics and the request log. */
@ExtendWith(VertxExtension.class)
class OperationsTest {

  @Test
  void healthAndVersionEndpointsAnswerWhileTheDependenciesDo(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx)) {
      assertEquals(200, root(service, "/__lbheartbeat__").statusCode());
      HttpResponse<Buffer> heartbeat = root(service, "/__heartbeat__");
      assertEquals(200, heartbeat.statusCode(), heartbeat.bodyAsString());
      JsonObject checks = heartbeat.bodyAsJsonObject().getJsonObject("checks");
      assertEquals("ok", checks.getString("postgresql"));
      assertEquals("ok", checks.getString("rabbitmq"));

      JsonObject version = root(service, "/__version__").bodyAsJsonObject();
      assertTrue(version.getString("version").matches("\\d+\\.\\d+\\.\\d+.*"), version.encode());
      String commit = version.getString("commit");
      assertTrue(commit.matches("[0-9a-f]{40}") || commit.equals("unknown"), version.encode());
    }
  }

  @Test
  void heartbeatIs503NamingTheRabbitMqManagementApiWhenItIsDown(Vertx vertx) throws Exception {
    String closed = "http://127.0.0.1:" + TestEnv.closedPort() + "/api";
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_RABBIT_API", closed))) {
      assertEquals(200, root(service, "/__lbheartbeat__").statusCode(), "the process still serves");
      long started = System.nanoTime();
      HttpResponse<Buffer> heartbeat = root(service, "/__heartbeat__");
      long ms = (System.nanoTime() - started) / 1_000_000;
      assertEquals(503, heartbeat.statusCode(), heartbeat.bodyAsString());
      JsonObject body = heartbeat.bodyAsJsonObject();
      assertEquals("ServiceUnavailable", body.getString("code"));
      assertTrue(body.getString("message").contains("RabbitMQ"), body.encode());
      assertFalse(body.getString("message").contains("PostgreSQL"), "the database is up: " + body.encode());
      assertEquals("ok", body.getJsonObject("checks").getString("postgresql"));
      assertTrue(ms < 5000, "answered within seconds, took " + ms + " ms");
    }
  }

  @Test
  void heartbeatIs503NamingPostgresqlWhenTheDatabaseIsDown(Vertx vertx) throws Exception {
    String closed = "postgresql://postgres@127.0.0.1:" + TestEnv.closedPort() + "/nothing";
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_DB_URL", closed))) {
      HttpResponse<Buffer> heartbeat = root(service, "/__heartbeat__");
      assertEquals(503, heartbeat.statusCode(), heartbeat.bodyAsString());
      JsonObject body = heartbeat.bodyAsJsonObject();
      assertTrue(body.getString("message").contains("PostgreSQL"), body.encode());
      assertFalse(body.getString("message").contains("RabbitMQ"), "the broker is up: " + body.encode());
      assertEquals("ok", body.getJsonObject("checks").getString("rabbitmq"));
    }
  }

  @Test
  void countersArePresentAtZeroFromStartAndCountClaimsRotationsExpiriesAndRevocations(Vertx vertx) {
    Map<String, String> settings = new HashMap<>();
    settings.put("PULSE_MAINTENANCE_INTERVAL", "200ms");
    settings.put("PULSE_ROTATION_INTERVAL", "2s");
    settings.put("PULSE_EXPIRY_DELAY", "0s");
    try (RunningService service = RunningService.start(vertx, settings)) {
      String metrics = metrics(service);
      for (String series : List.of("pulse_claims_total{outcome=\"ok\"}",
          "pulse_claims_total{outcome=\"InputValidationError\"}", "pulse_claims_total{outcome=\"ServiceUnavailable\"}",
          "pulse_revocations_total{outcome=\"ok\"}", "pulse_rotations_total", "pulse_expirations_total",
          "pulse_notifications_total{kind=\"warning\"}", "pulse_notifications_total{kind=\"reminder\"}",
          "pulse_notifications_total{kind=\"normal\"}", "pulse_notifications_total{kind=\"deleted\"}",
          "pulse_monitor_queues{state=\"normal\"}", "pulse_monitor_queues{state=\"warning\"}",
          "pulse_monitor_sweep_seconds", "pulse_namespaces",
          "pulse_rabbit_api_seconds_count{method=\"PUT\",outcome=\"2xx\"}")) {
        assertNotNull(value(metrics, series), series + " is there from start-up:\n" + metrics);
      }
      assertEquals(0.0, value(metrics, "pulse_claims_total{outcome=\"ok\"}"));
      assertEquals(0.0, value(metrics, "pulse_rotations_total"));
      assertEquals(0.0, value(metrics, "pulse_notifications_total{kind=\"warning\"}"));

      String ns = TestEnv.unique("met");
      assertEquals(200, service.claim(ns, null).statusCode());
      assertEquals(400, service.claim(ns, new JsonObject().put("unknown", 1)).statusCode());
      metrics = metrics(service);
      assertEquals(1.0, value(metrics, "pulse_claims_total{outcome=\"ok\"}"), metrics);
      assertEquals(1.0, value(metrics, "pulse_claims_total{outcome=\"InputValidationError\"}"));
      assertTrue(value(metrics, "pulse_rabbit_api_seconds_count{method=\"PUT\",outcome=\"2xx\"}") >= 2,
          "the management calls of the first claim are timed:\n" + metrics);
      assertTrue(value(metrics, "pulse_rabbit_api_seconds_sum{method=\"PUT\",outcome=\"2xx\"}") > 0);

      TestEnv.eventually(20, "the namespace counted", () -> value(metrics(service), "pulse_namespaces") == 1.0);
      TestEnv.eventually(30, "a rotation counted", () -> value(metrics(service), "pulse_rotations_total") >= 1.0);

      String shortLived = TestEnv.unique("met");
      assertEquals(200, service.claim(shortLived,
          new JsonObject().put("expires", Instant.now().plusSeconds(2).toString())).statusCode());
      TestEnv.eventually(30, "the expiry counted", () -> value(metrics(service), "pulse_expirations_total") == 1.0);

      assertEquals(204, service.request(HttpMethod.DELETE, "/namespace/" + ns, service.token("pulse:namespace:" + ns))
          .send().await().statusCode());
      assertEquals(1.0, value(metrics(service), "pulse_revocations_total{outcome=\"ok\"}"));
      TestEnv.eventually(20, "no namespace left", () -> value(metrics(service), "pulse_namespaces") == 0.0);
    }
  }

  @Test
  void monitorSweepsAreTimedAndQueueStatesAndNoticesCounted(Vertx vertx) throws Exception {
    Map<String, String> settings = Map.of(
        "PULSE_MONITOR_INTERVAL", "300ms",
        "PULSE_MONITOR_ALERT_THRESHOLD", "2",
        "PULSE_MONITOR_DELETE_THRESHOLD", "1000");
    try (RunningService service = RunningService.start(vertx, settings);
        Connection admin = TestEnv.connect(TestEnv.amqpUrl(service.vhost)
            .replace("amqp://", "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"))) {
      String ns = TestEnv.unique("mon");
      assertEquals(200, service.claim(ns, null).statusCode());
      try (Channel channel = admin.createChannel()) {
        channel.queueDeclare("queue/" + ns + "/calm", true, false, false, null);
        channel.queueDeclare("queue/" + ns + "/busy", true, false, false, null);
        for (int i = 0; i < 5; i++) {
          channel.basicPublish("", "queue/" + ns + "/busy", null, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
      }
      // The management API's message counts lag by its statistics interval (5 s by default).
      TestEnv.eventually(60, "one queue in warning and its owner told", () -> {
        String m = metrics(service);
        return value(m, "pulse_monitor_queues{state=\"warning\"}") == 1.0
            && value(m, "pulse_notifications_total{kind=\"warning\"}") == 1.0;
      });
      String metrics = metrics(service);
      assertEquals(1.0, value(metrics, "pulse_monitor_queues{state=\"normal\"}"), metrics);
      assertTrue(value(metrics, "pulse_monitor_sweep_seconds") > 0, metrics);
      assertTrue(value(metrics, "pulse_rabbit_api_seconds_count{method=\"GET\",outcome=\"2xx\"}") > 0, metrics);
    }
  }

  @Test
  void everyRequestIsLoggedOnceWithMethodPathStatusLatencyAndCallerButNoSecret(Vertx vertx) {
    Logger access = (Logger) LoggerFactory.getLogger("io.pulse.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    access.addAppender(lines);
    try (RunningService service = RunningService.start(vertx)) {
      String ns = TestEnv.unique("log");
      String token = service.token("pulse:namespace:" + ns);
      HttpResponse<Buffer> claim = service.post("/namespace/" + ns, "{}", token);
      assertEquals(200, claim.statusCode());
      assertEquals(404, service.get("/namespace/" + TestEnv.unique("none")).statusCode());
      assertEquals(403, service.post("/namespace/" + ns, "{}", service.token("pulse:namespace:other")).statusCode());

      TestEnv.eventually(5, "three request lines", () -> lines.list.stream()
          .filter(e -> e.getFormattedMessage().contains("/namespace/")).count() == 3);
      List<ILoggingEvent> logged = lines.list.stream()
          .filter(e -> e.getFormattedMessage().contains("/namespace/")).toList();
      Map<String, Object> claimLine = fields(logged.get(0));
      assertEquals("POST", claimLine.get("method"));
      assertEquals("/api/pulse/v1/namespace/" + ns, claimLine.get("path"));
      assertEquals(200, claimLine.get("status"));
      assertEquals("jwt:test", claimLine.get("caller"));
      assertTrue(((Double) claimLine.get("latency_ms")) > 0, claimLine.toString());
      assertEquals("anonymous", fields(logged.get(1)).get("caller"));
      assertEquals(404, fields(logged.get(1)).get("status"));
      assertEquals(403, fields(logged.get(2)).get("status"));
      String password = claim.bodyAsJsonObject().getString("connectionString").split(":")[2].split("@")[0];
      for (ILoggingEvent line : lines.list) {
        assertFalse(line.getFormattedMessage().contains(token), "no token in " + line.getFormattedMessage());
        assertFalse(line.getFormattedMessage().contains(password), "no password in " + line.getFormattedMessage());
      }
      assertNull(lines.list.stream().filter(e -> e.getFormattedMessage().contains("Bearer")).findAny().orElse(null));
    } finally {
      access.detachAppender(lines);
    }
  }

  private static Map<String, Object> fields(ILoggingEvent event) {
    Map<String, Object> fields = new HashMap<>();
    for (KeyValuePair pair : event.getKeyValuePairs()) {
      fields.put(pair.key, pair.value);
    }
    return fields;
  }

  static HttpResponse<Buffer> root(RunningService service, String path) {
    return service.client.get(service.deployment.httpPort(), "127.0.0.1", path).send().await();
  }

  static String metrics(RunningService service) {
    HttpResponse<Buffer> response = root(service, "/metrics");
    assertEquals(200, response.statusCode());
    assertTrue(response.getHeader("Content-Type").startsWith("text/plain"), response.getHeader("Content-Type"));
    return response.bodyAsString();
  }

  /** The value of one series in Prometheus text format, or null when it is absent. */
  static Double value(String metrics, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
    return m.find() ? Double.valueOf(m.group(1)) : null;
  }
}
