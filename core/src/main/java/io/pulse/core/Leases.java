package io.pulse.core;

import io.pulse.client.PulseError;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicas share maintenance work by leasing rows: a random token written on each row with a deadline. Leases are
 * short ({@link #SECONDS}) and their live holder renews them every {@link #RENEW_MILLIS} while it works, so the work of
 * a holder that died (killed, crashed, cut off) is taken over by anyone within {@link #SECONDS} seconds.
 *
 * <p>No step runs twice at once: a holder acts only while its lease is surely still valid — until
 * {@link #SAFETY_MILLIS} before the deadline its last successful renewal set, counted from when that renewal was sent —
 * and every step checks that ({@link #guard}) before it starts; the database gives a row to another holder only after
 * the deadline has passed. A holder that cannot renew (the database is unreachable) therefore stops by itself before
 * anyone else may start. Recording a step (a rotation, a deletion) also checks the token in the same statement. One
 * instance lives on one event loop.
 */
final class Leases {

  private static final Logger log = LoggerFactory.getLogger(Leases.class);

  /** How long a lease lasts unless renewed: the longest a dead holder's work waits. */
  static final long SECONDS = 10;
  static final long RENEW_MILLIS = 2500;
  /** Room for the renewal's round trip and for the clocks of the holder and the database running at other rates. */
  static final long SAFETY_MILLIS = 2500;

  private final Vertx vertx;
  private final NamespaceStore store;
  private final long seconds;
  private final long renewMillis;
  private final long actNanos;
  /** Token to the {@code System.nanoTime()} after which its holder must not act any more. */
  private final Map<String, Long> validUntil = new HashMap<>();
  private long timer = -1;

  Leases(Vertx vertx, NamespaceStore store) {
    this(vertx, store, SECONDS, RENEW_MILLIS, SAFETY_MILLIS);
  }

  Leases(Vertx vertx, NamespaceStore store, long seconds, long renewMillis, long safetyMillis) {
    this.vertx = vertx;
    this.store = store;
    this.seconds = seconds;
    this.renewMillis = renewMillis;
    this.actNanos = (seconds * 1000 - safetyMillis) * 1_000_000;
  }

  /** How long a lease lasts unless renewed. */
  long seconds() {
    return seconds;
  }

  /** A new token, valid for the lease the store grants with it and renewed until {@link #close}. */
  String open() {
    String token = UUID.randomUUID().toString();
    validUntil.put(token, deadline(System.nanoTime()));
    if (timer == -1) {
      timer = vertx.setPeriodic(renewMillis, id -> renew());
    }
    return token;
  }

  void close(String token) {
    validUntil.remove(token);
    if (validUntil.isEmpty() && timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  boolean valid(String token) {
    Long until = validUntil.get(token);
    return until != null && System.nanoTime() - until < 0;
  }

  /** Runs {@code step} only while the lease is surely held; else fails, and a later sweep redoes the work. */
  <T> Future<T> guard(String token, Supplier<Future<T>> step) {
    if (!valid(token)) {
      return Future.failedFuture(new LeaseLostException());
    }
    return step.get();
  }

  /** Runs {@code work} under a new token and closes it when the work is done, however it ends. */
  <T> Future<T> with(java.util.function.Function<String, Future<T>> work) {
    String token = open();
    Future<T> done;
    try {
      done = work.apply(token);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    return done.onComplete(ar -> close(token));
  }

  private void renew() {
    if (validUntil.isEmpty()) {
      return;
    }
    long sent = System.nanoTime();
    List<String> tokens = new ArrayList<>(validUntil.keySet());
    store.renewLeases(tokens, seconds)
        .onSuccess(v -> tokens.forEach(token -> validUntil.computeIfPresent(token, (t, old) -> deadline(sent))))
        .onFailure(e -> log.warn("Could not renew {} maintenance lease(s); the work stops when they run out: {}",
            tokens.size(), e.getMessage()));
  }

  private long deadline(long from) {
    return from + actNanos;
  }

  /**
   * The lease ran out (or could not be renewed) before a step: another holder may have the row now. Callers see
   * ServiceUnavailable: the work is not lost, a later sweep (of any replica) finishes it.
   */
  static final class LeaseLostException extends ServiceException {
    LeaseLostException() {
      super(PulseError.SERVICE_UNAVAILABLE.status(), "The maintenance lease ran out before the next step (the"
          + " database could not be reached to renew it); a later sweep finishes the work",
          new JsonObject().put("code", PulseError.SERVICE_UNAVAILABLE.code()));
    }
  }
}
