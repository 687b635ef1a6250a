package io.pulse.monitor;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;

import java.io.IOException;
import java.util.function.Supplier;

/** A GET whose body is parsed chunk by chunk as it arrives: what it answers is what the parser kept. */
final class Streams {

  /** What one body's parse does with each chunk, and what it answers at the end. */
  interface Body {
    void chunk(Buffer chunk) throws IOException;

    QueueDepths end() throws IOException;
  }

  private Streams() {
  }

  /**
   * Fails with a message naming {@code what} (never a credential) when the source cannot be reached, answers another
   * status than 200, or sends a body the parser rejects. Call it on the context that uses {@code client} (the monitor
   * verticle's): the body's handlers must be set on the context its connection delivers to, before it ends.
   */
  static Future<QueueDepths> get(HttpClient client, RequestOptions options, String what, Supplier<Body> parser) {
    return client.request(options)
        .compose(request -> request.send())
        .recover(e -> Future.failedFuture(new IllegalStateException(what + " is unreachable ("
            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e)))
        .compose(response -> {
          if (response.statusCode() != 200) {
            // Read (and drop) the body so the connection can be reused.
            return response.body().transform(ar -> Future.failedFuture(new IllegalStateException(what + " answered "
                + response.statusCode() + " " + response.statusMessage())));
          }
          return parse(response, parser.get(), what);
        });
  }

  private static Future<QueueDepths> parse(HttpClientResponse response, Body body, String what) {
    Promise<QueueDepths> done = Promise.promise();
    response.exceptionHandler(e -> done.tryFail(new IllegalStateException("reading " + what + " failed ("
        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e)));
    response.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      try {
        body.chunk(chunk);
      } catch (IOException | RuntimeException e) {
        done.tryFail(new IllegalStateException("could not read " + what + ": " + e.getMessage(), e));
        // Stop reading: the connection is closed rather than drained.
        response.request().connection().close();
      }
    });
    response.endHandler(v -> {
      try {
        done.tryComplete(body.end());
      } catch (IOException | RuntimeException e) {
        done.tryFail(new IllegalStateException("could not read " + what + ": " + e.getMessage(), e));
      }
    });
    return done.future();
  }
}
