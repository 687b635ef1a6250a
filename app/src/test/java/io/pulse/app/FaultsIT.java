package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.pulse.testkit.JarProcess;
import io.pulse.testkit.TcpRelay;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Faults as operators meet them, through the fat jar on the real services: the broker or the database cut off during
 * a stream of claims, the service killed (SIGKILL) during an expiry and during a rotation sweep, a replica killed in the
 * middle of its sweep. Each time: only 200 or 503 (never a 500, never a hang), nothing half-made visible, every
 * credential handed out works once the fault is over, and the interrupted work finishes within seconds of a restart.
 */
@ExtendWith(VertxExtension.class)
class FaultsIT {

  /** Far shorter than the two minutes a dead holder's work used to wait; generous for a 10 s lease. */
  private static final Duration RESUMED_WITHIN = Duration.ofSeconds(45);

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private Vertx vertx;
  private WebClient client;
  private String database;
  private String vhost;
  private String prefix;
  private JWTAuth tokens;
  private final List<JarProcess> jars = new ArrayList<>();
  private final List<TcpRelay> relays = new ArrayList<>();

  @BeforeEach
  void resources(Vertx vertx) {
    this.vertx = vertx;
    client = WebClient.create(vertx);
    database = TestEnv.createDatabase(vertx);
    vhost = TestEnv.createVhost(client);
    prefix = TestEnv.unique("fault") + "-";
    tokens = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestEnv.JWT_SECRET)));
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (JarProcess jar : jars) {
      jar.kill();
    }
    relays.forEach(TcpRelay::close);
    TestEnv.deleteUsers(client, prefix);
    TestEnv.deleteVhost(client, vhost);
    TestEnv.dropDatabase(vertx, database);
  }

  @Test
  void aBrokerCutOffDuringClaimsMeansOnly200Or503AndEveryCredentialWorksAfterwards() throws Exception {
    TcpRelay broker = relay(TestEnv.RABBIT_HOST, TestEnv.MANAGEMENT_PORT);
    Map<String, String> env = env("PULSE_RABBIT_API", "http://127.0.0.1:" + broker.port() + "/api");
    int port = start(env);
    Map<String, HttpResponse<String>> answers = claimsDuring(port, 60, broker);
    assertOnly200Or503(answers);
    assertCredentialsWorkAndNothingHalfMade(port, answers);
  }

  @Test
  void aDatabaseCutOffDuringClaimsMeansOnly200Or503AndEveryCredentialWorksAfterwards() throws Exception {
    TcpRelay postgres = relay(TestEnv.PG_HOST, TestEnv.PG_PORT);
    Map<String, String> env = env("PULSE_DB_URL", "postgresql://" + TestEnv.PG_USER + "@127.0.0.1:"
        + postgres.port() + "/" + database, "PULSE_DB_TIMEOUT", "2s");
    int port = start(env);
    Map<String, HttpResponse<String>> answers = claimsDuring(port, 60, postgres);
    assertOnly200Or503(answers);
    TestEnv.eventually(60, "the database is back for the service", () -> send(port, "GET", "/api/pulse/v1/namespaces",
        null).statusCode() == 200);
    assertCredentialsWorkAndNothingHalfMade(port, answers);
  }

  @Test
  void anExpiryInterruptedByAKillFinishesWithinSecondsOfTheRestart() throws Exception {
    Map<String, String> env = env("PULSE_MAINTENANCE_INTERVAL", "300ms", "PULSE_EXPIRY_DELAY", "0s");
    int port = start(env);
    String ns = TestEnv.unique("doomed");
    claim(port, ns);
    List<String> queues = declareQueues(ns, 300);
    TestEnv.sql(vertx, database, "UPDATE namespaces SET expires = now() - interval '1 second' WHERE name = $1", ns);
    TestEnv.eventually(60, "the expiry started (the row is leased)", () -> !TestEnv.sql(vertx, database,
        "SELECT 1 FROM namespaces WHERE name = $1 AND expiring AND lease_token IS NOT NULL", ns).isEmpty());
    jars.get(0).kill();

    long restarted = System.nanoTime();
    start(env);
    TestEnv.eventually((int) RESUMED_WITHIN.toSeconds(), "the restarted service finished the expiry",
        () -> TestEnv.sql(vertx, database, "SELECT 1 FROM namespaces WHERE name = $1", ns).isEmpty());
    System.out.printf("expiry finished %d ms after the restart%n", (System.nanoTime() - restarted) / 1_000_000);
    for (String queue : queues) {
      assertEquals(404, TestEnv.queueStatus(client, vhost, queue), queue + " removed");
    }
    assertEquals(List.of(), TestEnv.users(client, prefix + ns + "-"));
  }

  @Test
  void aRotationSweepInterruptedByAKillFinishesAndEveryCredentialWorks() throws Exception {
    Map<String, String> env = env("PULSE_MAINTENANCE_INTERVAL", "300ms");
    int port = start(env);
    Map<String, String> issued = new HashMap<>();
    for (int i = 0; i < 150; i++) {
      String ns = TestEnv.unique("rot");
      issued.put(ns, claim(port, ns));
    }
    TestEnv.sql(vertx, database, "UPDATE namespaces SET next_rotation = now() - interval '1 second'");
    TestEnv.eventually(60, "the rotation sweep started (rows leased)", () -> !TestEnv.sql(vertx, database,
        "SELECT 1 FROM namespaces WHERE lease_token IS NOT NULL AND rotations = 0").isEmpty());
    jars.get(0).kill();

    long restarted = System.nanoTime();
    port = start(env);
    TestEnv.eventually((int) RESUMED_WITHIN.toSeconds(), "every namespace rotated",
        () -> TestEnv.sql(vertx, database, "SELECT 1 FROM namespaces WHERE rotations = 0").isEmpty());
    System.out.printf("rotation sweep finished %d ms after the restart%n",
        (System.nanoTime() - restarted) / 1_000_000);
    for (Map.Entry<String, String> before : issued.entrySet()) {
      TestEnv.connect(before.getValue()).close();
      TestEnv.connect(claim(port, before.getKey())).close();
    }
  }

  @Test
  void theWorkOfAReplicaKilledInItsSweepIsFinishedByTheOtherWithinSeconds() throws Exception {
    Map<String, String> env = env("PULSE_MAINTENANCE_INTERVAL", "300ms", "PULSE_EXPIRY_DELAY", "0s");
    int port = start(env);
    String ns = TestEnv.unique("orphaned");
    claim(port, ns);
    List<String> queues = declareQueues(ns, 200);
    TestEnv.sql(vertx, database, "UPDATE namespaces SET expires = now() - interval '1 second' WHERE name = $1", ns);
    TestEnv.eventually(60, "the first replica leased the expiry", () -> !TestEnv.sql(vertx, database,
        "SELECT 1 FROM namespaces WHERE name = $1 AND lease_token IS NOT NULL", ns).isEmpty());
    jars.get(0).kill();
    long killed = System.nanoTime();

    start(env);
    TestEnv.eventually((int) RESUMED_WITHIN.toSeconds(), "the other replica finished the expiry",
        () -> TestEnv.sql(vertx, database, "SELECT 1 FROM namespaces WHERE name = $1", ns).isEmpty());
    System.out.printf("taken over %d ms after the kill%n", (System.nanoTime() - killed) / 1_000_000);
    assertEquals(404, TestEnv.queueStatus(client, vhost, queues.get(queues.size() - 1)));
  }

  // --- helpers --------------------------------------------------------------------------------------------

  private TcpRelay relay(String host, int port) {
    TcpRelay relay = TcpRelay.start(vertx, host, port);
    relays.add(relay);
    return relay;
  }

  private Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_RABBIT_TIMEOUT", "2s");
    env.put("PULSE_USERNAME_PREFIX", prefix);
    env.put("PULSE_JWT_SECRET", TestEnv.JWT_SECRET);
    env.put("PULSE_MONITOR_INTERVAL", "1h");
    env.put("PULSE_RECONCILE_INTERVAL", "1h");
    env.put("PULSE_HTTP_HOST", "127.0.0.1");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  /** Starts a jar with this environment on a free port, waiting until it answers; answers the port. */
  private int start(Map<String, String> env) throws Exception {
    int port = TestEnv.freePort();
    Map<String, String> withPort = new HashMap<>(env);
    withPort.put("PULSE_HTTP_PORT", String.valueOf(port));
    JarProcess jar = JarProcess.start(withPort, Files.createTempFile("pulse-fault", ".log"));
    jars.add(jar);
    jar.awaitOk(port, "/__lbheartbeat__");
    return port;
  }

  /** {@code count} first claims, 4 at a time, with the relay cut after a quarter of them and restored later. */
  private Map<String, HttpResponse<String>> claimsDuring(int port, int count, TcpRelay relay) throws Exception {
    Map<String, HttpResponse<String>> answers = new ConcurrentHashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      names.add(TestEnv.unique("fc"));
    }
    boolean cut = false;
    long restoredAt = 0;
    long slowest503 = 0;
    long firstOkAfterRestore = -1;
    for (int i = 0; i < count; i += 4) {
      if (!cut && i >= count / 4) {
        relay.cut();
        cut = true;
      }
      if (restoredAt == 0 && i >= count * 3 / 4) {
        relay.restore();
        restoredAt = System.nanoTime();
      }
      List<CompletableFuture<Void>> batch = new ArrayList<>();
      long sent = System.nanoTime();
      for (String ns : names.subList(i, Math.min(i + 4, count))) {
        batch.add(http.sendAsync(claimRequest(port, ns), HttpResponse.BodyHandlers.ofString())
            .thenAccept(answer -> answers.put(ns, answer)));
      }
      CompletableFuture.allOf(batch.toArray(new CompletableFuture[0])).get();
      long took = System.nanoTime() - sent;
      boolean any503 = false;
      boolean any200 = false;
      for (String ns : names.subList(i, Math.min(i + 4, count))) {
        any503 |= answers.get(ns).statusCode() == 503;
        any200 |= answers.get(ns).statusCode() == 200;
      }
      if (any503) {
        slowest503 = Math.max(slowest503, took);
      }
      if (restoredAt != 0 && firstOkAfterRestore < 0 && any200) {
        firstOkAfterRestore = System.nanoTime() - restoredAt;
      }
    }
    System.out.printf("outage: slowest batch with a 503 took %d ms; first 200 %d ms after the restore%n",
        slowest503 / 1_000_000, firstOkAfterRestore / 1_000_000);
    return answers;
  }

  private static void assertOnly200Or503(Map<String, HttpResponse<String>> answers) {
    Set<Integer> statuses = new TreeSet<>();
    answers.values().forEach(a -> statuses.add(a.statusCode()));
    assertTrue(Set.of(200, 503).containsAll(statuses), "only 200 and 503 during the outage: " + statuses);
    assertTrue(statuses.contains(503), "the outage was seen: " + statuses);
    answers.values().stream().filter(a -> a.statusCode() == 503)
        .forEach(a -> assertTrue(a.headers().firstValue("Retry-After").isPresent(), "a 503 says when to retry"));
  }

  private void assertCredentialsWorkAndNothingHalfMade(int port, Map<String, HttpResponse<String>> answers)
      throws Exception {
    for (Map.Entry<String, HttpResponse<String>> answer : answers.entrySet()) {
      String ns = answer.getKey();
      if (answer.getValue().statusCode() == 200) {
        TestEnv.connect(new JsonObject(answer.getValue().body()).getString("connectionString")).close();
      } else {
        int visible = send(port, "GET", "/api/pulse/v1/namespace/" + ns, null).statusCode();
        if (visible == 200) {
          // provisioned after the 503 by a later step of the same claim: then it must work when claimed
          TestEnv.connect(claim(port, ns)).close();
        } else {
          assertEquals(404, visible, "a namespace whose claim failed is invisible: " + ns);
        }
        TestEnv.connect(claim(port, ns)).close();
      }
    }
  }

  private List<String> declareQueues(String ns, int count) throws Exception {
    List<String> queues = new ArrayList<>();
    try (Connection admin = TestEnv.connect(TestEnv.amqpUrl(vhost).replace("amqp://",
        "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"))) {
      Channel channel = admin.createChannel();
      for (int i = 0; i < count; i++) {
        String queue = "queue/" + ns + "/q" + i;
        channel.queueDeclare(queue, true, false, false, null);
        queues.add(queue);
      }
    }
    return queues;
  }

  private HttpRequest claimRequest(int port, String ns) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/pulse/v1/namespace/" + ns))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + tokens.generateToken(new JsonObject().put("scopes",
            new io.vertx.core.json.JsonArray().add("pulse:namespace:" + ns)),
            new JWTOptions().setSubject("faults").setExpiresInMinutes(10)))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
  }

  /** Claims (or renews) a namespace, which must succeed; answers its connection string. */
  private String claim(int port, String ns) throws IOException, InterruptedException {
    HttpResponse<String> answer = http.send(claimRequest(port, ns), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    return new JsonObject(answer.body()).getString("connectionString");
  }

  private HttpResponse<String> send(int port, String method, String path, String body) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(30))
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
          .build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
