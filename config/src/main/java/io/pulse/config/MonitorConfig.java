package io.pulse.config;

import java.net.URI;
import java.time.Duration;

/**
 * The queue monitor: how often it sweeps, the message counts at which a queue's owner is warned and the queue
 * deleted, how long a queue may stay above the alert threshold before the warning, how often a warning is repeated,
 * how old a namespace user's connection may grow, how high an owner may raise the thresholds of their own
 * namespace, and where queue depths are read: the broker's Prometheus endpoint ({@code prometheusUrl}, the
 * rabbitmq_prometheus plugin's base URL such as {@code http://rabbit:15692}) or, when that is {@code null}, one listing
 * of the management API.
 */
public record MonitorConfig(Duration interval, long alertThreshold, long deleteThreshold, Duration alertAfter,
    Duration reminderInterval, Duration connectionMaxLifetime, long maxAlertThreshold, long maxDeleteThreshold,
    URI prometheusUrl) {

  static MonitorConfig read(Values v) {
    long alert = v.count("PULSE_MONITOR_ALERT_THRESHOLD", 0, "");
    long delete = v.count("PULSE_MONITOR_DELETE_THRESHOLD", alert + 1, " (above PULSE_MONITOR_ALERT_THRESHOLD)");
    long maxAlert = v.count("PULSE_MONITOR_MAX_ALERT_THRESHOLD", alert, " (at least PULSE_MONITOR_ALERT_THRESHOLD)");
    return new MonitorConfig(
        v.atLeast("PULSE_MONITOR_INTERVAL", Duration.ofMillis(100)),
        alert,
        delete,
        v.atLeast("PULSE_MONITOR_ALERT_AFTER", Duration.ZERO),
        v.atLeast("PULSE_MONITOR_REMINDER_INTERVAL", Duration.ofSeconds(1)),
        v.positive("PULSE_CONNECTION_MAX_LIFETIME"),
        maxAlert,
        v.count("PULSE_MONITOR_MAX_DELETE_THRESHOLD", Math.max(delete, maxAlert + 1),
            " (at least PULSE_MONITOR_DELETE_THRESHOLD and above PULSE_MONITOR_MAX_ALERT_THRESHOLD)"),
        v.text("PULSE_RABBIT_PROMETHEUS_URL") == null ? null : v.uri("PULSE_RABBIT_PROMETHEUS_URL", "http", "https"));
  }

  /** The alert threshold of a namespace: its owner's, when set, else the operator's. */
  public long alertThreshold(Long own) {
    return own != null ? own : alertThreshold;
  }

  /** The delete threshold of a namespace: its owner's, when set, else the operator's. */
  public long deleteThreshold(Long own) {
    return own != null ? own : deleteThreshold;
  }
}
