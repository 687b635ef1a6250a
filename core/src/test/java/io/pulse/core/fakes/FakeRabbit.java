package io.pulse.core.fakes;

import io.pulse.client.PulseError;
import io.pulse.rabbit.api.RabbitAdmin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * RabbitMQ's management API as an in-memory broker, for unit tests of logic that talks to {@link RabbitAdmin}. Like the
 * real one, name filters ignore case. Every call is recorded ({@code "putUser alice-1"}), and calls matching
 * {@link #failWhen} fail as an unreachable broker does (503).
 */
public final class FakeRabbit implements RabbitAdmin {

  /** A user as the broker holds it; {@code password == null}: the empty hash (nobody can log in). */
  public record User(String name, String password, List<String> tags) {
  }

  public final Map<String, User> users = new LinkedHashMap<>();
  /** {@code vhost + " " + user} to {@code {"configure", "write", "read"}}. */
  public final Map<String, JsonObject> permissions = new LinkedHashMap<>();
  /** {@code vhost + " " + queue} to its message count. */
  public final Map<String, Long> queues = new LinkedHashMap<>();
  /** {@code vhost + " " + exchange}. */
  public final List<String> exchanges = new ArrayList<>();
  /** Open connections: {@code {"name", "user", "vhost", "connected_at"}}. */
  public final List<JsonObject> connections = new ArrayList<>();
  /** Closed connections with the reason given: {@code name -> reason}. */
  public final Map<String, String> closed = new LinkedHashMap<>();
  public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private Predicate<String> failing = call -> false;


  /** From now on, calls whose record ({@code "<method> <target>"}) matches fail with 503. */
  public FakeRabbit failWhen(Predicate<String> calls) {
    this.failing = calls;
    return this;
  }

  /** The recorded calls that start with {@code prefix} (e.g. {@code "putUser "}). */
  public List<String> calls(String prefix) {
    synchronized (calls) {
      return calls.stream().filter(c -> c.startsWith(prefix)).toList();
    }
  }

  public void declareQueue(String vhost, String name, long messages) {
    queues.put(vhost + " " + name, messages);
  }

  public void declareExchange(String vhost, String name) {
    exchanges.add(vhost + " " + name);
  }

  public void connect(String vhost, String name, String user, long connectedAt) {
    connections.add(new JsonObject().put("name", name).put("user", user).put("vhost", vhost)
        .put("connected_at", connectedAt));
  }

  private <T> Future<T> call(String record, java.util.function.Supplier<T> effect) {
    calls.add(record);
    if (failing.test(record)) {
      return PulseError.SERVICE_UNAVAILABLE.fail("RabbitMQ management API is unreachable (fake: " + record + ")");
    }
    return Future.succeededFuture(effect.get());
  }

  @Override
  public Future<Void> putUser(String name, String password, List<String> tags) {
    return call("putUser " + name, () -> {
      users.put(name, new User(name, password, tags == null ? List.of() : List.copyOf(tags)));
      return null;
    });
  }

  @Override
  public Future<Boolean> createUser(String name, String password, List<String> tags) {
    return call("createUser " + name, () -> {
      if (users.containsKey(name)) {
        return false;
      }
      users.put(name, new User(name, password, tags == null ? List.of() : List.copyOf(tags)));
      return true;
    });
  }

  /** Recorded as {@code "findUsers <n>"}: one call, as the listing it stands for. */
  @Override
  public Future<JsonObject> findUsers(List<String> names) {
    return call("findUsers " + names.size(), () -> {
      JsonObject found = new JsonObject();
      names.forEach(name -> {
        if (users.containsKey(name)) {
          found.put(name, userJson(users.get(name)));
        }
      });
      return found;
    });
  }

  /**
   * One call for all, recorded as {@code "import <n>"}, that applies every user and permission or none: it fails (503)
   * when a {@code "putUser <name>"} or {@code "putPermissions <name>"} it stands for matches {@link #failWhen}.
   * Those are recorded too, so tests read the same effects whether they came one by one or imported.
   */
  @Override
  public Future<Void> putUsers(String vhost, JsonArray batch, List<String> tags) {
    calls.add("import " + batch.size());
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      JsonObject user = batch.getJsonObject(i);
      parts.add("putUser " + user.getString("name"));
      if (user.getJsonObject("permissions") != null) {
        parts.add("putPermissions " + user.getString("name"));
      }
    }
    calls.addAll(parts);
    if (parts.stream().anyMatch(failing)) {
      return PulseError.SERVICE_UNAVAILABLE.fail("RabbitMQ management API is unreachable (fake: import)");
    }
    for (int i = 0; i < batch.size(); i++) {
      JsonObject user = batch.getJsonObject(i);
      String name = user.getString("name");
      users.put(name, new User(name, user.getString("password"), tags == null ? List.of() : List.copyOf(tags)));
      if (user.getJsonObject("permissions") != null) {
        permissions.put(vhost + " " + name, user.getJsonObject("permissions").copy());
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> putPermissions(String vhost, String user, JsonObject permissions) {
    return call("putPermissions " + user, () -> {
      this.permissions.put(vhost + " " + user, permissions.copy());
      return null;
    });
  }

  @Override
  public Future<Void> deleteUser(String name) {
    return call("deleteUser " + name, () -> {
      users.remove(name);
      permissions.keySet().removeIf(k -> k.endsWith(" " + name));
      return null;
    });
  }

  @Override
  public Future<JsonArray> listUsers() {
    return call("listUsers", () -> {
      JsonArray all = new JsonArray();
      users.values().forEach(u -> all.add(userJson(u)));
      return all;
    });
  }

  @Override
  public Future<JsonObject> getUser(String name) {
    return call("getUser " + name, () -> users.containsKey(name) ? userJson(users.get(name)) : null);
  }

  @Override
  public Future<JsonObject> getPermissions(String vhost, String user) {
    return call("getPermissions " + user, () -> {
      JsonObject p = permissions.get(vhost + " " + user);
      return p == null ? null : p.copy().put("user", user);
    });
  }

  @Override
  public Future<JsonArray> listPermissions(String vhost) {
    return call("listPermissions " + vhost, () -> {
      JsonArray all = new JsonArray();
      permissions.forEach((key, p) -> {
        if (key.startsWith(vhost + " ")) {
          all.add(p.copy().put("user", key.substring(vhost.length() + 1)));
        }
      });
      return all;
    });
  }

  @Override
  public Future<JsonArray> listQueues(String vhost, String nameRegex, List<String> columns) {
    return call("listQueues " + nameRegex, () -> {
      JsonArray all = new JsonArray();
      Pattern filter = filter(nameRegex);
      queues.forEach((key, messages) -> {
        String name = nameIn(vhost, key);
        if (name != null && filter.matcher(name).find()) {
          all.add(new JsonObject().put("name", name).put("messages", messages));
        }
      });
      return all;
    });
  }

  @Override
  public Future<List<String>> listQueueNames(String vhost, String nameRegex) {
    return listQueues(vhost, nameRegex, List.of("name"))
        .map(all -> all.stream().map(q -> ((JsonObject) q).getString("name")).toList());
  }

  @Override
  public Future<List<String>> listExchangeNames(String vhost, String nameRegex) {
    return call("listExchanges " + nameRegex, () -> {
      Pattern filter = filter(nameRegex);
      return exchanges.stream().map(key -> nameIn(vhost, key))
          .filter(name -> name != null && filter.matcher(name).find()).toList();
    });
  }

  @Override
  public Future<Void> deleteQueue(String vhost, String name) {
    return call("deleteQueue " + name, () -> {
      queues.remove(vhost + " " + name);
      return null;
    });
  }

  @Override
  public Future<Void> putExchange(String vhost, String name, String type) {
    return call("putExchange " + name, () -> {
      if (!exchanges.contains(vhost + " " + name)) {
        exchanges.add(vhost + " " + name);
      }
      return null;
    });
  }

  @Override
  public Future<Void> deleteExchange(String vhost, String name) {
    return call("deleteExchange " + name, () -> {
      exchanges.remove(vhost + " " + name);
      return null;
    });
  }

  @Override
  public Future<JsonArray> listConnections(String vhost) {
    return call("listConnections " + vhost, () -> {
      JsonArray all = new JsonArray();
      connections.stream().filter(c -> vhost.equals(c.getString("vhost"))).forEach(c -> all.add(c.copy()));
      return all;
    });
  }

  @Override
  public Future<Void> closeConnection(String name, String reason) {
    return call("closeConnection " + name, () -> {
      connections.removeIf(c -> name.equals(c.getString("name")));
      closed.put(name, reason);
      return null;
    });
  }

  @Override
  public Future<JsonObject> overview() {
    return call("overview", () -> new JsonObject().put("rabbitmq_version", "fake"));
  }

  @Override
  public Future<JsonArray> queueDetails(String vhost, String nameRegex) {
    return listQueues(vhost, nameRegex, List.of()).map(all -> {
      all.forEach(q -> {
        JsonObject queue = (JsonObject) q;
        queue.put("messages_ready", queue.getLong("messages")).put("messages_unacknowledged", 0L)
            .put("consumers", 0).put("durable", true).put("auto_delete", false);
      });
      return all;
    });
  }

  @Override
  public Future<JsonArray> queueBindings(String vhost, String queue) {
    return call("queueBindings " + queue, () -> new JsonArray());
  }

  @Override
  public Future<JsonObject> getQueue(String vhost, String name) {
    return call("getQueue " + name, () -> {
      Long messages = queues.get(vhost + " " + name);
      return messages == null ? null : new JsonObject().put("name", name).put("messages", messages);
    });
  }

  @Override
  public Future<Boolean> purgeQueue(String vhost, String name) {
    return call("purgeQueue " + name, () -> queues.computeIfPresent(vhost + " " + name, (k, v) -> 0L) != null);
  }

  @Override
  public Future<JsonArray> userConnections(String user) {
    return call("userConnections " + user, () -> {
      JsonArray all = new JsonArray();
      connections.stream().filter(c -> user.equals(c.getString("user"))).forEach(c -> all.add(c.copy()));
      return all;
    });
  }

  @Override
  public Future<JsonArray> biggestQueues(String vhost, String nameRegex, int limit) {
    return listQueues(vhost, nameRegex, List.of("name", "messages")).map(all -> {
      List<JsonObject> sorted = new ArrayList<>();
      all.forEach(q -> sorted.add((JsonObject) q));
      sorted.sort((a, b) -> Long.compare(b.getLong("messages"), a.getLong("messages")));
      return new JsonArray(new ArrayList<>(sorted.subList(0, Math.min(limit, sorted.size()))));
    });
  }

  /** RabbitMQ's management plugin applies name filters case-insensitively: so does the fake. */
  private static Pattern filter(String regex) {
    return Pattern.compile(regex == null ? "" : regex, Pattern.CASE_INSENSITIVE);
  }

  private static String nameIn(String vhost, String key) {
    return key.startsWith(vhost + " ") ? key.substring(vhost.length() + 1) : null;
  }

  private static JsonObject userJson(User user) {
    return new JsonObject().put("name", user.name())
        .put("password_hash", user.password() == null ? "" : hash(user.password()))
        .put("hashing_algorithm", "rabbit_password_hashing_sha256")
        .put("tags", new JsonArray(user.tags()));
  }

  /** RabbitMQ's scheme: base64(salt ++ SHA-256(salt ++ password)) with a 4-byte salt. */
  private static String hash(String password) {
    try {
      byte[] salt = {1, 2, 3, 4};
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt);
      byte[] digest = sha.digest(password.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[salt.length + digest.length];
      System.arraycopy(salt, 0, out, 0, salt.length);
      System.arraycopy(digest, 0, out, salt.length, digest.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
