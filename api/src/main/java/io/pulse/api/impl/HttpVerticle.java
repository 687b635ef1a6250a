package io.pulse.api.impl;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.api.NamespaceService;
import io.pulse.api.auth.Authenticator;
import io.pulse.api.auth.Caller;
import io.pulse.api.auth.Hawk;
import io.pulse.api.auth.Scopes;
import io.pulse.config.PulseConfig;
import io.pulse.config.PulseError;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.serviceproxy.ServiceException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** The REST API under {@code /api/pulse/v1}, keeping the contract of Taskcluster's pulse service. */
public final class HttpVerticle extends VerticleBase {

  public static final String BASE = "/api/pulse/v1";
  private static final Logger log = LoggerFactory.getLogger(HttpVerticle.class);
  /** One line per request; its own logger, so operators can turn it down or route it. */
  private static final Logger access = LoggerFactory.getLogger("io.pulse.access");
  private static final long MAX_BODY_BYTES = 64 * 1024;
  /** How long /__heartbeat__ waits for PostgreSQL and RabbitMQ before it calls them down. */
  private static final long HEARTBEAT_MS = 3000;
  /** Polled by load balancers and Prometheus every few seconds: their lines are DEBUG, not INFO. */
  private static final Set<String> QUIET_PATHS = Set.of("/__lbheartbeat__", "/__heartbeat__", "/metrics");
  private static final String CALLER = "pulse.caller";

  private final PulseConfig config;
  private final PrometheusMeterRegistry meters;
  private NamespaceService namespaces;
  private NamespaceStore store;
  private RabbitAdmin rabbit;
  private Authenticator authenticator;
  private HttpServer server;
  private Router router;
  private String version;
  private String openapi;

  public HttpVerticle(PulseConfig config, PrometheusMeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  /** The routes served, for checking them against the OpenAPI document. */
  public Router router() {
    return router;
  }

  /** The port the server listens on (useful with PULSE_HTTP_PORT=0). */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      version = versionDocument().encode();
      openapi = resource("openapi.json");
      return null;
    }).compose(v -> listen());
  }

  private Future<HttpServer> listen() {
    namespaces = NamespaceService.createProxy(vertx, NamespaceVerticle.serviceTimeoutMillis(config));
    store = NamespaceStore.createProxy(vertx, HEARTBEAT_MS);
    rabbit = RabbitAdmin.createProxy(vertx, HEARTBEAT_MS);
    authenticator = Authenticator.create(vertx, config);

    router = Router.router(vertx);
    router.route().handler(ctx -> {
      long started = System.nanoTime();
      ctx.addEndHandler(ar -> logRequest(ctx, started, ar.succeeded()));
      ctx.response().putHeader("Content-Type", "application/json; charset=utf-8");
      ctx.next();
    });
    router.get("/__lbheartbeat__").handler(ctx -> ctx.response().end("{}"));
    router.get("/__heartbeat__").handler(this::heartbeat);
    router.get("/__version__").handler(ctx -> ctx.response().end(version));
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(meters.scrape()));
    router.get(BASE + "/openapi.json").handler(ctx -> ctx.response().end(openapi));
    router.get(BASE + "/ping").handler(this::ping);
    router.get(BASE + "/namespaces").handler(this::listNamespaces);
    router.get(BASE + "/namespace/:namespace").handler(this::namespace);
    router.post(BASE + "/namespace/:namespace")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::claimNamespace);
    router.delete(BASE + "/namespace/:namespace").handler(this::revokeNamespace);
    router.errorHandler(404, ctx -> error(ctx, null, PulseError.RESOURCE_NOT_FOUND.exception(
        "No such route: " + ctx.request().method() + " " + ctx.request().path())));
    router.errorHandler(405, ctx -> error(ctx, null, new ServiceException(405,
        "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path(),
        new JsonObject().put("code", "MethodNotAllowed"))));
    router.errorHandler(413, ctx -> error(ctx, null, PulseError.MALFORMED_PAYLOAD.exception(
        "Request body is larger than " + MAX_BODY_BYTES + " bytes")));
    router.errorHandler(500, ctx -> {
      log.error("Unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
      error(ctx, null, PulseError.INTERNAL.exception("Internal error"));
    });

    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.httpHost())
        .setPort(config.httpPort())
        .setMaxHeaderSize(32 * 1024));
    return server.requestHandler(router).listen()
        .onSuccess(s -> log.info("REST API listening on {}:{}{}", config.httpHost(), s.actualPort(), BASE));
  }

  /**
   * Stops taking connections and lets the requests in flight finish (within PULSE_SHUTDOWN_TIMEOUT) before the
   * verticles they call are undeployed.
   */
  @Override
  public Future<?> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture()
        : server.shutdown(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
    return authenticator == null ? closed : closed.eventually(authenticator::close);
  }

  private void logRequest(RoutingContext ctx, long started, boolean answered) {
    String path = ctx.request().path();
    Level level = QUIET_PATHS.contains(path) ? Level.DEBUG : Level.INFO;
    if (!access.isEnabledForLevel(level)) {
      return;
    }
    String method = ctx.request().method().name();
    Object status = answered ? ctx.response().getStatusCode() : "aborted";
    double ms = Math.round((System.nanoTime() - started) / 10_000.0) / 100.0;
    String caller = ctx.get(CALLER, Caller.ANONYMOUS.name());
    access.atLevel(level)
        .addKeyValue("method", method)
        .addKeyValue("path", path)
        .addKeyValue("status", status)
        .addKeyValue("latency_ms", ms)
        .addKeyValue("caller", caller)
        .log("{} {} {} {} ms caller={}", method, path, status, ms, caller);
  }

  /** 200 when PostgreSQL and the RabbitMQ management API both answer within a few seconds; else 503 naming them. */
  private void heartbeat(RoutingContext ctx) {
    Future<Void> database = store.ping().timeout(HEARTBEAT_MS, TimeUnit.MILLISECONDS);
    Future<JsonObject> broker = rabbit.overview().timeout(HEARTBEAT_MS, TimeUnit.MILLISECONDS);
    Future.join(database, broker).onComplete(ar -> {
      JsonObject checks = new JsonObject()
          .put("postgresql", database.succeeded() ? "ok" : "down: " + database.cause().getMessage())
          .put("rabbitmq", broker.succeeded() ? "ok" : "down: " + broker.cause().getMessage());
      JsonObject body = new JsonObject().put("status", ar.succeeded() ? "ok" : "error").put("checks", checks);
      if (ar.succeeded()) {
        ctx.response().end(body.encode());
        return;
      }
      StringBuilder down = new StringBuilder();
      if (database.failed()) {
        down.append("PostgreSQL");
      }
      if (broker.failed()) {
        down.append(down.length() > 0 ? " and " : "").append("the RabbitMQ management API");
      }
      log.warn("Heartbeat: {} down ({})", down, checks.encode());
      body.put("code", PulseError.SERVICE_UNAVAILABLE.code()).put("message", down + " cannot be reached");
      ctx.response().setStatusCode(503).end(body.encode());
    });
  }

  /** {@code {"name", "version", "commit"}}, written into the jar at build time. */
  private static JsonObject versionDocument() throws IOException {
    JsonObject built = new JsonObject(resource("version.json"));
    JsonObject answer = new JsonObject().put("name", "pulse");
    for (String key : new String[] {"version", "commit"}) {
      String value = built.getString(key, "");
      // A build outside a git checkout leaves the placeholder unfilled.
      answer.put(key, value.isBlank() || value.startsWith("${") ? "unknown" : value);
    }
    return answer;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = HttpVerticle.class.getResourceAsStream("/io/pulse/api/" + name)) {
      if (in == null) {
        throw new IOException("resource /io/pulse/api/" + name + " is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private void ping(RoutingContext ctx) {
    double uptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
    ctx.response().end(new JsonObject().put("alive", true).put("uptime", uptime).encode());
  }

  private void namespace(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    RequestInfo info = new RequestInfo("namespace", new JsonObject().put("namespace", name), null);
    answer(ctx, info, namespaces.namespace(name));
  }

  private void listNamespaces(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    ctx.queryParams().forEach((k, v) -> query.put(k, v));
    RequestInfo info = new RequestInfo("listNamespaces", new JsonObject(), null);
    for (String key : ctx.queryParams().names()) {
      if (ctx.queryParams().getAll(key).size() > 1) {
        error(ctx, info, PulseError.INVALID_REQUEST_ARGUMENTS.exception("query argument '" + key + "' is given twice"));
        return;
      }
    }
    answer(ctx, info, namespaces.listNamespaces(query));
  }

  private void claimNamespace(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    JsonObject params = new JsonObject().put("namespace", name);
    Buffer body = ctx.body().buffer();
    Object parsed;
    try {
      parsed = body == null || body.length() == 0 || body.toString().isBlank() ? new JsonObject() : Json.decodeValue(body);
    } catch (DecodeException e) {
      error(ctx, new RequestInfo("claimNamespace", params, null), PulseError.MALFORMED_PAYLOAD.exception(
          "Request body is not valid JSON: " + firstLine(e.getMessage())));
      return;
    }
    RequestInfo info = new RequestInfo("claimNamespace", params, parsed);
    if (!(parsed instanceof JsonObject)) {
      error(ctx, info, PulseError.INPUT_VALIDATION.exception("Request body must be a JSON object such as"
          + " {\"expires\": \"2030-01-01T00:00:00Z\", \"contact\": \"owner@example.com\"}"));
      return;
    }
    Future<JsonObject> claimed = namespaceCaller(ctx, name)
        .compose(caller -> logged("claimNamespace", name, caller, namespaces.claimNamespace(name, (JsonObject) parsed)));
    answer(ctx, info, claimed);
  }

  private void revokeNamespace(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    RequestInfo info = new RequestInfo("revokeNamespace", new JsonObject().put("namespace", name), null);
    namespaceCaller(ctx, name)
        .compose(caller -> logged("revokeNamespace", name, caller, namespaces.revokeNamespace(name)))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            ctx.response().setStatusCode(204).end();
          } else {
            error(ctx, info, ar.cause());
          }
        });
  }

  /**
   * The caller of a route on one namespace: the name is checked first (400 whatever the credentials), then the caller
   * must hold {@code pulse:namespace:<name>}.
   */
  private Future<Caller> namespaceCaller(RoutingContext ctx, String name) {
    try {
      Validation.namespace(name, config.namespacePrefix());
    } catch (ServiceException e) {
      return Future.failedFuture(e);
    }
    return authorize(ctx, new JsonObject().put("AllOf", new JsonArray().add("pulse:namespace:" + name)));
  }

  /** Logs who did what to which namespace, and how it ended (a code, never a secret). */
  private static <T> Future<T> logged(String method, String name, Caller caller, Future<T> call) {
    return call.onComplete(ar -> log.info("{} namespace={} caller={} outcome={}", method, name, caller.name(),
        ar.succeeded() ? "ok" : PulseError.of(ar.cause()).code()));
  }

  private Future<Caller> authorize(RoutingContext ctx, JsonObject required) {
    return authenticator.authenticate(ctx).compose(caller -> {
      ctx.put(CALLER, caller.name());
      Object missing = Scopes.unsatisfied(caller.scopes(), required);
      if (missing == null) {
        return Future.succeededFuture(caller);
      }
      log.info("{} {} refused: caller {} lacks {}", ctx.request().method(), ctx.request().path(), caller.name(),
          Scopes.describe(missing));
      return PulseError.INSUFFICIENT_SCOPES.fail("Insufficient scopes: this request requires "
          + Scopes.describe(required) + " and the caller is missing " + Scopes.describe(missing));
    });
  }

  private void answer(RoutingContext ctx, RequestInfo info, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().setStatusCode(200).end(ar.result().encode());
      } else {
        error(ctx, info, ar.cause());
      }
    });
  }

  private void error(RoutingContext ctx, RequestInfo info, Throwable failure) {
    if (ctx.response().ended()) {
      return;
    }
    PulseError error = PulseError.of(failure);
    int status;
    String code;
    String message;
    if (failure instanceof ServiceException && ((ServiceException) failure).getDebugInfo() != null
        && ((ServiceException) failure).getDebugInfo().getString("code") != null) {
      ServiceException se = (ServiceException) failure;
      status = se.failureCode();
      code = se.getDebugInfo().getString("code");
      message = se.getMessage();
    } else if (error == PulseError.SERVICE_UNAVAILABLE) {
      status = error.status();
      code = error.code();
      message = PulseError.translate(failure, "the namespace service").getMessage();
    } else {
      log.error("Unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
      status = 500;
      code = PulseError.INTERNAL.code();
      message = "Internal error";
    }
    JsonObject body = new JsonObject().put("code", code).put("message", message);
    if (info != null) {
      body.put("requestInfo", info.toJson());
    }
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate",
          Hawk.isHawk(ctx.request().getHeader("Authorization")) ? "hawk" : "Bearer");
    }
    ctx.response().setStatusCode(status).end(body.encode());
  }

  private static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }

  /** What Taskcluster puts in {@code requestInfo} of an error: the method, params, payload and time. */
  private record RequestInfo(String method, JsonObject params, Object payload) {
    JsonObject toJson() {
      JsonObject json = new JsonObject().put("method", method).put("params", params);
      if (payload != null) {
        json.put("payload", payload);
      }
      return json.put("time", NamespaceServiceImpl.iso(Instant.now()));
    }
  }

}
