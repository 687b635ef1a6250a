package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.JarProcess;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** {@code java -jar pulse.jar ...} as an operator types it: help, version, subcommands, refusals and exit codes. */
class CommandLineIT {

  /** One run of the jar: exit code, stdout and stderr. */
  record Run(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  static Run run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(JarProcess.javaBinary(), "-jar",
        JarProcess.JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("pulse-cli", ".out");
    Path err = Files.createTempFile("pulse-cli", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("java -jar pulse.jar " + String.join(" ", args) + " did not exit:\n"
          + Files.readString(out) + Files.readString(err));
    }
    Run run = new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return run;
  }

  @Test
  void helpListsTheCommandsAndExits0() throws Exception {
    Run help = run(Map.of(), "--help");
    assertEquals(0, help.exit(), help.all());
    for (String expected : List.of("Usage: java -jar pulse.jar", "serve", "token", "check-config", "--version")) {
      assertTrue(help.out().contains(expected), expected + " in:\n" + help.out());
    }
    Run subcommandHelp = run(Map.of(), "token", "--help");
    assertEquals(0, subcommandHelp.exit(), subcommandHelp.all());
    assertTrue(subcommandHelp.out().contains("--ttl"), subcommandHelp.out());
  }

  @Test
  void versionPrintsTheBuildAndExits0() throws Exception {
    Run version = run(Map.of(), "--version");
    assertEquals(0, version.exit(), version.all());
    assertTrue(version.out().matches("pulse \\S+ \\(commit \\S+\\)\\s*"), version.out());
  }

  @Test
  void unknownArgumentsAreRefusedWithTheUsageAndExit2() throws Exception {
    for (String[] args : List.of(new String[] {"--bogus"}, new String[] {"frobnicate"},
        new String[] {"serve", "--port", "1"}, new String[] {"token", "--nope"})) {
      Run refused = run(Map.of(), args);
      assertEquals(2, refused.exit(), String.join(" ", args) + ": " + refused.all());
      assertTrue(refused.err().contains("Usage: java -jar pulse.jar"), refused.err());
      assertTrue(refused.err().contains(args[args.length - 1].startsWith("-") ? args[args.length - 1] : args[0]),
          "the refusal names the argument: " + refused.err());
    }
  }

  @Test
  void anInvalidConfigurationExits2NamingTheKey() throws Exception {
    Run invalid = run(Map.of("PULSE_HTTP_PORT", "eighty"), "check-config");
    assertEquals(2, invalid.exit(), invalid.all());
    assertTrue(invalid.err().contains("Invalid configuration: PULSE_HTTP_PORT"), invalid.err());
  }

  @Test
  void tokenMintsABearerTokenWithTheScopesAndSubjectGiven() throws Exception {
    Run token = run(Map.of("PULSE_JWT_SECRET", TestEnv.JWT_SECRET), "token", "--sub", "cli-test", "--ttl", "5m",
        "pulse:namespace:a", "pulse:namespace:b");
    assertEquals(0, token.exit(), token.all());
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(token.out().trim().split("\\.")[1]),
        StandardCharsets.UTF_8));
    assertEquals("cli-test", claims.getString("sub"));
    assertEquals(List.of("pulse:namespace:a", "pulse:namespace:b"), claims.getJsonArray("scopes").getList());
    assertEquals(300, claims.getLong("exp") - claims.getLong("iat"));
  }

  @Test
  void checkConfigReachesTheDatabaseAndTheBrokerAndExits0OrNamesWhatFails() throws Exception {
    Vertx vertx = Vertx.vertx();
    String database = TestEnv.createDatabase(vertx);
    try {
      String password = "pw-" + TestEnv.unique("never-printed");
      Map<String, String> env = new HashMap<>();
      // Trust authentication ignores the password; check-config must not print it either way.
      env.put("PULSE_DB_URL", "postgresql://" + TestEnv.PG_USER + ":" + password + "@" + TestEnv.PG_HOST + ":"
          + TestEnv.PG_PORT + "/" + database);
      env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
      env.put("PULSE_RABBIT_API", TestEnv.managementApi());
      env.put("PULSE_RABBIT_USER", TestEnv.ADMIN_USER);
      env.put("PULSE_RABBIT_PASSWORD", TestEnv.ADMIN_PASSWORD);
      env.put("PULSE_AMQP_URL", TestEnv.amqpUrl("/"));

      Run good = run(env, "check-config");
      assertEquals(0, good.exit(), good.all());
      assertTrue(good.out().contains("PostgreSQL: ok"), good.out());
      assertTrue(good.out().contains("RabbitMQ management API: ok"), good.out());
      assertFalse(good.all().contains(password), "no password printed");
      assertFalse(good.all().contains(TestEnv.SECRET_KEY), "no key printed");

      env.put("PULSE_RABBIT_API", "http://127.0.0.1:" + TestEnv.closedPort() + "/api");
      Run noBroker = run(env, "check-config");
      assertEquals(1, noBroker.exit(), noBroker.all());
      assertTrue(noBroker.out().contains("PostgreSQL: ok"), noBroker.out());
      assertTrue(noBroker.out().contains("RabbitMQ management API: FAILED"), noBroker.out());

      env.put("PULSE_RABBIT_API", TestEnv.managementApi());
      env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(TestEnv.unique("no-such-vhost")));
      Run noVhost = run(env, "check-config");
      assertEquals(1, noVhost.exit(), noVhost.all());
      assertTrue(noVhost.out().contains("RabbitMQ management API: FAILED: vhost"), noVhost.out());
    } finally {
      TestEnv.dropDatabase(vertx, database);
      vertx.close().await();
    }
  }
}
