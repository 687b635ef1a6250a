package io.pulse.api;

import io.pulse.api.auth.Hawk;
import io.pulse.client.Dates;
import io.pulse.client.PulseError;
import io.pulse.config.Text;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.serviceproxy.ServiceException;

import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a failure becomes an HTTP answer: its code's status and a Taskcluster error body
 * {@code {"code", "message", "requestInfo"}}; a 401 names the scheme to use. Failures are coded by
 * {@link PulseError#coded}; an uncoded one is a bug, logged here with its stack trace and answered 500.
 */
final class Errors {

  private static final Logger log = LoggerFactory.getLogger(Errors.class);
  private static final long DEFAULT_RETRY_AFTER_SECONDS = 2;

  private Errors() {
  }

  /** What Taskcluster puts in {@code requestInfo} of an error: the method, params, payload and time. */
  record RequestInfo(String method, JsonObject params, Object payload) {
    JsonObject toJson() {
      JsonObject json = new JsonObject().put("method", method).put("params", params);
      if (payload != null) {
        json.put("payload", payload);
      }
      return json.put("time", Dates.iso(Instant.now()));
    }
  }

  static void send(RoutingContext ctx, RequestInfo info, Throwable failure) {
    if (ctx.response().ended()) {
      return;
    }
    ServiceException coded = PulseError.coded(failure);
    if (coded != failure && PulseError.of(failure) == PulseError.INTERNAL) {
      log.error("Unexpected failure on {} {}", ctx.request().method(), Text.loggable(ctx.request().path()), failure);
    }
    JsonObject body = new JsonObject().put("code", coded.getDebugInfo().getString("code"))
        .put("message", coded.getMessage());
    if (info != null) {
      body.put("requestInfo", info.toJson());
    }
    if (coded.failureCode() == 429 || coded.failureCode() == 503) {
      // Clients and proxies back off by this; a dependency that is down is retried after a moment.
      ctx.response().putHeader("Retry-After", String.valueOf(coded.getDebugInfo().getLong("retryAfter",
          DEFAULT_RETRY_AFTER_SECONDS)));
    }
    if (coded.failureCode() == 401) {
      ctx.response().putHeader("WWW-Authenticate",
          Hawk.isHawk(ctx.request().getHeader("Authorization")) ? "hawk" : "Bearer");
    }
    ctx.response().setStatusCode(coded.failureCode()).end(body.encode());
  }
}
