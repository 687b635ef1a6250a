package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compatibility with the real, unmodified npm package taskcluster-client@12.0.0: {@code src/test/node/compat.js}
 * drives the running service through its {@code Pulse} class (ping, claimNamespace, namespace, listNamespaces) with
 * permanent credentials, unnamed and named temporary credentials and authorizedScopes, and uses a returned
 * connection string over AMQP with amqplib. The packages are installed here from the committed lockfile
 * ({@code npm ci}) when missing, so a clean clone needs only Node.js and npm.
 */
class TaskclusterClientIT {

  private static final Path NODE_DIR = Path.of("src/test/node").toAbsolutePath();
  private static final String CLIENT_ID = "compat/client";
  private static final String ACCESS_TOKEN = "compat-permanent-access-token";

  private static Vertx vertx;
  private static RunningService service;
  private static String prefix;

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isDirectory(NODE_DIR.resolve("node_modules/taskcluster-client"))
        || !Files.isDirectory(NODE_DIR.resolve("node_modules/amqplib"))) {
      Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 300);
      assertEquals(0, install.exitCode, "npm ci failed in " + NODE_DIR + ":\n" + install.output);
    }
    prefix = TestEnv.unique("tc");
    JsonArray clients = new JsonArray().add(new JsonObject().put("clientId", CLIENT_ID)
        .put("accessToken", ACCESS_TOKEN)
        .put("scopes", new JsonArray().add("pulse:namespace:" + prefix + "*").add("auth:create-client:" + CLIENT_ID
            + "/*")));
    vertx = Vertx.vertx();
    service = RunningService.start(vertx, Map.of("PULSE_STATIC_CLIENTS", clients.encode()));
  }

  @AfterAll
  static void stop() {
    try {
      if (service != null) {
        service.close();
      }
    } finally {
      if (vertx != null) {
        vertx.close().await();
      }
    }
  }

  @Test
  void unmodifiedTaskclusterClientWorksWithEveryKindOfCredentials() throws Exception {
    Result compat = run(List.of("node", "compat.js"), Map.of(
        "ROOT_URL", "http://127.0.0.1:" + service.deployment.httpPort(),
        "CLIENT_ID", CLIENT_ID,
        "ACCESS_TOKEN", ACCESS_TOKEN,
        "NS_PREFIX", prefix,
        "AMQP_HOST", TestEnv.RABBIT_HOST), 180);
    System.out.println(compat.output);
    String resultLine = compat.output.lines().filter(l -> l.startsWith("RESULT ")).reduce((a, b) -> b).orElse(null);
    assertNotNull(resultLine, "compat.js printed no RESULT line:\n" + compat.output);
    assertEquals(0, compat.exitCode, "compat.js reported failures:\n" + compat.output);
    assertFalse(compat.output.contains("\nFAIL "), compat.output);

    JsonObject result = new JsonObject(resultLine.substring("RESULT ".length()));
    JsonObject checks = result.getJsonObject("checks");
    for (String check : List.of("ping", "permanentClaim", "permanentClaimOverAmqp", "namespace", "namespaceUnknown",
        "temporaryClaim", "namedTemporaryClaim", "namedTemporaryWithoutCreateClientScope", "temporaryWiderThanIssuer",
        "authorizedScopesClaim", "temporaryWithAuthorizedScopes", "authorizedScopesWiderThanClient",
        "wrongAccessToken", "noCredentials", "listNamespaces")) {
      assertTrue(checks.containsKey(check) && !(checks.getValue(check) instanceof JsonObject
          && checks.getJsonObject(check).containsKey("error")), check + " did not pass: " + checks.getValue(check));
    }
    assertEquals("{\"hello\": \"world\"}", checks.getJsonObject("permanentClaimOverAmqp").getString("delivered"));
    assertEquals(403, checks.getJsonObject("temporaryClaim").getJsonObject("outside").getInteger("statusCode"));
    assertEquals(CLIENT_ID + "/named", checks.getJsonObject("namedTemporaryClaim").getString("clientId"));

    // What the client was told matches the service's own records and the broker's users.
    for (String suffix : List.of("perm", "temp", "named", "auth", "tauth1")) {
      String ns = prefix + suffix;
      assertEquals(1, TestEnv.sql(vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name = $1", ns).size(), ns + " is recorded");
      assertNotNull(TestEnv.user(service.client, service.username(ns, 1)), ns + " has its RabbitMQ user");
    }
    for (String suffix : List.of("tempother", "noname", "wide", "authother", "tauth2", "authwide", "wrong", "anon")) {
      String ns = prefix + suffix;
      assertEquals(0, TestEnv.sql(vertx, service.database,
          "SELECT 1 FROM namespaces WHERE name = $1", ns).size(), ns + " was refused, so nothing is recorded");
    }
  }

  private record Result(int exitCode, String output) {
  }

  /** Runs a command in src/test/node with extra environment, output and errors together, within a time limit. */
  private static Result run(List<String> command, Map<String, String> env, int timeoutSeconds)
      throws IOException, InterruptedException {
    File log = File.createTempFile("compat", ".log");
    log.deleteOnExit();
    ProcessBuilder builder = new ProcessBuilder(command).directory(NODE_DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log);
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command.get(0) + ": Node.js and npm must be on the PATH"
          + " for the Taskcluster client compatibility test", e);
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      return new Result(-1, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log.toPath()));
    }
    return new Result(process.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
  }
}
