package io.pulse.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every setting the service reads, with its default and whether it is a secret: the one place defaults are written.
 * The configuration table in {@code docs/configuration.md} lists the same keys and defaults (a test checks it).
 */
public final class Settings {

  /** A setting: its key (the same in the YAML file and the environment), its default ({@code null}: unset). */
  public record Setting(String key, String defaultValue, boolean secret) {
  }

  private static final Map<String, Setting> ALL = new LinkedHashMap<>();

  static {
    // http
    add("PULSE_HTTP_HOST", "0.0.0.0");
    add("PULSE_HTTP_PORT", "8080");
    add("PULSE_HTTP_INSTANCES", "0");
    add("PULSE_ROOT_URL", null);
    add("PULSE_TRUSTED_PROXIES", null);
    add("PULSE_HTTP_IDLE_TIMEOUT", "60s");
    add("PULSE_HTTP_HEADER_TIMEOUT", "10s");
    add("PULSE_FIRST_CLAIMS_PER_SECOND", "10");
    add("PULSE_REVOCATIONS_PER_SECOND", "10");
    add("PULSE_RATE_LIMIT_BURST", "1000");
    add("PULSE_TLS_CERT", null);
    add("PULSE_TLS_KEY", null);
    add("PULSE_TLS_RELOAD_INTERVAL", "1m");
    // database
    secret("PULSE_DB_URL", null);
    secret("PULSE_DB_PASSWORD", null);
    add("PULSE_DATA_DIR", "./data");
    add("PULSE_DB_POOL_SIZE", "8");
    add("PULSE_DB_TIMEOUT", "5s");
    secret("PULSE_SECRET_KEY", null);
    add("PULSE_SECRET_KEY_FILE", null);
    secret("PULSE_SECRET_KEY_OLD", null);
    add("PULSE_ALLOW_PLAINTEXT_SECRETS", "false");
    // rabbit
    add("PULSE_RABBIT_API", "http://localhost:15672/api");
    add("PULSE_RABBIT_USER", "guest");
    secret("PULSE_RABBIT_PASSWORD", "guest");
    add("PULSE_RABBIT_TIMEOUT", "5s");
    add("PULSE_RABBIT_CA", null);
    add("PULSE_RABBIT_PROMETHEUS_URL", null);
    add("PULSE_AMQP_URL", "amqp://localhost:5672/%2F");
    // namespaces: how a namespace maps to broker users, permissions and resources
    add("PULSE_NAMESPACE_PREFIX", "");
    add("PULSE_USERNAME_PREFIX", "");
    add("PULSE_PERMISSION_CONFIGURE", "^(queue/{ns}/.*|exchange/{ns}/.*)");
    add("PULSE_PERMISSION_WRITE", "^(queue/{ns}/.*|exchange/{ns}/.*)");
    add("PULSE_PERMISSION_READ", "^(queue/{ns}/.*|exchange/.*)");
    add("PULSE_USER_TAGS", "");
    add("PULSE_MANAGED_TAG", "pulse-managed");
    add("PULSE_EVENTS_EXCHANGE", "exchange/pulse/v1/queue-events");
    // auth
    secret("PULSE_JWT_SECRET", null);
    add("PULSE_JWT_PUBLIC_KEY", null);
    add("PULSE_JWT_ISSUER", null);
    add("PULSE_JWT_AUDIENCE", null);
    add("PULSE_JWT_LEEWAY", "30s");
    secret("PULSE_STATIC_CLIENTS", null);
    add("PULSE_TASKCLUSTER_ROOT_URL", null);
    // lifecycle
    add("PULSE_ROTATION_INTERVAL", "1h");
    add("PULSE_CLAIM_DURATION", "4h");
    add("PULSE_MAX_CLAIM_DURATION", "30d");
    add("PULSE_MAINTENANCE_INTERVAL", "1m");
    add("PULSE_EXPIRY_DELAY", "1h");
    add("PULSE_RECONCILE_INTERVAL", "10m");
    add("PULSE_HISTORY_RETENTION", "90d");
    // monitor
    add("PULSE_MONITOR_INTERVAL", "60s");
    add("PULSE_MONITOR_ALERT_THRESHOLD", "4000");
    add("PULSE_MONITOR_DELETE_THRESHOLD", "8000");
    add("PULSE_MONITOR_ALERT_AFTER", "0s");
    add("PULSE_MONITOR_REMINDER_INTERVAL", "1d");
    add("PULSE_CONNECTION_MAX_LIFETIME", "72h");
    add("PULSE_MONITOR_MAX_ALERT_THRESHOLD", "40000");
    add("PULSE_MONITOR_MAX_DELETE_THRESHOLD", "80000");
    // mail
    add("PULSE_SMTP_HOST", null);
    add("PULSE_SMTP_PORT", "25");
    add("PULSE_SMTP_USER", null);
    secret("PULSE_SMTP_PASSWORD", null);
    add("PULSE_SMTP_FROM", "pulse@localhost");
    add("PULSE_SMTP_STARTTLS", "optional");
    // operations
    add("PULSE_ROLES", "api,namespaces,maintenance,monitor");
    add("PULSE_DRY_RUN", "false");
    add("PULSE_LOG_FORMAT", "text");
    add("PULSE_SHUTDOWN_TIMEOUT", "30s");
  }

  private Settings() {
  }

  private static void add(String key, String defaultValue) {
    ALL.put(key, new Setting(key, defaultValue, false));
  }

  private static void secret(String key, String defaultValue) {
    ALL.put(key, new Setting(key, defaultValue, true));
  }

  /** Every setting, in the order the documentation lists them. */
  public static List<Setting> all() {
    return List.copyOf(ALL.values());
  }

  public static boolean isKnown(String key) {
    return ALL.containsKey(key);
  }

  public static boolean isSecret(String key) {
    Setting setting = ALL.get(key);
    return setting != null && setting.secret();
  }

  /** Every key with its default ({@code null}: unset), in documentation order. */
  public static Map<String, String> defaults() {
    Map<String, String> defaults = new LinkedHashMap<>();
    ALL.values().forEach(s -> defaults.put(s.key(), s.defaultValue()));
    return Collections.unmodifiableMap(defaults);
  }
}
