import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One-off scale run (bench/rotation-scale, not CI): a rotation sweep over N due namespaces (default 100,000) on a
 * private RabbitMQ node (bench2@localhost, AMQP 5674, management 15674, its files under /tmp), which it starts and
 * stops, so the shared broker never holds these users. The namespaces and their active users are seeded directly
 * (rows in a database of its own, users by bulk import), every rotation made due; then the service is launched with
 * scripts/jvm.options and timed from launch until every namespace has rotated once, its peak resident memory read.
 */
public final class RotationScale {

  static final String HOST = "127.0.0.1";
  static final int AMQP = 5674;
  static final int MGMT = 15674;
  static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  static final String DB = "pulse_scale_" + RUN;
  static final String PREFIX = "scale" + RUN + "-";
  static final SecureRandom RANDOM = new SecureRandom();
  /** The CLI itself, not the Debian wrapper (which switches to the rabbitmq user, whose Erlang cookie differs). */
  static final String RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl";

  static Vertx vertx;
  static WebClient mgmt;

  public static void main(String[] args) {
    try {
      run(args.length > 0 ? Integer.parseInt(args[0]) : 100_000);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(int n) throws Exception {
    Path base = Files.createTempDirectory("pulse-scale-");
    Process broker = null;
    Process service = null;
    vertx = Vertx.vertx();
    mgmt = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(4));
    Pool admin = pool("postgres");
    try {
      broker = startBroker(base);
      admin.query("CREATE DATABASE " + DB).execute().await();
      // A first launch applies the schema; nothing is due yet.
      service = launch(base, "1h");
      stop(service);
      seed(n);
      long launched = System.nanoTime();
      service = launch(base, "1s");
      double startup = (System.nanoTime() - launched) / 1e9;
      System.out.printf(Locale.ROOT, "Service started in %.1f s%n", startup);
      Pool db = pool(DB);
      long lastReport = 0;
      long peakKb = 0;
      while (true) {
        long left = db.query("SELECT count(*) FROM namespaces WHERE rotations = 0").execute().await().iterator().next()
            .getLong(0);
        peakKb = Math.max(peakKb, vmHwmKb(service.pid()));
        if (left == 0) {
          break;
        }
        if (!service.isAlive()) {
          throw new IllegalStateException("the service exited during the sweep; see bench/scale-service.log");
        }
        if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(10)) {
          lastReport = System.nanoTime();
          System.out.printf(Locale.ROOT, "  %.0f s: %d of %d left%n", (lastReport - launched) / 1e9, left, n);
        }
        Thread.sleep(200);
      }
      double sweep = (System.nanoTime() - launched) / 1e9 - startup;
      db.close().await();
      System.out.printf(Locale.ROOT, "%nRotation sweep over %,d namespaces (private RabbitMQ, first rotations: each"
          + " standby user made with its permissions): %.1f s after a start-up of %.1f s (%.0f rotations/s);"
          + " service peak resident memory (VmHWM) %d MB%n", n, sweep, startup, n / sweep, peakKb / 1024);
    } catch (Exception e) {
      e.printStackTrace();
      throw e;
    } finally {
      stop(service);
      if (broker != null) {
        new ProcessBuilder(RABBITMQCTL, "-n", "bench2@localhost", "stop").inheritIO().start().waitFor();
        broker.waitFor(60, TimeUnit.SECONDS);
        // rabbitmq-server is a shell script running the node as its child: stop both.
        broker.toHandle().descendants().forEach(ProcessHandle::destroy);
        broker.destroy();
      }
      admin.query("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)").execute().await();
      new ProcessBuilder("rm", "-rf", base.toString()).start().waitFor();
      admin.close();
      vertx.close();
    }
  }

  static Process startBroker(Path base) throws Exception {
    Files.writeString(base.resolve("enabled_plugins"), "[rabbitmq_management].\n");
    Files.writeString(base.resolve("rabbitmq.conf"), "management.tcp.port = " + MGMT + "\nlisteners.tcp.default = "
        + AMQP + "\n");
    ProcessBuilder builder = new ProcessBuilder("/usr/lib/rabbitmq/bin/rabbitmq-server")
        .redirectErrorStream(true).redirectOutput(base.resolve("broker.out").toFile());
    builder.environment().put("RABBITMQ_NODENAME", "bench2@localhost");
    builder.environment().put("RABBITMQ_NODE_PORT", String.valueOf(AMQP));
    builder.environment().put("RABBITMQ_DIST_PORT", "25674");
    builder.environment().put("RABBITMQ_MNESIA_BASE", base.resolve("mnesia").toString());
    builder.environment().put("RABBITMQ_LOG_BASE", base.resolve("log").toString());
    builder.environment().put("RABBITMQ_ENABLED_PLUGINS_FILE", base.resolve("enabled_plugins").toString());
    builder.environment().put("RABBITMQ_ENABLED_PLUGINS", "rabbitmq_management");
    builder.environment().put("RABBITMQ_CONFIG_FILE", base.resolve("rabbitmq.conf").toString());
    builder.environment().put("RABBITMQ_PID_FILE", base.resolve("pid").toString());
    Process broker = builder.start();
    for (int i = 0; i < 240; i++) {
      if (!broker.isAlive()) {
        throw new IllegalStateException("the private RabbitMQ node exited: "
            + Files.readString(base.resolve("broker.out")).lines().filter(l -> l.contains("Kernel pid terminated"))
            .findFirst().orElse("see its output"));
      }
      try {
        if (management(HttpMethod.GET, "/overview", null).await().statusCode() == 200) {
          return broker;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("the private node's management API did not answer");
  }

  /** n due namespaces, their rows (passwords in clear: PULSE_ALLOW_PLAINTEXT_SECRETS) and their active users. */
  static void seed(int n) throws Exception {
    Pool db = pool(DB);
    long started = System.nanoTime();
    for (int from = 0; from < n; from += 5000) {
      int to = Math.min(n, from + 5000);
      List<String> names = new ArrayList<>();
      List<String> passwords = new ArrayList<>();
      JsonArray users = new JsonArray();
      for (int i = from; i < to; i++) {
        String ns = "ns" + i;
        String password = password();
        names.add(ns);
        passwords.add(password);
        users.add(new JsonObject().put("name", PREFIX + ns + "-1").put("password_hash", hash(password))
            .put("hashing_algorithm", "rabbit_password_hashing_sha256").put("tags", new JsonArray().add("pulse-managed")));
      }
      HttpResponse<Buffer> imported = management(HttpMethod.POST, "/definitions",
          new JsonObject().put("users", users)).await();
      if (imported.statusCode() >= 300) {
        throw new IllegalStateException("import: " + imported.statusCode() + " " + imported.bodyAsString());
      }
      db.preparedQuery("INSERT INTO namespaces (name, expires, password_1, next_rotation, provisioned) "
          + "SELECT unnest($1::text[]), now() + interval '30 days', unnest($2::text[]), now() - interval '1 second', "
          + "true").execute(Tuple.tuple().addValue(names.toArray(new String[0])).addValue(passwords.toArray(new String[0])))
          .await();
    }
    db.close().await();
    System.out.printf(Locale.ROOT, "Seeded %,d namespaces and their users in %.0f s%n", n,
        (System.nanoTime() - started) / 1e9);
  }

  static Process launch(Path base, String maintenance) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@scripts/jvm.options", "-jar", "app/target/pulse.jar").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("bench/scale-service.log").toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().put("PULSE_HTTP_PORT", String.valueOf(port));
    builder.environment().put("PULSE_HTTP_HOST", HOST);
    builder.environment().put("PULSE_DB_URL", "postgresql://postgres@" + HOST + ":5432/" + DB);
    builder.environment().put("PULSE_ALLOW_PLAINTEXT_SECRETS", "true");
    builder.environment().put("PULSE_AMQP_URL", "amqp://" + HOST + ":" + AMQP + "/%2F");
    builder.environment().put("PULSE_RABBIT_API", "http://" + HOST + ":" + MGMT + "/api");
    builder.environment().put("PULSE_USERNAME_PREFIX", PREFIX);
    builder.environment().put("PULSE_JWT_SECRET", "scale-secret-of-at-least-thirty-two-bytes");
    builder.environment().put("PULSE_ROTATION_INTERVAL", "1h");
    builder.environment().put("PULSE_MAINTENANCE_INTERVAL", maintenance);
    builder.environment().put("PULSE_RECONCILE_INTERVAL", "24h");
    builder.environment().put("PULSE_MONITOR_INTERVAL", "1h");
    builder.environment().put("PULSE_LOG_LEVEL", "WARN");
    Process service = builder.start();
    for (int i = 0; ; i++) {
      try {
        if (WebClient.create(vertx).get(port, HOST, "/api/pulse/v1/ping").send().await().statusCode() == 200) {
          return service;
        }
      } catch (Exception notYet) {
        if (i > 2000 || !service.isAlive()) {
          throw new IllegalStateException("the service did not start; see bench/scale-service.log");
        }
      }
      Thread.sleep(50);
    }
  }

  static void stop(Process service) throws Exception {
    if (service != null && service.isAlive()) {
      service.destroy();
      if (!service.waitFor(60, TimeUnit.SECONDS)) {
        service.destroyForcibly();
      }
    }
  }

  static Future<HttpResponse<Buffer>> management(HttpMethod method, String path, JsonObject body) {
    var request = mgmt.request(method, MGMT, HOST, "/api" + path).basicAuthentication("guest", "guest")
        .timeout(600_000);
    return body == null ? request.send() : request.sendJsonObject(body);
  }

  static Pool pool(String database) {
    return PgBuilder.pool().connectingTo(new PgConnectOptions().setHost(HOST).setPort(5432).setUser("postgres")
        .setDatabase(database)).using(vertx).build();
  }

  static String password() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String hash(String password) throws Exception {
    byte[] salt = new byte[4];
    RANDOM.nextBytes(salt);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(salt);
    byte[] digest = sha.digest(password.getBytes(StandardCharsets.UTF_8));
    byte[] out = new byte[4 + digest.length];
    System.arraycopy(salt, 0, out, 0, 4);
    System.arraycopy(digest, 0, out, 4, digest.length);
    return Base64.getEncoder().encodeToString(out);
  }

  static long vmHwmKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception gone) {
      return 0;
    }
    return 0;
  }
}
