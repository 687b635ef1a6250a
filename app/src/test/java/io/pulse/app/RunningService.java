package io.pulse.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole service deployed in the test's Vert.x against the real PostgreSQL and RabbitMQ, with a database, a
 * vhost and a user-name prefix of its own, all removed on close.
 */
final class RunningService implements AutoCloseable {

  final Vertx vertx;
  final WebClient client;
  final PulseConfig config;
  final PulseDeployment deployment;
  final String database;
  final String vhost;
  final String userPrefix;
  private final JWTAuth tokens;

  private RunningService(Vertx vertx, WebClient client, PulseConfig config, PulseDeployment deployment,
      String database, String vhost, String userPrefix) {
    this.vertx = vertx;
    this.client = client;
    this.config = config;
    this.deployment = deployment;
    this.database = database;
    this.vhost = vhost;
    this.userPrefix = userPrefix;
    this.tokens = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestEnv.JWT_SECRET)));
  }

  static RunningService start(Vertx vertx) {
    return start(vertx, Map.of());
  }

  /** Starts the service with its own database, vhost and user prefix; {@code overrides} change the rest. */
  static RunningService start(Vertx vertx, Map<String, String> overrides) {
    return start(vertx, overrides, Metering.registry());
  }

  /**
   * As {@link #start(Vertx, Map)}, with the service's meters in {@code meters}: the registry {@code vertx} reports to
   * (see {@link Main#createVertx}) makes {@code /metrics} what the fat jar serves.
   */
  static RunningService start(Vertx vertx, Map<String, String> overrides, PrometheusMeterRegistry meters) {
    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    String userPrefix = TestEnv.unique("u") + "-";
    Map<String, String> settings = new HashMap<>();
    settings.put("PULSE_HTTP_PORT", "0");
    settings.put("PULSE_HTTP_HOST", "127.0.0.1");
    settings.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    settings.put("PULSE_RABBIT_API", TestEnv.managementApi());
    settings.put("PULSE_RABBIT_USER", TestEnv.ADMIN_USER);
    settings.put("PULSE_RABBIT_PASSWORD", TestEnv.ADMIN_PASSWORD);
    settings.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    settings.put("PULSE_USERNAME_PREFIX", userPrefix);
    settings.put("PULSE_JWT_SECRET", TestEnv.JWT_SECRET);
    settings.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    settings.put("PULSE_DB_TIMEOUT", "3s");
    settings.put("PULSE_RABBIT_TIMEOUT", "3s");
    // The monitor deletes orphans of the vhost; only the tests about it let it sweep.
    settings.put("PULSE_MONITOR_INTERVAL", "1h");
    // "{vhost}" in an override is this service's vhost, URL-encoded (for PULSE_AMQP_URL through a relay).
    overrides.forEach((key, value) -> settings.put(key, value == null ? null
        : value.replace("{vhost}", TestEnv.encode(vhost))));
    PulseConfig config = PulseConfig.fromMap(settings);
    PulseDeployment deployment = PulseDeployment.deploy(vertx, config, true, meters).await();
    return new RunningService(vertx, client, config, deployment, database, vhost, userPrefix);
  }

  String token(String... scopes) {
    return tokenOf("test", scopes);
  }

  /** A bearer token of the caller {@code subject} (callers are told apart by it, e.g. for rate limits). */
  String tokenOf(String subject, String... scopes) {
    return tokens.generateToken(new JsonObject().put("scopes", new JsonArray(List.of(scopes))),
        new JWTOptions().setSubject(subject).setExpiresInMinutes(10));
  }

  /** {@code POST /api/pulse/v1/namespace/<ns>} with a token holding exactly {@code pulse:namespace:<ns>}. */
  HttpResponse<Buffer> claim(String namespace, JsonObject payload) {
    return post("/namespace/" + namespace, payload == null ? null : payload.encode(),
        token("pulse:namespace:" + namespace));
  }

  HttpResponse<Buffer> post(String path, String body, String token) {
    HttpRequest<Buffer> request = request(HttpMethod.POST, path, token).putHeader("Content-Type", "application/json");
    return (body == null ? request.send() : request.sendBuffer(Buffer.buffer(body))).await();
  }

  HttpResponse<Buffer> get(String path) {
    return request(HttpMethod.GET, path, null).send().await();
  }

  HttpRequest<Buffer> request(HttpMethod method, String path, String token) {
    HttpRequest<Buffer> request = client.request(method, deployment.httpPort(), "127.0.0.1", "/api/pulse/v1" + path);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    return request;
  }

  /** A counter's value (or a timer's count) in this service's meters, summed over the series with these tags. */
  double count(String meter, String... tags) {
    Search found = deployment.meters().find(meter).tags(tags);
    return found.counters().stream().mapToDouble(Counter::count).sum()
        + found.timers().stream().mapToDouble(Timer::count).sum();
  }

  /** Waits until {@code more} more monitor sweeps than now have completed ({@code outcome} ok or failed). */
  void awaitMonitorSweeps(int more, String outcome) {
    double seen = count("pulse.monitor.sweeps", "outcome", outcome);
    TestEnv.eventually(60, more + " more monitor sweeps (" + outcome + ")",
        () -> count("pulse.monitor.sweeps", "outcome", outcome) >= seen + more);
  }

  /** Waits until {@code more} more maintenance sweeps of this kind than now have completed successfully. */
  void awaitMaintenanceSweeps(int more, String sweep) {
    double seen = count("pulse.maintenance.sweeps", "sweep", sweep, "outcome", "ok");
    TestEnv.eventually(60, more + " more " + sweep + " sweeps",
        () -> count("pulse.maintenance.sweeps", "sweep", sweep, "outcome", "ok") >= seen + more);
  }

  /** Management API calls this service made with an HTTP method so far ({@code PUT}: users, permissions). */
  double rabbitCalls(String method) {
    return count("pulse.rabbit.api", "method", method);
  }

  /** The RabbitMQ user name of a namespace's user 1 or 2. */
  String username(String namespace, int user) {
    return userPrefix + namespace + "-" + user;
  }

  @Override
  public void close() {
    try {
      deployment.undeploy().await();
    } finally {
      TestEnv.deleteUsers(client, userPrefix);
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
      client.close();
    }
  }
}
