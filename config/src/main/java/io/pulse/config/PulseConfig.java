package io.pulse.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The service's configuration, read once at start: built-in defaults, then the YAML file named by
 * {@code PULSE_CONFIG}, then environment variables. Keys are the same in the file and the environment.
 * Every value is validated here, with a message that names the bad key.
 */
public record PulseConfig(
    String httpHost,
    int httpPort,
    String dbUrl,
    Path dataDir,
    int dbPoolSize,
    Duration dbTimeout,
    URI rabbitApi,
    String rabbitUser,
    String rabbitPassword,
    Duration rabbitTimeout,
    URI amqpUrl,
    String vhost,
    String namespacePrefix,
    String usernamePrefix,
    Duration rotationInterval,
    Duration claimDuration,
    String permissionConfigure,
    String permissionWrite,
    String permissionRead,
    List<String> userTags,
    String jwtSecret,
    String jwtPublicKey,
    String jwtIssuer,
    String jwtAudience,
    URI rootUrl,
    List<StaticClient> staticClients,
    URI taskclusterRootUrl,
    Duration maintenanceInterval,
    Duration expiryDelay,
    Duration reconcileInterval,
    boolean dryRun,
    Duration monitorInterval,
    long monitorAlertThreshold,
    long monitorDeleteThreshold,
    Duration monitorAlertAfter,
    Duration monitorReminderInterval,
    Duration connectionMaxLifetime,
    String eventsExchange,
    String smtpHost,
    int smtpPort,
    String smtpUser,
    String smtpPassword,
    String smtpFrom,
    String smtpStarttls,
    String logFormat,
    Duration shutdownTimeout,
    Map<String, String> values) {

  /** Every key and its default ({@code null}: unset). The README's configuration table lists the same. */
  public static final Map<String, String> DEFAULTS;

  static {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("PULSE_HTTP_HOST", "0.0.0.0");
    d.put("PULSE_HTTP_PORT", "8080");
    d.put("PULSE_DB_URL", null);
    d.put("PULSE_DATA_DIR", "./data");
    d.put("PULSE_DB_POOL_SIZE", "8");
    d.put("PULSE_DB_TIMEOUT", "5s");
    d.put("PULSE_RABBIT_API", "http://localhost:15672/api");
    d.put("PULSE_RABBIT_USER", "guest");
    d.put("PULSE_RABBIT_PASSWORD", "guest");
    d.put("PULSE_RABBIT_TIMEOUT", "5s");
    d.put("PULSE_AMQP_URL", "amqp://localhost:5672/%2F");
    d.put("PULSE_NAMESPACE_PREFIX", "");
    d.put("PULSE_USERNAME_PREFIX", "");
    d.put("PULSE_ROTATION_INTERVAL", "1h");
    d.put("PULSE_CLAIM_DURATION", "4h");
    d.put("PULSE_PERMISSION_CONFIGURE", "^(queue/{ns}/.*|exchange/{ns}/.*)");
    d.put("PULSE_PERMISSION_WRITE", "^(queue/{ns}/.*|exchange/{ns}/.*)");
    d.put("PULSE_PERMISSION_READ", "^(queue/{ns}/.*|exchange/.*)");
    d.put("PULSE_USER_TAGS", "");
    d.put("PULSE_JWT_SECRET", null);
    d.put("PULSE_JWT_PUBLIC_KEY", null);
    d.put("PULSE_JWT_ISSUER", null);
    d.put("PULSE_JWT_AUDIENCE", null);
    d.put("PULSE_ROOT_URL", null);
    d.put("PULSE_STATIC_CLIENTS", null);
    d.put("PULSE_TASKCLUSTER_ROOT_URL", null);
    d.put("PULSE_MAINTENANCE_INTERVAL", "1m");
    d.put("PULSE_EXPIRY_DELAY", "1h");
    d.put("PULSE_RECONCILE_INTERVAL", "10m");
    d.put("PULSE_DRY_RUN", "false");
    d.put("PULSE_MONITOR_INTERVAL", "60s");
    d.put("PULSE_MONITOR_ALERT_THRESHOLD", "4000");
    d.put("PULSE_MONITOR_DELETE_THRESHOLD", "8000");
    d.put("PULSE_MONITOR_ALERT_AFTER", "0s");
    d.put("PULSE_MONITOR_REMINDER_INTERVAL", "1d");
    d.put("PULSE_CONNECTION_MAX_LIFETIME", "72h");
    d.put("PULSE_EVENTS_EXCHANGE", "exchange/pulse/v1/queue-events");
    d.put("PULSE_SMTP_HOST", null);
    d.put("PULSE_SMTP_PORT", "25");
    d.put("PULSE_SMTP_USER", null);
    d.put("PULSE_SMTP_PASSWORD", null);
    d.put("PULSE_SMTP_FROM", "pulse@localhost");
    d.put("PULSE_SMTP_STARTTLS", "optional");
    d.put("PULSE_LOG_FORMAT", "text");
    d.put("PULSE_SHUTDOWN_TIMEOUT", "30s");
    DEFAULTS = Collections.unmodifiableMap(d);
  }

  /** Keys whose values are secrets: never logged, never shown. */
  public static final List<String> SECRET_KEYS = List.of("PULSE_RABBIT_PASSWORD", "PULSE_JWT_SECRET", "PULSE_DB_URL",
      "PULSE_SMTP_PASSWORD",
      "PULSE_STATIC_CLIENTS");

  private static final Pattern NAMESPACE_PREFIX = Pattern.compile("[A-Za-z0-9_-]{0,63}");
  private static final Pattern USERNAME_PREFIX = Pattern.compile("[A-Za-z0-9_.:@/-]{0,64}");

  /** Loads the layered configuration from the given environment (blocking: it may read a file). */
  public static PulseConfig load(Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    String file = env.get("PULSE_CONFIG");
    if (file != null && !file.isBlank()) {
      values.putAll(readYaml(Path.of(file)));
    }
    env.forEach((k, v) -> {
      // An empty variable counts as unset, so it does not hide the file's value.
      if (DEFAULTS.containsKey(k) && v != null && !v.isBlank()) {
        values.put(k, v);
      }
    });
    return fromMap(values);
  }

  /** Builds and validates a configuration from key/value pairs; missing keys take their defaults. */
  public static PulseConfig fromMap(Map<String, String> given) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    given.forEach((k, value) -> {
      if (!DEFAULTS.containsKey(k)) {
        throw new ConfigException(k, "unknown setting (known: " + String.join(", ", DEFAULTS.keySet()) + ")");
      }
      v.put(k, value == null || value.isBlank() ? DEFAULTS.get(k) : value.trim());
    });
    URI amqp = uri(v, "PULSE_AMQP_URL", "amqp", "amqps");
    String jwtPublicKey = pem(v.get("PULSE_JWT_PUBLIC_KEY"));
    return new PulseConfig(
        v.get("PULSE_HTTP_HOST"),
        integer(v, "PULSE_HTTP_PORT", 0, 65535),
        dbUrl(v.get("PULSE_DB_URL")),
        Path.of(v.get("PULSE_DATA_DIR")),
        integer(v, "PULSE_DB_POOL_SIZE", 1, 200),
        positive(v, "PULSE_DB_TIMEOUT"),
        uri(v, "PULSE_RABBIT_API", "http", "https"),
        v.get("PULSE_RABBIT_USER"),
        v.get("PULSE_RABBIT_PASSWORD"),
        positive(v, "PULSE_RABBIT_TIMEOUT"),
        amqp,
        vhostOf(amqp),
        matching(v, "PULSE_NAMESPACE_PREFIX", NAMESPACE_PREFIX, "up to 63 characters of A-Z a-z 0-9 _ -"),
        matching(v, "PULSE_USERNAME_PREFIX", USERNAME_PREFIX, "up to 64 characters of A-Z a-z 0-9 _ . : @ / -"),
        atLeast(v, "PULSE_ROTATION_INTERVAL", Duration.ofSeconds(2)),
        positive(v, "PULSE_CLAIM_DURATION"),
        regex(v, "PULSE_PERMISSION_CONFIGURE"),
        regex(v, "PULSE_PERMISSION_WRITE"),
        regex(v, "PULSE_PERMISSION_READ"),
        Arrays.stream(v.get("PULSE_USER_TAGS").split(",")).map(String::trim).filter(s -> !s.isEmpty())
            .collect(Collectors.toUnmodifiableList()),
        v.get("PULSE_JWT_SECRET"),
        jwtPublicKey,
        v.get("PULSE_JWT_ISSUER"),
        v.get("PULSE_JWT_AUDIENCE"),
        rootUrl(v, "PULSE_ROOT_URL"),
        StaticClient.parse(v.get("PULSE_STATIC_CLIENTS")),
        rootUrl(v, "PULSE_TASKCLUSTER_ROOT_URL"),
        atLeast(v, "PULSE_MAINTENANCE_INTERVAL", Duration.ofMillis(100)),
        atLeast(v, "PULSE_EXPIRY_DELAY", Duration.ZERO),
        atLeast(v, "PULSE_RECONCILE_INTERVAL", Duration.ofMillis(100)),
        bool(v, "PULSE_DRY_RUN"),
        atLeast(v, "PULSE_MONITOR_INTERVAL", Duration.ofMillis(100)),
        threshold(v, "PULSE_MONITOR_ALERT_THRESHOLD", 0),
        threshold(v, "PULSE_MONITOR_DELETE_THRESHOLD", threshold(v, "PULSE_MONITOR_ALERT_THRESHOLD", 0) + 1),
        atLeast(v, "PULSE_MONITOR_ALERT_AFTER", Duration.ZERO),
        atLeast(v, "PULSE_MONITOR_REMINDER_INTERVAL", Duration.ofSeconds(1)),
        positive(v, "PULSE_CONNECTION_MAX_LIFETIME"),
        v.get("PULSE_EVENTS_EXCHANGE"),
        v.get("PULSE_SMTP_HOST"),
        integer(v, "PULSE_SMTP_PORT", 1, 65535),
        v.get("PULSE_SMTP_USER"),
        v.get("PULSE_SMTP_PASSWORD"),
        v.get("PULSE_SMTP_FROM"),
        starttls(v, "PULSE_SMTP_STARTTLS"),
        oneOf(v, "PULSE_LOG_FORMAT", List.of("text", "json")),
        positive(v, "PULSE_SHUTDOWN_TIMEOUT"),
        Collections.unmodifiableMap(v));
  }

  /** The configuration as deployment config for a verticle: the same keys and string values. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    values.forEach((k, value) -> {
      if (value != null) {
        json.put(k, value);
      }
    });
    return json;
  }

  public static PulseConfig fromJson(JsonObject json) {
    Map<String, String> map = new LinkedHashMap<>();
    json.forEach(e -> map.put(e.getKey(), e.getValue() == null ? null : String.valueOf(e.getValue())));
    return fromMap(map);
  }

  /** A copy with some keys changed; handy for tests and for operators embedding the service. */
  public PulseConfig with(Map<String, String> changes) {
    Map<String, String> map = new LinkedHashMap<>(values);
    map.putAll(changes);
    return fromMap(map);
  }

  /** The configuration as {@code key=value} lines with secrets masked, for the start-up log. */
  public String describe() {
    return values.entrySet().stream()
        .map(e -> e.getKey() + "=" + (e.getValue() != null && SECRET_KEYS.contains(e.getKey()) ? "****" : e.getValue()))
        .collect(Collectors.joining(" "));
  }

  @Override
  public String toString() {
    return "PulseConfig[" + describe() + "]";
  }

  private static Map<String, String> readYaml(Path path) {
    Object doc;
    try (InputStream in = Files.newInputStream(path)) {
      doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    } catch (IOException e) {
      throw new ConfigException("PULSE_CONFIG", "cannot read " + path + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw new ConfigException("PULSE_CONFIG", path + " is not valid YAML: " + e.getMessage());
    }
    if (doc == null) {
      return Map.of();
    }
    if (!(doc instanceof Map)) {
      throw new ConfigException("PULSE_CONFIG", path + " must hold a mapping of PULSE_* keys to values");
    }
    Map<String, String> result = new LinkedHashMap<>();
    ((Map<?, ?>) doc).forEach((k, value) -> {
      String key = String.valueOf(k);
      if (!DEFAULTS.containsKey(key)) {
        throw new ConfigException(key, "unknown setting in " + path);
      }
      if (value instanceof List && key.equals("PULSE_STATIC_CLIENTS")) {
        // The same list as the variable's JSON text; StaticClient.parse checks it.
        result.put(key, new JsonArray((List<?>) value).encode());
        return;
      }
      if (value instanceof Map || value instanceof List && !key.equals("PULSE_USER_TAGS")) {
        throw new ConfigException(key, "must be a single value in " + path);
      }
      result.put(key, value instanceof List
          ? ((List<?>) value).stream().map(String::valueOf).collect(Collectors.joining(","))
          : value == null ? null : String.valueOf(value));
    });
    return result;
  }

  private static int integer(Map<String, String> v, String key, int min, int max) {
    try {
      int n = Integer.parseInt(v.get(key));
      if (n < min || n > max) {
        throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be an integer, got '" + v.get(key) + "'");
    }
  }

  private static long threshold(Map<String, String> v, String key, long min) {
    try {
      long n = Long.parseLong(v.get(key));
      if (n < min) {
        throw new ConfigException(key, "must be at least " + min
            + (key.endsWith("DELETE_THRESHOLD") ? " (above PULSE_MONITOR_ALERT_THRESHOLD)" : "") + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be a whole number of messages, got '" + v.get(key) + "'");
    }
  }

  private static String starttls(Map<String, String> v, String key) {
    String value = v.get(key).toLowerCase(java.util.Locale.ROOT);
    switch (value) {
      case "true":
      case "required":
        return "required";
      case "false":
      case "disabled":
        return "disabled";
      case "optional":
        return "optional";
      default:
        throw new ConfigException(key, "must be required, optional or disabled (true/false), got '" + v.get(key) + "'");
    }
  }

  private static boolean bool(Map<String, String> v, String key) {
    String value = v.get(key).toLowerCase(java.util.Locale.ROOT);
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new ConfigException(key, "must be true or false, got '" + v.get(key) + "'");
  }

  private static Duration positive(Map<String, String> v, String key) {
    return atLeast(v, key, Duration.ofMillis(1));
  }

  private static Duration atLeast(Map<String, String> v, String key, Duration min) {
    Duration d;
    try {
      d = Durations.parse(v.get(key));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
    if (d.compareTo(min) < 0) {
      throw new ConfigException(key, "must be at least " + Durations.format(min) + ", got " + v.get(key));
    }
    return d;
  }

  private static URI uri(Map<String, String> v, String key, String... schemes) {
    String text = v.get(key);
    // Never echo a value that may carry a password.
    String shown = text.contains("@") ? "(value hidden: it contains '@')" : "'" + text + "'";
    try {
      URI uri = new URI(text);
      if (uri.getRawUserInfo() != null || uri.getRawAuthority() != null && uri.getRawAuthority().contains("@")) {
        throw new ConfigException(key, "must not contain credentials (set them in their own settings)");
      }
      if (uri.getScheme() == null || !Arrays.asList(schemes).contains(uri.getScheme().toLowerCase())
          || uri.getHost() == null) {
        throw new ConfigException(key, "must be a " + String.join(" or ", schemes) + " URL with a host, got " + shown);
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(key, "is not a valid URL, got " + shown);
    }
  }

  /** An http(s) root URL such as https://tc.example.com, without a trailing slash ({@code null}: unset). */
  private static URI rootUrl(Map<String, String> v, String key) {
    if (v.get(key) == null) {
      return null;
    }
    URI uri = uri(v, key, "http", "https");
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ConfigException(key, "must be a root URL without query or fragment, such as https://tc.example.com");
    }
    return URI.create(uri.toString().replaceAll("/+$", ""));
  }

  private static String dbUrl(String text) {
    if (text == null) {
      return null;
    }
    if (!text.startsWith("postgresql://") && !text.startsWith("postgres://")) {
      // Never echo the value: it may hold a password.
      throw new ConfigException("PULSE_DB_URL", "must look like postgresql://user:password@host:port/database");
    }
    return text;
  }

  private static String vhostOf(URI amqp) {
    String path = amqp.getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return "/";
    }
    String vhost = URLDecoder.decode(path.substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
    if (vhost.contains("/") && !path.substring(1).contains("%2F") && !path.substring(1).contains("%2f")) {
      throw new ConfigException("PULSE_AMQP_URL", "the vhost in the path must be URL-encoded (a '/' is %2F)");
    }
    return vhost;
  }

  private static String oneOf(Map<String, String> v, String key, List<String> allowed) {
    String value = v.get(key);
    if (!allowed.contains(value)) {
      throw new ConfigException(key, "must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
    }
    return value;
  }

  private static String matching(Map<String, String> v, String key, Pattern pattern, String rule) {
    String value = v.get(key);
    if (!pattern.matcher(value).matches()) {
      throw new ConfigException(key, "must be " + rule + ", got '" + value + "'");
    }
    return value;
  }

  private static String regex(Map<String, String> v, String key) {
    String value = v.get(key);
    try {
      Pattern.compile(value.replace("{ns}", "x"));
    } catch (RuntimeException e) {
      throw new ConfigException(key, "is not a valid regular expression: " + e.getMessage());
    }
    return value;
  }

  private static String pem(String value) {
    if (value == null) {
      return null;
    }
    String text = value;
    if (!value.contains("-----BEGIN")) {
      try {
        text = Files.readString(Path.of(value));
      } catch (IOException | RuntimeException e) {
        throw new ConfigException("PULSE_JWT_PUBLIC_KEY", "must be a PEM public key or the path of a file holding one");
      }
    }
    if (!text.contains("-----BEGIN PUBLIC KEY-----")) {
      throw new ConfigException("PULSE_JWT_PUBLIC_KEY", "must be a PEM 'PUBLIC KEY' block (RSA or EC)");
    }
    return text;
  }
}
