package io.pulse.core;

import java.util.concurrent.TimeUnit;

/**
 * Whether maintenance holds its standby step back: the standby users of new namespaces are needed only at their first
 * rotation (an interval later), while making them in bulk takes the broker for a few hundred milliseconds, so the step
 * waits while this JVM is making namespaces ({@link #QUIET_MILLIS} without a first claim), but never longer than
 * {@link #MAX_HOLD_MILLIS} in a row. A stop makes whatever is left (see MaintenanceVerticle).
 */
final class StandbyHold {

  static final long QUIET_MILLIS = 500;
  static final long MAX_HOLD_MILLIS = 10_000;

  /** When this JVM last began or finished making a namespace ({@code System.nanoTime()}); written by any claim. */
  private static volatile long lastFirstClaim;
  private static volatile boolean anyFirstClaim;

  private long heldSince;
  private boolean holding;

  /** A first claim is under way or just ended, on any event loop of this JVM. */
  static void firstClaim() {
    lastFirstClaim = System.nanoTime();
    anyFirstClaim = true;
  }

  /** Whether to skip the standby step now. */
  boolean hold() {
    return hold(System.nanoTime(), anyFirstClaim, lastFirstClaim);
  }

  boolean hold(long now, boolean any, long last) {
    if (!any || now - last >= TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
      holding = false;
      return false;
    }
    if (!holding) {
      holding = true;
      heldSince = now;
    }
    if (now - heldSince >= TimeUnit.MILLISECONDS.toNanos(MAX_HOLD_MILLIS)) {
      holding = false;
      return false;
    }
    return true;
  }
}
