package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.pulse.testkit.JarProcess;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The jar as operators run it, from their side: metrics, health, version, JSON logs, and SIGTERM while a request is
 * in flight — the server stops taking connections, the request completes, the process exits 0.
 */
@ExtendWith(VertxExtension.class)
class OperationsIT {

  /** How long the stand-in Taskcluster auth service takes to answer: the window for SIGTERM. */
  private static final long AUTH_DELAY_MS = 3000;
  /**
   * HTTP/1.1 as load balancers and the Taskcluster clients speak it (the JDK 17 client, over HTTP/2, fails its
   * streams in flight on the server's GOAWAY instead of letting them finish).
   */
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theJarServesMetricsHealthAndVersionLogsJsonAndShutsDownGracefullyOnSigterm(Vertx vertx) throws Exception {
    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    String prefix = TestEnv.unique("ops") + "-";
    CountDownLatch authAsked = new CountDownLatch(1);
    HttpServer taskcluster = slowTaskclusterAuth(authAsked);
    Path log = Files.createTempFile("pulse-ops", ".log");
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", prefix);
    env.put("PULSE_JWT_SECRET", "operations-test-secret-of-at-least-32-bytes");
    env.put("PULSE_TASKCLUSTER_ROOT_URL", "http://127.0.0.1:" + taskcluster.getAddress().getPort());
    env.put("PULSE_LOG_FORMAT", "json");
    env.put("PULSE_SHUTDOWN_TIMEOUT", "20s");
    int port = TestEnv.freePort();
    env.put("PULSE_HTTP_PORT", String.valueOf(port));
    JarProcess jar = JarProcess.start(env, log);
    Process service = jar.process();
    try {
      jar.awaitOk(port, "/__lbheartbeat__");

      String metrics = get(port, "/metrics").body();
      for (String series : List.of("pulse_claims_total{outcome=\"ok\"} 0.0", "pulse_rotations_total 0.0",
          "pulse_expirations_total 0.0", "pulse_notifications_total{kind=\"warning\"} 0.0",
          "pulse_monitor_queues{state=\"warning\"} 0.0", "pulse_monitor_sweep_seconds 0.0")) {
        assertTrue(metrics.contains("\n" + series + "\n"), series + " at start-up:\n" + metrics);
      }
      for (String name : List.of("pulse_namespaces ", "pulse_rabbit_api_seconds_bucket{", "jvm_memory_used_bytes{",
          "vertx_http_server_requests_total{code=\"2xx\",method=\"GET\",route=\"/__lbheartbeat__\"}")) {
        assertTrue(metrics.contains("\n" + name), name + " is exported:\n" + metrics);
      }

      HttpResponse<String> heartbeat = get(port, "/__heartbeat__");
      assertEquals(200, heartbeat.statusCode(), heartbeat.body());
      JsonObject version = new JsonObject(get(port, "/__version__").body());
      assertTrue(version.getString("commit").matches("[0-9a-f]{40}"),
          "built in a git checkout, the jar knows its commit: " + version.encode());
      assertTrue(version.getString("version").matches("\\d+\\.\\d+\\.\\d+.*"), version.encode());

      // A claim whose authentication waits on the (slow) Taskcluster auth service is in flight at SIGTERM.
      String ns = TestEnv.unique("ops");
      CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/api/pulse/v1/namespace/" + ns))
          .header("Authorization", "Hawk id=\"remote-client\", ts=\"" + Instant.now().getEpochSecond()
              + "\", nonce=\"n0nce\", mac=\"bWFjLW9mLXRoZS10ZXN0\"")
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(authAsked.await(10, TimeUnit.SECONDS), "the claim reached the auth service");
      long sigterm = System.nanoTime();
      service.destroy();

      // New connections are refused at once, while the claim is still waiting.
      // A new TCP connection each time: a pooled keep-alive connection may stay open while requests finish.
      TestEnv.eventually(30, "the server to stop taking connections", () -> {
        try (java.net.Socket socket = new java.net.Socket()) {
          socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
          return false;
        } catch (IOException refused) {
          return true;
        }
      });
      assertFalse(inFlight.isDone(), "the claim was still in flight when the server stopped taking connections");

      HttpResponse<String> claim = inFlight.get(30, TimeUnit.SECONDS);
      assertEquals(200, claim.statusCode(), "the request in flight completed: " + claim.body());
      assertNotNull(new JsonObject(claim.body()).getString("connectionString"));
      assertTrue(service.waitFor(30, TimeUnit.SECONDS), "the process exits");
      long ms = (System.nanoTime() - sigterm) / 1_000_000;
      assertEquals(0, service.exitValue(), "SIGTERM ends the service with exit code 0:\n" + Files.readString(log));
      assertTrue(ms < 20_000, "within PULSE_SHUTDOWN_TIMEOUT: " + ms + " ms");

      List<JsonObject> lines = jsonLines(log);
      JsonObject access = lines.stream()
          .filter(l -> "io.pulse.access".equals(l.getString("loggerName"))
              && l.getString("formattedMessage", "").startsWith("POST /api/pulse/v1/namespace/" + ns))
          .findFirst().orElseThrow(() -> new AssertionError("no request line for the claim in\n" + lines));
      Map<String, Object> fields = fields(access.getJsonArray("kvpList"));
      assertEquals("POST", fields.get("method"));
      assertEquals("200", fields.get("status"));
      assertEquals("hawk:remote-client", fields.get("caller"));
      assertTrue(Double.parseDouble((String) fields.get("latency_ms")) >= AUTH_DELAY_MS - 500, access.encode());
      assertTrue(lines.stream().anyMatch(l -> l.getString("formattedMessage", "").startsWith("Shut down cleanly")),
          "the shutdown finished cleanly");
    } finally {
      if (service.isAlive()) {
        service.destroyForcibly().waitFor();
      }
      taskcluster.stop(0);
      TestEnv.deleteUsers(client, prefix);
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
    }
  }

  @Test
  void aBadLogFormatStopsTheJarWithAMessageNamingIt() throws Exception {
    Path log = Files.createTempFile("pulse-bad-format", ".log");
    Process process = JarProcess.start(Map.of("PULSE_LOG_FORMAT", "xml"), log).process();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    assertTrue(Files.readString(log).contains("PULSE_LOG_FORMAT"), Files.readString(log));
  }

  /** Every line of the log is one JSON object. */
  private static List<JsonObject> jsonLines(Path log) throws IOException {
    List<String> raw = Files.readAllLines(log, StandardCharsets.UTF_8);
    assertFalse(raw.isEmpty());
    return raw.stream().filter(line -> !line.isBlank()).map(line -> {
      try {
        return new JsonObject(line);
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON line: " + line, e);
      }
    }).collect(Collectors.toList());
  }

  private static Map<String, Object> fields(JsonArray kvpList) {
    Map<String, Object> fields = new HashMap<>();
    kvpList.forEach(pair -> fields.putAll(((JsonObject) pair).getMap()));
    return fields;
  }

  /** Taskcluster's authenticate-hawk, answering auth-success after AUTH_DELAY_MS. */
  private static HttpServer slowTaskclusterAuth(CountDownLatch asked) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext("/api/auth/v1/authenticate-hawk", exchange -> {
      exchange.getRequestBody().readAllBytes();
      asked.countDown();
      try {
        Thread.sleep(AUTH_DELAY_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = new JsonObject().put("status", "auth-success").put("scheme", "hawk")
          .put("clientId", "remote-client").put("scopes", new JsonArray().add("pulse:namespace:*"))
          .put("expires", Instant.now().plusSeconds(3600).toString()).encode().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return server;
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
