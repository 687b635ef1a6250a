package io.pulse.config;

import java.time.Duration;

/**
 * The credential lifecycle: how often passwords rotate, how long a claim lasts when it names no expiry, how often
 * maintenance runs, how long after {@code expires} a namespace is removed, and how often the broker is reconciled.
 */
public record LifecycleConfig(Duration rotationInterval, Duration claimDuration, Duration maintenanceInterval,
    Duration expiryDelay, Duration reconcileInterval) {

  static LifecycleConfig read(Values v) {
    return new LifecycleConfig(
        v.atLeast("PULSE_ROTATION_INTERVAL", Duration.ofSeconds(2)),
        v.positive("PULSE_CLAIM_DURATION"),
        v.atLeast("PULSE_MAINTENANCE_INTERVAL", Duration.ofMillis(100)),
        v.atLeast("PULSE_EXPIRY_DELAY", Duration.ZERO),
        v.atLeast("PULSE_RECONCILE_INTERVAL", Duration.ofMillis(100)));
  }
}
