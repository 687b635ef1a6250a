package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The service as operators run it: {@code java -jar app/target/pulse.jar}, configured by environment variables. */
@ExtendWith(VertxExtension.class)
class FatJarIT {

  private static final Path JAR = Path.of(System.getProperty("pulse.jar", "target/pulse.jar"));
  private static final String SECRET = "fat-jar-test-secret-of-at-least-32-bytes";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theJarServesClaimsWhoseCredentialsWorkAndNeverLogsThem(Vertx vertx) throws Exception {
    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    String prefix = TestEnv.unique("jar") + "-";
    Path log = Files.createTempFile("pulse-jar", ".log");
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", prefix);
    env.put("PULSE_JWT_SECRET", SECRET);
    int port = freePort();
    env.put("PULSE_HTTP_PORT", String.valueOf(port));
    Process service = start(env, log);
    try {
      awaitPing(port, service, log);
      String ns = TestEnv.unique("jar");
      String token = mintToken(env, "pulse:namespace:" + ns);
      HttpResponse<String> claim = http.send(HttpRequest.newBuilder(uri(port, "/namespace/" + ns))
          .header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"contact\": \"jar@example.com\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, claim.statusCode(), claim.body());
      String connectionString = new JsonObject(claim.body()).getString("connectionString");
      TestEnv.connect(connectionString).close();

      HttpResponse<String> get = http.send(HttpRequest.newBuilder(uri(port, "/namespace/" + ns)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, get.statusCode());

      String password = URI.create(connectionString).getUserInfo().split(":")[1];
      // The console is written every 200 ms (and at once for warnings).
      TestEnv.eventually(10, "the claim is logged", () -> {
        try {
          return Files.readString(log).contains("Namespace " + ns + " created");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      String output = Files.readString(log);
      assertFalse(output.contains(password), "the password is never logged");
      assertFalse(output.contains(SECRET), "the JWT secret is never logged");
      assertFalse(output.contains(token), "the token is never logged");
    } finally {
      stop(service);
      TestEnv.deleteUsers(client, prefix);
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
    }
  }

  @Test
  void withoutADatabaseUrlTheJarRunsAnEmbeddedPostgresqlThatKeepsItsData(Vertx vertx) throws Exception {
    WebClient client = WebClient.create(vertx);
    String vhost = TestEnv.createVhost(client);
    String prefix = TestEnv.unique("emb") + "-";
    // World-traversable like a default ./data: as root the embedded server runs as 'nobody' and must reach it.
    Path dataDir = Files.createTempDirectory("pulse-data",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DATA_DIR", dataDir.toString());
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", prefix);
    env.put("PULSE_JWT_SECRET", SECRET);
    int port = freePort();
    env.put("PULSE_HTTP_PORT", String.valueOf(port));
    String ns = TestEnv.unique("emb");
    try {
      Path log = Files.createTempFile("pulse-embedded", ".log");
      Process first = start(env, log);
      try {
        awaitPing(port, first, log);
        HttpResponse<String> claim = http.send(HttpRequest.newBuilder(uri(port, "/namespace/" + ns))
            .header("Authorization", "Bearer " + mintToken(env, "pulse:namespace:*"))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, claim.statusCode(), claim.body());
      } finally {
        stop(first);
      }
      Process second = start(env, log);
      try {
        awaitPing(port, second, log);
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(uri(port, "/namespace/" + ns)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, get.statusCode(), "the namespace survived a restart: " + get.body());
        assertTrue(Files.isDirectory(dataDir.resolve("postgres")), "the data live under PULSE_DATA_DIR");
        Path passwordFile = dataDir.resolve("postgres/postgres.password");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(passwordFile)), "the embedded database asks for a password only we can read");
        assertFalse(Files.readString(log).contains(Files.readString(passwordFile).strip()),
            "that password is never logged");
      } finally {
        stop(second);
      }
    } finally {
      TestEnv.deleteUsers(client, prefix);
      TestEnv.deleteVhost(client, vhost);
      deleteTree(dataDir);
    }
  }

  @Test
  void aBadSettingStopsTheJarWithAMessageNamingIt() throws Exception {
    Path log = Files.createTempFile("pulse-bad", ".log");
    Process process = start(Map.of("PULSE_HTTP_PORT", "eighty", "PULSE_RABBIT_PASSWORD", "sekrit-value"), log);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the jar exits");
    assertEquals(2, process.exitValue());
    String output = Files.readString(log);
    assertTrue(output.contains("PULSE_HTTP_PORT"), output);
    assertFalse(output.contains("sekrit-value"), output);
  }

  private Process start(Map<String, String> env, Path log) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-jar", JAR.toAbsolutePath().toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().putAll(env);
    return builder.start();
  }

  private String mintToken(Map<String, String> env, String... scopes) throws Exception {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", JAR.toAbsolutePath().toString(), "token"));
    command.addAll(List.of(scopes));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().putAll(env);
    Process process = builder.start();
    String token = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue());
    return token;
  }

  private void awaitPing(int port, Process process, Path log) throws Exception {
    for (int i = 0; i < 240; i++) {
      if (!process.isAlive()) {
        throw new AssertionError("the service exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> ping = http.send(HttpRequest.newBuilder(uri(port, "/ping")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (ping.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the service did not answer /ping:\n" + Files.readString(log));
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + "/api/pulse/v1" + path);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }
}
