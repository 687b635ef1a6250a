package io.pulse.api;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A client must send its first request's headers within PULSE_HTTP_HEADER_TIMEOUT of opening a connection, and on an
 * HTTP/1.1 keep-alive connection each next request's within PULSE_HTTP_IDLE_TIMEOUT of the previous answer; else the
 * connection is closed. The idle timeout alone does not stop a client that trickles a byte now and then (slowloris).
 * Runs on the server's event loop, so the map needs no locking.
 */
final class HeaderDeadline {

  private final Vertx vertx;
  private final long firstMillis;
  private final long nextMillis;
  private final Map<HttpConnection, Long> timers = new HashMap<>();

  HeaderDeadline(Vertx vertx, long firstMillis, long nextMillis) {
    this.vertx = vertx;
    this.firstMillis = firstMillis;
    this.nextMillis = nextMillis;
  }

  void opened(HttpConnection connection) {
    arm(connection, firstMillis);
    connection.closeHandler(v -> disarm(connection));
  }

  /** Wraps the request handler: headers arrived, so the deadline is off until the answer is sent. */
  Handler<HttpServerRequest> guard(Handler<HttpServerRequest> next) {
    return request -> {
      HttpConnection connection = request.connection();
      disarm(connection);
      // HTTP/2 multiplexes requests on one connection: only its first headers have a deadline.
      if (request.version() != HttpVersion.HTTP_2) {
        request.response().endHandler(v -> {
          if (!timers.containsKey(connection)) {
            arm(connection, nextMillis);
          }
        });
      }
      next.handle(request);
    };
  }

  private void arm(HttpConnection connection, long millis) {
    timers.put(connection, vertx.setTimer(millis, id -> {
      timers.remove(connection);
      // Not a graceful close: there is no request to let finish, only headers that never end.
      connection.shutdown(0, TimeUnit.MILLISECONDS);
    }));
  }

  private void disarm(HttpConnection connection) {
    Long timer = timers.remove(connection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
