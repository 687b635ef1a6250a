package io.pulse.api;

import io.pulse.api.Errors.RequestInfo;
import io.pulse.api.auth.Authenticator;
import io.pulse.api.auth.Caller;
import io.pulse.api.auth.Scopes;
import io.pulse.client.PulseError;
import io.pulse.config.Text;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every route shares: the caller, checked against the scopes a route requires (the refusal names what is
 * missing), a JSON object body, and the answer of a call as JSON or as the Taskcluster error body.
 */
final class Access {

  private static final Logger log = LoggerFactory.getLogger(Access.class);

  private final Authenticator authenticator;

  Access(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  /** The caller, whatever its scopes (401 without valid credentials). */
  Future<Caller> caller(RoutingContext ctx) {
    return authenticator.authenticate(ctx).onSuccess(caller -> ctx.put(AccessLog.CALLER, caller.name()));
  }

  /** The caller, when it holds the scopes {@code required} asks for (a scope or an AllOf/AnyOf expression). */
  Future<Caller> authorize(RoutingContext ctx, Object required) {
    return caller(ctx).compose(caller -> {
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

  /**
   * The request's body as JSON: an empty body is an empty object; anything else must be JSON ({@code
   * MalformedPayload}). {@code example} completes the refusal of a body that is JSON but not an object.
   */
  static Object body(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0 || body.toString().isBlank()) {
      return new JsonObject();
    }
    try {
      return Json.decodeValue(body);
    } catch (DecodeException e) {
      throw PulseError.MALFORMED_PAYLOAD.exception("Request body is not valid JSON: " + firstLine(e.getMessage()));
    }
  }

  /** The body, which must be a JSON object such as {@code example}. */
  static JsonObject objectBody(Object parsed, String example) {
    if (!(parsed instanceof JsonObject)) {
      throw PulseError.INPUT_VALIDATION.exception("Request body must be a JSON object such as " + example);
    }
    return (JsonObject) parsed;
  }

  /** The query arguments as a JSON object of strings; an argument given twice is refused (400). */
  static JsonObject query(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    for (String key : ctx.queryParams().names()) {
      List<String> values = ctx.queryParams().getAll(key);
      if (values.size() > 1) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("query argument '" + key + "' is given twice");
      }
      query.put(key, values.get(0));
    }
    return query;
  }

  /** Answers 200 with the call's JSON, or its failure as an error body. */
  static void answer(RoutingContext ctx, RequestInfo info, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().setStatusCode(200).end(ar.result().toBuffer());
      } else {
        Errors.send(ctx, info, ar.cause());
      }
    });
  }

  /** Answers 204 when the call succeeded, or its failure as an error body. */
  static void noContent(RoutingContext ctx, RequestInfo info, Future<?> result) {
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().setStatusCode(204).end();
      } else {
        Errors.send(ctx, info, ar.cause());
      }
    });
  }

  static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }
}
