package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code docker build} cannot run here, so the Dockerfile is kept honest by reading it: the jar it copies is what the
 * build makes, it runs as a user that is not root, and its health check asks a route the built jar answers 200.
 */
@ExtendWith(VertxExtension.class)
class DockerfileIT {

  private static final Path CHECKOUT = Path.of("..");

  private static String dockerfile() throws Exception {
    return Files.readString(CHECKOUT.resolve("Dockerfile"));
  }

  @Test
  void theJarItCopiesIsTheOneTheBuildMakes() throws Exception {
    Matcher copy = Pattern.compile("(?m)^COPY\\s+(\\S+\\.jar)\\s+(\\S+)$").matcher(dockerfile());
    assertTrue(copy.find(), "the Dockerfile copies a jar");
    Path copied = CHECKOUT.resolve(copy.group(1)).normalize();
    assertEquals(JarProcess.JAR.toAbsolutePath().normalize(), copied.toAbsolutePath().normalize());
    assertTrue(Files.size(copied) > 1_000_000, copied + " is the fat jar");
    Matcher entry = Pattern.compile("(?m)^ENTRYPOINT\\s+\\[.*\"-jar\",\\s*\"([^\"]+)\"").matcher(dockerfile());
    assertTrue(entry.find(), "the entry point runs a jar");
    assertEquals(copy.group(2), entry.group(1), "the entry point runs the jar where it was copied");
  }

  @Test
  void itRunsAsAUserThatIsNotRoot() throws Exception {
    List<String> users = Pattern.compile("(?m)^USER\\s+(\\S+)").matcher(dockerfile()).results()
        .map(m -> m.group(1)).toList();
    assertFalse(users.isEmpty(), "the Dockerfile sets a USER");
    String last = users.get(users.size() - 1);
    assertFalse(last.equals("root") || last.equals("0") || last.startsWith("0:") || last.startsWith("root:"), last);
    assertTrue(dockerfile().matches("(?s).*useradd[^\\n]*\\b" + Pattern.quote(last) + "\\b.*"),
        "the user " + last + " is made in the image");
  }

  @Test
  void itsHealthCheckAsksARouteTheJarAnswers(Vertx vertx) throws Exception {
    Matcher check = Pattern.compile("(?s)HEALTHCHECK.*?CMD.*?(?:GET|HEAD) (\\S+) HTTP").matcher(dockerfile());
    assertTrue(check.find(), "the Dockerfile has an HTTP health check");
    String route = check.group(1);
    Matcher port = Pattern.compile("PULSE_HTTP_PORT=(\\d+)").matcher(dockerfile());
    assertTrue(port.find() && dockerfile().contains("/127.0.0.1/${PULSE_HTTP_PORT}"),
        "the health check asks the port the image sets");

    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", TestEnv.unique("docker") + "-");
    int httpPort = TestEnv.freePort();
    env.put("PULSE_HTTP_PORT", String.valueOf(httpPort));
    try (JarProcess jar = JarProcess.start(env, Files.createTempFile("pulse-docker", ".log"))) {
      jar.awaitOk(httpPort, "/api/pulse/v1/ping");
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + route)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), route + ": " + health.body());
    } finally {
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
    }
  }
}
