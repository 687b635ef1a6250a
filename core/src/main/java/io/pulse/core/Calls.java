package io.pulse.core;

import io.pulse.client.PulseError;
import io.vertx.core.Future;
import io.vertx.serviceproxy.ServiceException;

import java.util.function.Supplier;

import org.slf4j.Logger;

/** How the services answer: whatever fails, the caller sees a coded failure ({@link PulseError#coded}). */
final class Calls {

  private Calls() {
  }

  /**
   * Runs a call, turning a refused input (thrown as a {@link ServiceException}), a bug (thrown too) and any failure
   * into the coded failure its caller sees; a failure no rule foresaw is logged once, with its stack trace, on
   * {@code log}.
   */
  static <T> Future<T> coded(Logger log, String service, Supplier<Future<T>> call) {
    Future<T> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.recover(e -> {
      ServiceException coded = PulseError.coded(e);
      if (coded != e && PulseError.of(e) == PulseError.INTERNAL) {
        log.error("Unexpected failure in {}", service, e);
      }
      return Future.failedFuture(coded);
    });
  }
}
