package io.pulse.testkit;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The real services the tests use: PostgreSQL on 127.0.0.1:5432 and RabbitMQ on 5672 with its management API on
 * 15672 (override with PULSE_TEST_PG_HOST and friends). Every test gets its own database, vhost and names.
 */
public final class TestEnv {

  public static final String PG_HOST = env("PULSE_TEST_PG_HOST", "127.0.0.1");
  public static final int PG_PORT = Integer.parseInt(env("PULSE_TEST_PG_PORT", "5432"));
  public static final String PG_USER = env("PULSE_TEST_PG_USER", "postgres");
  public static final String RABBIT_HOST = env("PULSE_TEST_RABBIT_HOST", "127.0.0.1");
  public static final int AMQP_PORT = Integer.parseInt(env("PULSE_TEST_AMQP_PORT", "5672"));
  public static final int MANAGEMENT_PORT = Integer.parseInt(env("PULSE_TEST_MANAGEMENT_PORT", "15672"));
  /** The rabbitmq_prometheus plugin's port (scripts/provision enables the plugin). */
  public static final int PROMETHEUS_PORT = Integer.parseInt(env("PULSE_TEST_PROMETHEUS_PORT", "15692"));
  public static final String ADMIN_USER = env("PULSE_TEST_RABBIT_USER", "guest");
  public static final String ADMIN_PASSWORD = env("PULSE_TEST_RABBIT_PASSWORD", "guest");
  public static final String JWT_SECRET = "test-secret-for-hs256-tokens-only";
  /** The key that encrypts the passwords the service stores (PULSE_SECRET_KEY): 32 bytes, base64. */
  public static final String SECRET_KEY = "dGVzdC1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0tLS0=";

  private static final SecureRandom RANDOM = new SecureRandom();

  private TestEnv() {
  }

  /** A short unique name, safe for databases, vhosts, users and namespaces. */
  public static String unique(String stem) {
    return stem + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36).substring(0, 8).toLowerCase(Locale.ROOT);
  }

  public static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  public static String dbUrl(String database) {
    return "postgresql://" + PG_USER + "@" + PG_HOST + ":" + PG_PORT + "/" + database;
  }

  public static String managementApi() {
    return "http://" + RABBIT_HOST + ":" + MANAGEMENT_PORT + "/api";
  }

  /** The broker's Prometheus endpoint, as PULSE_RABBIT_PROMETHEUS_URL takes it. */
  public static String prometheusUrl() {
    return "http://" + RABBIT_HOST + ":" + PROMETHEUS_PORT;
  }

  public static String amqpUrl(String vhost) {
    return "amqp://" + RABBIT_HOST + ":" + AMQP_PORT + "/" + encode(vhost);
  }

  public static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A TCP port nothing listens on (now): for a service to listen on, or to stand for one that is down. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A TCP port nothing listens on, standing for a service that is down. */
  public static int closedPort() {
    return freePort();
  }

  /** Polls {@code condition} every 100 ms until it holds; fails after {@code seconds} (a generous bound). */
  public static void eventually(int seconds, String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("timed out after " + seconds + " s waiting for: " + what);
  }

  // --- PostgreSQL -------------------------------------------------------------------------------------------

  public static Pool adminPool(Vertx vertx, String database) {
    return PgBuilder.pool()
        .connectingTo(new PgConnectOptions().setHost(PG_HOST).setPort(PG_PORT).setUser(PG_USER).setDatabase(database))
        .using(vertx)
        .build();
  }

  public static String createDatabase(Vertx vertx) {
    String name = unique("pulse_test_");
    Pool pool = adminPool(vertx, "postgres");
    try {
      pool.query("CREATE DATABASE " + name).execute().await();
    } finally {
      pool.close().await();
    }
    return name;
  }

  public static void dropDatabase(Vertx vertx, String name) {
    Pool pool = adminPool(vertx, "postgres");
    try {
      pool.query("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").execute().await();
    } finally {
      pool.close().await();
    }
  }

  /** Rows of a query against a test database, for checks the API does not show (contact, passwords). */
  public static List<Row> sql(Vertx vertx, String database, String query, Object... args) {
    Pool pool = adminPool(vertx, database);
    try {
      List<Row> rows = new ArrayList<>();
      pool.preparedQuery(query).execute(Tuple.from(args)).await().forEach(rows::add);
      return rows;
    } finally {
      pool.close().await();
    }
  }

  // --- RabbitMQ management ----------------------------------------------------------------------------------

  public static HttpResponse<Buffer> management(WebClient client, String method, String path, JsonObject body) {
    var request = client.request(io.vertx.core.http.HttpMethod.valueOf(method), MANAGEMENT_PORT, RABBIT_HOST,
        "/api" + path).basicAuthentication(ADMIN_USER, ADMIN_PASSWORD);
    return (body == null ? request.send() : request.sendJsonObject(body)).await();
  }

  public static String createVhost(WebClient client) {
    String vhost = unique("pulse-test-");
    HttpResponse<Buffer> created = management(client, "PUT", "/vhosts/" + encode(vhost), new JsonObject());
    if (created.statusCode() / 100 != 2) {
      throw new IllegalStateException("cannot create vhost " + vhost + ": " + created.statusCode());
    }
    management(client, "PUT", "/permissions/" + encode(vhost) + "/" + encode(ADMIN_USER),
        new JsonObject().put("configure", ".*").put("write", ".*").put("read", ".*"));
    return vhost;
  }

  public static void deleteVhost(WebClient client, String vhost) {
    management(client, "DELETE", "/vhosts/" + encode(vhost), null);
  }

  /** Names of the broker's users that start with {@code prefix}. */
  public static List<String> users(WebClient client, String prefix) {
    // The shared broker has answered this listing now and then without a body while other sessions churn users;
    // asked again, it answers. What it said is printed, so the cause can be found.
    java.util.concurrent.atomic.AtomicReference<HttpResponse<Buffer>> answer = new java.util.concurrent.atomic.AtomicReference<>();
    eventually(30, "the broker lists its users", () -> {
      HttpResponse<Buffer> listed = management(client, "GET", "/users?columns=name", null);
      answer.set(listed);
      boolean ok = listed.statusCode() == 200 && listed.body() != null && listed.body().length() > 0;
      if (!ok) {
        System.err.println("GET /api/users answered " + listed.statusCode() + " " + listed.headers().entries() + " "
            + (listed.body() == null ? "(no body)" : listed.bodyAsString()));
      }
      return ok;
    });
    JsonArray all = answer.get().bodyAsJsonArray();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      String name = all.getJsonObject(i).getString("name");
      if (name.startsWith(prefix)) {
        names.add(name);
      }
    }
    return names;
  }

  public static JsonObject user(WebClient client, String name) {
    HttpResponse<Buffer> response = management(client, "GET", "/users/" + encode(name), null);
    return response.statusCode() == 200 ? response.bodyAsJsonObject() : null;
  }

  /** The management API's status for a queue of {@code vhost}: 200 when it exists, 404 when not. */
  public static int queueStatus(WebClient client, String vhost, String name) {
    return management(client, "GET", "/queues/" + encode(vhost) + "/" + encode(name), null).statusCode();
  }

  /** The management API's status for an exchange of {@code vhost}: 200 when it exists, 404 when not. */
  public static int exchangeStatus(WebClient client, String vhost, String name) {
    return management(client, "GET", "/exchanges/" + encode(vhost) + "/" + encode(name), null).statusCode();
  }

  public static void deleteUsers(WebClient client, String prefix) {
    for (String name : users(client, prefix)) {
      management(client, "DELETE", "/users/" + encode(name), null);
    }
  }

  // --- AMQP -------------------------------------------------------------------------------------------------

  /** An AMQP connection made exactly as a caller would: from the connection string the service returned. */
  public static Connection connect(String connectionString) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(connectionString.replace("@localhost:", "@" + RABBIT_HOST + ":"));
    factory.setConnectionTimeout(10_000);
    factory.setAutomaticRecoveryEnabled(false);
    return factory.newConnection("pulse-test");
  }
}
