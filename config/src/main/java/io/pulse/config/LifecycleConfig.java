package io.pulse.config;

import java.time.Duration;

/**
 * The credential lifecycle: how often passwords rotate, how long a claim lasts when it names no expiry and how far
 * ahead it may name one, how often
 * maintenance runs, how long after {@code expires} a namespace is removed, how often the broker is reconciled, and how
 * long the namespaces' history is kept.
 */
public record LifecycleConfig(Duration rotationInterval, Duration claimDuration, Duration maxClaimDuration,
    Duration maintenanceInterval, Duration expiryDelay, Duration reconcileInterval, Duration historyRetention) {

  static LifecycleConfig read(Values v) {
    Duration claim = v.positive("PULSE_CLAIM_DURATION");
    Duration max = v.positive("PULSE_MAX_CLAIM_DURATION");
    if (claim.compareTo(max) > 0) {
      throw new ConfigException("PULSE_CLAIM_DURATION", "must not be longer than PULSE_MAX_CLAIM_DURATION ("
          + Durations.format(max) + ")");
    }
    return new LifecycleConfig(
        v.atLeast("PULSE_ROTATION_INTERVAL", Duration.ofSeconds(2)),
        claim,
        max,
        v.atLeast("PULSE_MAINTENANCE_INTERVAL", Duration.ofMillis(100)),
        v.atLeast("PULSE_EXPIRY_DELAY", Duration.ZERO),
        v.atLeast("PULSE_RECONCILE_INTERVAL", Duration.ofMillis(100)),
        v.positive("PULSE_HISTORY_RETENTION"));
  }
}
