package io.pulse.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.api.Errors.RequestInfo;
import io.pulse.api.auth.Authenticator;
import io.pulse.api.auth.Caller;
import io.pulse.api.auth.Scopes;
import io.pulse.client.PulseError;
import io.pulse.config.HttpConfig;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.config.Text;
import io.pulse.core.NamespaceCore;
import io.pulse.core.Outcomes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.serviceproxy.ServiceException;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API of Taskcluster's pulse service under {@code /api/pulse/v1}: ping, read, list, claim and revoke. Routes
 * on one namespace check its name first (400 whatever the credentials), then that the caller holds
 * {@code pulse:namespace:<name>}; the namespace service does the rest.
 */
final class NamespaceRoutes {

  private static final Logger log = LoggerFactory.getLogger(NamespaceRoutes.class);
  static final long MAX_BODY_BYTES = 64 * 1024;

  private final NamespaceCore namespaces;
  private final Authenticator authenticator;
  private final Naming naming;
  private final HttpConfig limits;
  private final RateLimiter firstClaims;
  private final RateLimiter revocations;
  private final Outcomes claimOutcomes;
  private final Outcomes revocationOutcomes;
  private final Map<String, Counter> limited = new HashMap<>();

  NamespaceRoutes(NamespaceCore namespaces, Authenticator authenticator, PulseConfig config, MeterRegistry meters) {
    this.namespaces = namespaces;
    this.authenticator = authenticator;
    this.naming = config.naming();
    this.limits = config.http();
    this.firstClaims = new RateLimiter(limits.firstClaimsPerSecond(), limits.rateLimitBurst());
    this.revocations = new RateLimiter(limits.revocationsPerSecond(), limits.rateLimitBurst());
    this.claimOutcomes = Outcomes.claims(meters);
    this.revocationOutcomes = Outcomes.revocations(meters);
    for (String action : List.of("claim", "revoke")) {
      limited.put(action, Counter.builder("pulse.rate.limited").description("Requests refused by a rate limit")
          .tag("action", action).register(meters));
    }
  }

  void mount(Router router) {
    String base = HttpVerticle.BASE;
    router.get(base + "/ping").handler(this::ping);
    router.get(base + "/namespaces").handler(this::listNamespaces);
    router.get(base + "/namespace/:namespace").handler(this::namespace);
    router.post(base + "/namespace/:namespace")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::claimNamespace)
        // A body over the limit fails the route before claimNamespace: counted as a claim's outcome too.
        .failureHandler(ctx -> {
          if (ctx.statusCode() == 413) {
            refuse(ctx, null, claimOutcomes, tooLarge());
          } else {
            ctx.next();
          }
        });
    router.delete(base + "/namespace/:namespace").handler(this::revokeNamespace);
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
        Errors.send(ctx, info,
            PulseError.INVALID_REQUEST_ARGUMENTS.exception("query argument '" + key + "' is given twice"));
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
      parsed = body == null || body.length() == 0 || body.toString().isBlank() ? new JsonObject()
          : Json.decodeValue(body);
    } catch (DecodeException e) {
      refuse(ctx, new RequestInfo("claimNamespace", params, null), claimOutcomes, PulseError.MALFORMED_PAYLOAD
          .exception("Request body is not valid JSON: " + firstLine(e.getMessage())));
      return;
    }
    RequestInfo info = new RequestInfo("claimNamespace", params, parsed);
    if (!(parsed instanceof JsonObject)) {
      refuse(ctx, info, claimOutcomes, PulseError.INPUT_VALIDATION.exception("Request body must be a JSON object"
          + " such as {\"expires\": \"2030-01-01T00:00:00Z\", \"contact\": \"owner@example.com\"}"));
      return;
    }
    Future<JsonObject> claimed = namespaceCaller(ctx, name).compose(caller ->
        logged("claimNamespace", name, caller, limitedClaim(caller, name, (JsonObject) parsed)));
    answer(ctx, info, claimOutcomes.count(claimed));
  }

  /**
   * A claim within the caller's limit on first claims. A caller with tokens claims and pays one only when the claim made
   * the namespace; a caller without may still renew what exists (reclaims are never limited).
   */
  private Future<JsonObject> limitedClaim(Caller caller, String name, JsonObject payload) {
    long now = System.nanoTime();
    if (firstClaims.available(caller.name(), now)) {
      return namespaces.claim(name, payload).map(claim -> {
        if (claim.created()) {
          firstClaims.take(caller.name(), System.nanoTime());
        }
        return claim.answer();
      });
    }
    return namespaces.exists(name).compose(exists -> {
      if (!exists) {
        limited.get("claim").increment();
        return Future.failedFuture(PulseError.TOO_MANY_REQUESTS.exception("Too many new namespaces: caller "
            + caller.name() + " may make " + perSecond(firstClaims) + "; renewing existing ones is not limited",
            firstClaims.retryAfterSeconds(caller.name(), System.nanoTime())));
      }
      return namespaces.claim(name, payload).map(NamespaceCore.Claim::answer);
    });
  }

  private void revokeNamespace(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    RequestInfo info = new RequestInfo("revokeNamespace", new JsonObject().put("namespace", name), null);
    Future<NamespaceCore.Revocation> revoked = namespaceCaller(ctx, name).compose(caller -> {
      if (!revocations.tryTake(caller.name(), System.nanoTime())) {
        limited.get("revoke").increment();
        return Future.failedFuture(PulseError.TOO_MANY_REQUESTS.exception("Too many revocations: caller "
            + caller.name() + " may make " + perSecond(revocations),
            revocations.retryAfterSeconds(caller.name(), System.nanoTime())));
      }
      return logged("revokeNamespace", name, caller, namespaces.revoke(name));
    });
    revocationOutcomes.count(revoked).onComplete(ar -> {
      if (ar.succeeded() && ar.result() == NamespaceCore.Revocation.REMOVED) {
        ctx.response().setStatusCode(204).end();
      } else if (ar.succeeded()) {
        ctx.response().setStatusCode(202).end(new JsonObject().put("namespace", name).put("state", "removing")
            .put("message", "Namespace '" + name + "' is being removed (claims no longer renew it); GET "
                + HttpVerticle.BASE + "/namespace/" + name + " answers 404 once it is gone").encode());
      } else {
        Errors.send(ctx, info, ar.cause());
      }
    });
  }

  private String perSecond(RateLimiter limiter) {
    return limiter == firstClaims ? limits.firstClaimsPerSecond() + " per second (bursts of "
        + limits.rateLimitBurst() + ")" : limits.revocationsPerSecond() + " per second (bursts of "
        + limits.rateLimitBurst() + ")";
  }

  static Throwable tooLarge() {
    return PulseError.MALFORMED_PAYLOAD.exception("Request body is larger than " + MAX_BODY_BYTES + " bytes");
  }

  private static void refuse(RoutingContext ctx, RequestInfo info, Outcomes outcomes, Throwable failure) {
    outcomes.count(failure);
    Errors.send(ctx, info, failure);
  }

  /** The caller of a route on one namespace: the name is checked first, then the scope. */
  private Future<Caller> namespaceCaller(RoutingContext ctx, String name) {
    try {
      naming.checkNamespace(name);
    } catch (ServiceException e) {
      return Future.failedFuture(e);
    }
    return authorize(ctx, new JsonObject().put("AllOf", new JsonArray().add("pulse:namespace:" + name)));
  }

  private Future<Caller> authorize(RoutingContext ctx, JsonObject required) {
    return authenticator.authenticate(ctx).compose(caller -> {
      ctx.put(AccessLog.CALLER, caller.name());
      Object missing = Scopes.unsatisfied(caller.scopes(), required);
      if (missing == null) {
        return Future.succeededFuture(caller);
      }
      log.info("{} {} refused: caller {} lacks {}", ctx.request().method(), Text.loggable(ctx.request().path()),
          caller.name(), Text.loggable(Scopes.describe(missing)));
      return PulseError.INSUFFICIENT_SCOPES.fail("Insufficient scopes: this request requires "
          + Scopes.describe(required) + " and the caller is missing " + Scopes.describe(missing));
    });
  }

  /** Logs who did what to which namespace, and how it ended (a code, never a secret). */
  private static <T> Future<T> logged(String method, String name, Caller caller, Future<T> call) {
    return call.onComplete(ar -> log.info("{} namespace={} caller={} outcome={}", method, name, caller.name(),
        ar.succeeded() ? "ok" : PulseError.of(ar.cause()).code()));
  }

  private static void answer(RoutingContext ctx, RequestInfo info, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().setStatusCode(200).end(ar.result().encode());
      } else {
        Errors.send(ctx, info, ar.cause());
      }
    });
  }

  private static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }
}
