package io.pulse.config;

import java.time.Duration;

/**
 * The queue monitor: how often it sweeps, the message counts at which a queue's owner is warned and the queue
 * deleted, how long a queue may stay above the alert threshold before the warning, how often a warning is repeated,
 * and how old a namespace user's connection may grow.
 */
public record MonitorConfig(Duration interval, long alertThreshold, long deleteThreshold, Duration alertAfter,
    Duration reminderInterval, Duration connectionMaxLifetime) {

  static MonitorConfig read(Values v) {
    long alert = v.count("PULSE_MONITOR_ALERT_THRESHOLD", 0, "");
    return new MonitorConfig(
        v.atLeast("PULSE_MONITOR_INTERVAL", Duration.ofMillis(100)),
        alert,
        v.count("PULSE_MONITOR_DELETE_THRESHOLD", alert + 1, " (above PULSE_MONITOR_ALERT_THRESHOLD)"),
        v.atLeast("PULSE_MONITOR_ALERT_AFTER", Duration.ZERO),
        v.atLeast("PULSE_MONITOR_REMINDER_INTERVAL", Duration.ofSeconds(1)),
        v.positive("PULSE_CONNECTION_MAX_LIFETIME"));
  }
}
