package io.pulse.config;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Predicate;
import java.util.function.Supplier;

/** The retry patterns the service uses, written once: polling for a condition, retrying a failure, backing off. */
public final class Retry {

  private Retry() {
  }

  /**
   * Calls {@code attempt} until it answers a value {@code done} accepts, at most {@code attempts} times,
   * {@code delayMs} apart; answers the last value (accepted or not). A failed attempt ends the polling.
   */
  public static <T> Future<T> polling(Vertx vertx, int attempts, long delayMs, Supplier<Future<T>> attempt,
      Predicate<T> done) {
    return attempt.get().compose(value -> done.test(value) || attempts <= 1
        ? Future.succeededFuture(value)
        : vertx.timer(delayMs).compose(t -> polling(vertx, attempts - 1, delayMs, attempt, done)));
  }

  /** Calls {@code attempt} again at once, up to {@code attempts} times in all, while it fails in a way {@code retry} accepts. */
  public static <T> Future<T> onFailure(int attempts, Supplier<Future<T>> attempt, Predicate<Throwable> retry) {
    return attempt.get().recover(e -> attempts > 1 && retry.test(e)
        ? onFailure(attempts - 1, attempt, retry)
        : Future.failedFuture(e));
  }

  /** The delay after {@code failures} failures in a row: {@code base} doubled each time, at most {@code max}. */
  public static long backoff(long base, int failures, long max) {
    long delay = base;
    for (int i = 0; i < failures && delay < max; i++) {
      delay *= 2;
    }
    return Math.min(delay, max);
  }
}
