package io.pulse.core;

/**
 * Replicas share maintenance work by leasing rows: a random token valid for a while, so two replicas never work on
 * one namespace at once.
 */
final class Leases {

  /** Longer than any step takes; a lease outlives its holder only when the holder died. */
  static final long SECONDS = 120;

  private Leases() {
  }
}
