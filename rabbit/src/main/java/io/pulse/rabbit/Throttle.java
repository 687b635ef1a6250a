package io.pulse.rabbit;

/**
 * At most one log line per interval for a repeated failure: while the broker is down every call fails, and hundreds of
 * identical warnings a second would bury everything else. The line that is let through counts those held back.
 */
final class Throttle {

  private final long intervalNanos;
  private long nextNanos = Long.MIN_VALUE;
  private int heldBack;

  Throttle(long intervalMillis) {
    this.intervalNanos = intervalMillis * 1_000_000;
  }

  /**
   * Whether a line may be logged at {@code nowNanos}: -1 when not (it is counted), else how many were held back since
   * the last one let through.
   */
  synchronized int pass(long nowNanos) {
    if (nextNanos != Long.MIN_VALUE && nowNanos - nextNanos < 0) {
      heldBack++;
      return -1;
    }
    nextNanos = nowNanos + intervalNanos;
    int held = heldBack;
    heldBack = 0;
    return held;
  }
}
