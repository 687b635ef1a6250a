package io.pulse.api;

import io.pulse.api.Errors.RequestInfo;
import io.pulse.api.auth.Caller;
import io.pulse.api.auth.Scopes;
import io.pulse.client.PulseError;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.core.NamespaceCore;
import io.pulse.core.OperatorCore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.serviceproxy.ServiceException;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Owners' self-service and operators' routes under {@code /api/pulse/v1}: who the caller is and which namespaces it
 * holds; a namespace's details, settings, queues, connections and history, and a purge or deletion of one of its
 * queues (scope {@code pulse:namespace:<ns>}); the biggest queues, the history of every namespace and the monitor's
 * exemptions (scope {@code pulse:admin}). A queue is named in a path by its full name, URL-encoded
 * ({@code queue%2Fmy-ns%2Forders}).
 */
final class SelfServiceRoutes {

  static final String ADMIN_SCOPE = "pulse:admin";
  private static final String NAMESPACE_SCOPE = "pulse:namespace:";
  /** The most namespaces {@code GET /caller} lists. */
  static final int CALLER_NAMESPACES = 100;
  private static final long MAX_BODY_BYTES = 16 * 1024;

  private final NamespaceCore namespaces;
  private final OperatorCore operators;
  private final Access access;
  private final Naming naming;

  SelfServiceRoutes(NamespaceCore namespaces, OperatorCore operators, Access access, PulseConfig config) {
    this.namespaces = namespaces;
    this.operators = operators;
    this.access = access;
    this.naming = config.naming();
  }

  void mount(Router router) {
    String base = HttpVerticle.BASE;
    String ns = base + "/namespace/:namespace";
    router.get(base + "/caller").handler(this::caller);
    router.get(ns + "/details").handler(ctx -> owner(ctx, "namespaceDetails", (name, caller) ->
        namespaces.namespaceDetails(name)));
    router.patch(ns).handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)).handler(this::update);
    router.get(ns + "/queues").handler(ctx -> owner(ctx, "namespaceQueues", (name, caller) ->
        namespaces.namespaceQueues(name, Access.query(ctx))));
    router.get(ns + "/connections").handler(ctx -> owner(ctx, "namespaceConnections", (name, caller) ->
        namespaces.namespaceConnections(name)));
    router.get(ns + "/history").handler(ctx -> owner(ctx, "namespaceHistory", (name, caller) ->
        namespaces.namespaceHistory(name, Access.query(ctx))));
    router.delete(ns + "/queue/:queue").handler(this::deleteQueue);
    router.post(ns + "/queue/:queue/purge").handler(ctx -> owner(ctx, "purgeQueue", (name, caller) ->
        namespaces.purgeQueue(name, ctx.pathParam("queue"), caller.name())));

    router.get(base + "/queues").handler(ctx -> admin(ctx, "biggestQueues", caller ->
        operators.biggestQueues(Access.query(ctx))));
    router.get(base + "/history").handler(ctx -> admin(ctx, "history", caller -> operators.history(Access.query(ctx))));
    router.get(base + "/exemptions").handler(ctx -> admin(ctx, "exemptions", caller -> operators.exemptions()));
    router.put(base + "/exemptions/:queue").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::putExemption);
    router.delete(base + "/exemptions/:queue").handler(this::removeExemption);
  }

  /**
   * The caller's name, scopes, whether it is an operator, and the live namespaces its scopes cover: exactly named
   * ({@code pulse:namespace:a}) or by a prefix pattern ({@code pulse:namespace:team-*}, {@code *}).
   */
  private void caller(RoutingContext ctx) {
    RequestInfo info = new RequestInfo("caller", new JsonObject(), null);
    Access.answer(ctx, info, access.caller(ctx).compose(caller -> {
      List<String> names = new ArrayList<>();
      TreeSet<String> prefixes = new TreeSet<>();
      for (String scope : caller.scopes()) {
        if (scope.endsWith("*")) {
          String held = scope.substring(0, scope.length() - 1);
          if (NAMESPACE_SCOPE.startsWith(held)) {
            prefixes.add("");
          } else if (held.startsWith(NAMESPACE_SCOPE)) {
            prefixes.add(held.substring(NAMESPACE_SCOPE.length()));
          }
        } else if (scope.startsWith(NAMESPACE_SCOPE) && Naming.isNamespace(
            scope.substring(NAMESPACE_SCOPE.length()))) {
          names.add(scope.substring(NAMESPACE_SCOPE.length()));
        }
      }
      // A prefix that another one covers adds nothing: "" (every namespace) covers all.
      List<String> distinct = new ArrayList<>();
      for (String prefix : prefixes) {
        if (distinct.stream().noneMatch(prefix::startsWith)) {
          distinct.add(prefix);
        }
      }
      return namespaces.namespacesOf(names, distinct, CALLER_NAMESPACES).map(found -> new JsonObject()
          .put("caller", caller.name())
          .put("scopes", new JsonArray(caller.scopes()))
          .put("admin", Scopes.satisfiesAny(caller.scopes(), ADMIN_SCOPE))
          .put("namespaces", found.getJsonArray("namespaces"))
          .put("more", found.getBoolean("more")));
    }));
  }

  private void update(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    JsonObject params = new JsonObject().put("namespace", name);
    Object parsed;
    try {
      parsed = Access.body(ctx);
    } catch (ServiceException e) {
      Errors.send(ctx, new RequestInfo("updateNamespace", params, null), e);
      return;
    }
    RequestInfo info = new RequestInfo("updateNamespace", params, parsed);
    Access.answer(ctx, info, ownerCaller(ctx, name).compose(caller -> namespaces.updateNamespace(name,
        Access.objectBody(parsed, "{\"contacts\": [\"owner@example.com\"], \"alertThreshold\": 1000}"),
        caller.name())));
  }

  private void deleteQueue(RoutingContext ctx) {
    String name = ctx.pathParam("namespace");
    String queue = ctx.pathParam("queue");
    RequestInfo info = new RequestInfo("deleteQueue", new JsonObject().put("namespace", name).put("queue", queue),
        null);
    Access.noContent(ctx, info, ownerCaller(ctx, name).compose(caller ->
        namespaces.deleteQueue(name, queue, caller.name())));
  }

  private void putExemption(RoutingContext ctx) {
    String queue = ctx.pathParam("queue");
    JsonObject params = new JsonObject().put("queue", queue);
    Object parsed;
    try {
      parsed = Access.body(ctx);
    } catch (ServiceException e) {
      Errors.send(ctx, new RequestInfo("putExemption", params, null), e);
      return;
    }
    RequestInfo info = new RequestInfo("putExemption", params, parsed);
    Access.answer(ctx, info, access.authorize(ctx, ADMIN_SCOPE).compose(caller -> operators.putExemption(queue,
        Access.objectBody(parsed, "{\"reason\": \"a nightly batch\", \"expires\": \"2030-01-01T00:00:00Z\"}"),
        caller.name())));
  }

  private void removeExemption(RoutingContext ctx) {
    String queue = ctx.pathParam("queue");
    RequestInfo info = new RequestInfo("removeExemption", new JsonObject().put("queue", queue), null);
    Access.noContent(ctx, info, access.authorize(ctx, ADMIN_SCOPE).compose(caller ->
        operators.removeExemption(queue, caller.name())));
  }

  /** A route on one namespace: its name is checked first (400 whatever the credentials), then the caller's scope. */
  private void owner(RoutingContext ctx, String method, OwnerCall call) {
    String name = ctx.pathParam("namespace");
    JsonObject params = new JsonObject().put("namespace", name);
    if (ctx.pathParam("queue") != null) {
      params.put("queue", ctx.pathParam("queue"));
    }
    RequestInfo info = new RequestInfo(method, params, null);
    Access.answer(ctx, info, ownerCaller(ctx, name).compose(caller -> call.apply(name, caller)));
  }

  private Future<Caller> ownerCaller(RoutingContext ctx, String name) {
    try {
      naming.checkNamespace(name);
    } catch (ServiceException e) {
      return Future.failedFuture(e);
    }
    return access.authorize(ctx, NAMESPACE_SCOPE + name);
  }

  private void admin(RoutingContext ctx, String method, Function<Caller, Future<JsonObject>> call) {
    RequestInfo info = new RequestInfo(method, new JsonObject(), null);
    Access.answer(ctx, info, access.authorize(ctx, ADMIN_SCOPE).compose(call));
  }

  @FunctionalInterface
  private interface OwnerCall {
    Future<JsonObject> apply(String namespace, Caller caller);
  }
}
