package io.pulse.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.api.Errors.RequestInfo;
import io.pulse.api.auth.Caller;
import io.pulse.client.PulseError;
import io.pulse.config.HttpConfig;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.core.NamespaceCore;
import io.pulse.core.Outcomes;
import io.vertx.core.Future;
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
  private final Access access;
  private final Naming naming;
  private final HttpConfig limits;
  private final RateLimiter firstClaims;
  private final RateLimiter revocations;
  private final Outcomes claimOutcomes;
  private final Outcomes revocationOutcomes;
  private final Map<String, Counter> limited = new HashMap<>();

  NamespaceRoutes(NamespaceCore namespaces, Access access, PulseConfig config, MeterRegistry meters,
      HttpShared shared) {
    this.namespaces = namespaces;
    this.access = access;
    this.naming = config.naming();
    this.limits = config.http();
    this.firstClaims = shared.firstClaims;
    this.revocations = shared.revocations;
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
    Access.answer(ctx, info, namespaces.namespace(name));
  }

  private void listNamespaces(RoutingContext ctx) {
    RequestInfo info = new RequestInfo("listNamespaces", new JsonObject(), null);
    JsonObject query;
    try {
      query = Access.query(ctx);
    } catch (ServiceException e) {
      Errors.send(ctx, info, e);
      return;
    }
    Access.answer(ctx, info, namespaces.listNamespaces(query));
  }

  private void claimNamespace(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    JsonObject params = new JsonObject().put("namespace", name);
    Object parsed;
    JsonObject payload;
    try {
      parsed = Access.body(ctx);
    } catch (ServiceException e) {
      refuse(ctx, new RequestInfo("claimNamespace", params, null), claimOutcomes, e);
      return;
    }
    RequestInfo info = new RequestInfo("claimNamespace", params, parsed);
    try {
      payload = Access.objectBody(parsed,
          "{\"expires\": \"2030-01-01T00:00:00Z\", \"contact\": \"owner@example.com\"}");
    } catch (ServiceException e) {
      refuse(ctx, info, claimOutcomes, e);
      return;
    }
    Future<JsonObject> claimed = namespaceCaller(ctx, name).compose(caller ->
        failuresLogged("claimNamespace", name, caller, limitedClaim(caller, name, payload)));
    Access.answer(ctx, info, claimOutcomes.count(claimed));
  }

  /**
   * A claim within the caller's limit on first claims. A caller with tokens claims and pays one only when the claim made
   * the namespace; a caller without may still renew what exists (reclaims are never limited).
   */
  private Future<JsonObject> limitedClaim(Caller caller, String name, JsonObject payload) {
    long now = System.nanoTime();
    if (firstClaims.available(caller.name(), now)) {
      return namespaces.claim(name, payload, caller.name()).map(claim -> {
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
      return namespaces.claim(name, payload, caller.name()).map(NamespaceCore.Claim::answer);
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
      return logged("revokeNamespace", name, caller, namespaces.revoke(name, caller.name()));
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
    return access.authorize(ctx, "pulse:namespace:" + name);
  }

  /**
   * Logs a failed call like {@link #logged}; a claim that succeeds is the access log's line (method, path, status,
   * caller) and, when it made the namespace, the core's "Namespace ... created": renewals, the bulk of the traffic, log
   * one line each, not two.
   */
  private static <T> Future<T> failuresLogged(String method, String name, Caller caller, Future<T> call) {
    return call.onFailure(e -> log.info("{} namespace={} caller={} outcome={}", method, name, caller.name(),
        PulseError.of(e).code()));
  }

  /** Logs who did what to which namespace, and how it ended (a code, never a secret). */
  private static <T> Future<T> logged(String method, String name, Caller caller, Future<T> call) {
    return call.onComplete(ar -> log.info("{} namespace={} caller={} outcome={}", method, name, caller.name(),
        ar.succeeded() ? "ok" : PulseError.of(ar.cause()).code()));
  }
}
