package io.pulse.api;

import io.pulse.api.auth.Caller;
import io.pulse.config.Text;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One line per request on the logger {@code io.pulse.access} (its own, so operators can turn it down or route it):
 * method, path without the query, status ({@code aborted} when the client went away), latency and caller.
 */
final class AccessLog implements Handler<RoutingContext> {

  /** Where handlers leave the caller's name for the log line. */
  static final String CALLER = "pulse.caller";
  private static final Logger access = LoggerFactory.getLogger("io.pulse.access");
  /** Polled by load balancers and Prometheus every few seconds: their lines are DEBUG, not INFO. */
  private static final Set<String> QUIET_PATHS = Set.of("/__lbheartbeat__", "/__heartbeat__", "/metrics");

  @Override
  public void handle(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addEndHandler(ar -> log(ctx, started, ar.succeeded()));
    ctx.response().putHeader("Content-Type", "application/json; charset=utf-8");
    ctx.next();
  }

  private static void log(RoutingContext ctx, long started, boolean answered) {
    String path = Text.loggable(ctx.request().path());
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
}
