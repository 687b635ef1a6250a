package io.pulse.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The service's configuration, read once at start: the defaults of {@link Settings}, then the YAML file named by
 * {@code PULSE_CONFIG}, then environment variables (the same keys in both). Every value is validated here, with a
 * message that names the bad key; each concern reads its own small record.
 */
public final class PulseConfig {

  /** The settings a YAML file may give as a list (joined by commas, as in the environment). */
  private static final Set<String> LIST_KEYS = Set.of("PULSE_USER_TAGS", "PULSE_ROLES");

  private final Map<String, String> values;
  private final HttpConfig http;
  private final DatabaseConfig database;
  private final SecretsConfig secrets;
  private final RabbitConfig rabbit;
  private final NamespacesConfig namespaces;
  private final AuthConfig auth;
  private final LifecycleConfig lifecycle;
  private final MonitorConfig monitor;
  private final MailConfig mail;
  private final OperationsConfig operations;
  private final RolesConfig roles;
  private final Naming naming;

  private PulseConfig(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(values);
    Values v = new Values(values);
    this.http = HttpConfig.read(v);
    this.database = DatabaseConfig.read(v);
    this.secrets = SecretsConfig.read(v, database);
    this.rabbit = RabbitConfig.read(v);
    this.namespaces = NamespacesConfig.read(v);
    this.auth = AuthConfig.read(v);
    this.lifecycle = LifecycleConfig.read(v);
    this.monitor = MonitorConfig.read(v);
    this.mail = MailConfig.read(v);
    this.operations = OperationsConfig.read(v);
    this.roles = RolesConfig.read(v);
    this.naming = new Naming(namespaces);
  }

  /** Loads the layered configuration from the given environment (blocking: it may read a file). */
  public static PulseConfig load(Map<String, String> env) {
    Map<String, String> given = new LinkedHashMap<>();
    String file = env.get("PULSE_CONFIG");
    if (file != null && !file.isBlank()) {
      given.putAll(readYaml(Path.of(file)));
    }
    env.forEach((k, v) -> {
      // An empty variable counts as unset, so it does not hide the file's value.
      if (Settings.isKnown(k) && v != null && !v.isBlank()) {
        given.put(k, v);
      }
    });
    return fromMap(given);
  }

  /** Builds and validates a configuration from key/value pairs; missing keys take their defaults. */
  public static PulseConfig fromMap(Map<String, String> given) {
    Map<String, String> merged = new LinkedHashMap<>(Settings.defaults());
    given.forEach((k, value) -> {
      if (!Settings.isKnown(k)) {
        throw new ConfigException(k, "unknown setting (known: " + String.join(", ", Settings.defaults().keySet()) + ")");
      }
      merged.put(k, value == null || value.isBlank() ? Settings.defaults().get(k) : value.trim());
    });
    return new PulseConfig(merged);
  }

  public static PulseConfig fromJson(JsonObject json) {
    Map<String, String> map = new LinkedHashMap<>();
    json.forEach(e -> map.put(e.getKey(), e.getValue() == null ? null : String.valueOf(e.getValue())));
    return fromMap(map);
  }

  /** A copy with some keys changed, for an application embedding the service (and for tests). */
  public PulseConfig with(Map<String, String> changes) {
    Map<String, String> map = new LinkedHashMap<>(values);
    map.putAll(changes);
    return fromMap(map);
  }

  public HttpConfig http() {
    return http;
  }

  public DatabaseConfig database() {
    return database;
  }

  public SecretsConfig secrets() {
    return secrets;
  }

  public RabbitConfig rabbit() {
    return rabbit;
  }

  public NamespacesConfig namespaces() {
    return namespaces;
  }

  public AuthConfig auth() {
    return auth;
  }

  public LifecycleConfig lifecycle() {
    return lifecycle;
  }

  public MonitorConfig monitor() {
    return monitor;
  }

  public MailConfig mail() {
    return mail;
  }

  public OperationsConfig operations() {
    return operations;
  }

  /** What a deployment runs beside storage and the RabbitMQ administration. */
  public RolesConfig roles() {
    return roles;
  }

  /** The naming and ownership rules these settings imply. */
  public Naming naming() {
    return naming;
  }

  /** Every setting as text, defaults included ({@code null}: unset). */
  public Map<String, String> values() {
    return values;
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

  /** The configuration as {@code key=value} pairs with secrets masked, for the start-up log. */
  public String describe() {
    return values.entrySet().stream()
        .map(e -> e.getKey() + "=" + (e.getValue() != null && Settings.isSecret(e.getKey()) ? "****" : e.getValue()))
        .collect(Collectors.joining(" "));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PulseConfig && ((PulseConfig) other).values.equals(values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
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
      if (!Settings.isKnown(key)) {
        throw new ConfigException(key, "unknown setting in " + path);
      }
      if (value instanceof List && key.equals("PULSE_STATIC_CLIENTS")) {
        // The same list as the variable's JSON text; StaticClient.parse checks it.
        result.put(key, new JsonArray((List<?>) value).encode());
        return;
      }
      if (value instanceof Map || value instanceof List && !LIST_KEYS.contains(key)) {
        throw new ConfigException(key, "must be a single value in " + path);
      }
      result.put(key, value instanceof List
          ? ((List<?>) value).stream().map(String::valueOf).collect(Collectors.joining(","))
          : value == null ? null : String.valueOf(value));
    });
    return result;
  }
}
