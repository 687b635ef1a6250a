package io.pulse.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.client.PulseError;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What operators and their tools ask: load-balancer and dependency heartbeats, the build's version, Prometheus
 * metrics and the OpenAPI document.
 */
final class OperationsRoutes {

  private static final Logger log = LoggerFactory.getLogger(OperationsRoutes.class);
  /** How long /__heartbeat__ waits for PostgreSQL and RabbitMQ before it calls them down. */
  private static final long HEARTBEAT_MS = 3000;

  private final PrometheusMeterRegistry meters;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final String version;
  private final String openapi;

  private OperationsRoutes(Vertx vertx, PrometheusMeterRegistry meters, String version, String openapi) {
    this.meters = meters;
    this.store = NamespaceStore.createProxy(vertx, HEARTBEAT_MS);
    this.rabbit = RabbitAdmin.createProxy(vertx, HEARTBEAT_MS);
    this.version = version;
    this.openapi = openapi;
  }

  /** Reads the version and OpenAPI documents from the jar (blocking: call off the event loop). */
  static OperationsRoutes load(Vertx vertx, PrometheusMeterRegistry meters) throws IOException {
    return new OperationsRoutes(vertx, meters, versionDocument().encode(), resource("openapi.json"));
  }

  void mount(Router router) {
    router.get("/__lbheartbeat__").handler(ctx -> ctx.response().end("{}"));
    router.get("/__heartbeat__").handler(this::heartbeat);
    router.get("/__version__").handler(ctx -> ctx.response().end(version));
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(meters.scrape()));
    router.get(HttpVerticle.BASE + "/openapi.json").handler(ctx -> ctx.response().end(openapi));
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
    try (InputStream in = OperationsRoutes.class.getResourceAsStream("/io/pulse/api/" + name)) {
      if (in == null) {
        throw new IOException("resource /io/pulse/api/" + name + " is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
