package io.pulse.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per caller: up to {@code burst} actions at once, refilled at {@code perSecond}; {@code perSecond == 0}
 * is no limit. Holds the {@link #MAX_CALLERS} most recently seen callers (a forgotten caller starts full again).
 * Shared by the REST verticle's instances (one per event loop), so its methods synchronize: each holds the lock for a
 * map lookup.
 */
final class RateLimiter {

  static final int MAX_CALLERS = 10_000;

  private final double perNano;
  private final double burst;
  private final Map<String, double[]> buckets = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
      return size() > MAX_CALLERS;
    }
  };

  RateLimiter(int perSecond, int burst) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
  }

  boolean unlimited() {
    return perNano == 0;
  }

  /** Whether {@code caller} may act now. */
  synchronized boolean available(String caller, long nowNanos) {
    return unlimited() || tokens(caller, nowNanos) >= 1;
  }

  /** Takes one token (a bucket may go below zero when concurrent actions passed {@link #available} together). */
  synchronized void take(String caller, long nowNanos) {
    if (!unlimited()) {
      tokens(caller, nowNanos);
      buckets.get(caller)[0] -= 1;
    }
  }

  /** Takes one token when there is one. */
  synchronized boolean tryTake(String caller, long nowNanos) {
    if (!available(caller, nowNanos)) {
      return false;
    }
    take(caller, nowNanos);
    return true;
  }

  /** Whole seconds until {@code caller} has a token again (at least 1). */
  synchronized long retryAfterSeconds(String caller, long nowNanos) {
    double missing = 1 - tokens(caller, nowNanos);
    return Math.max(1, (long) Math.ceil(missing / perNano / 1e9));
  }

  /** The caller's tokens now: {@code [tokens, lastRefillNanos]}, refilled for the time since. */
  private double tokens(String caller, long nowNanos) {
    double[] bucket = buckets.computeIfAbsent(caller, c -> new double[] {burst, nowNanos});
    bucket[0] = Math.min(burst, bucket[0] + (nowNanos - bucket[1]) * perNano);
    bucket[1] = nowNanos;
    return bucket[0];
  }
}
