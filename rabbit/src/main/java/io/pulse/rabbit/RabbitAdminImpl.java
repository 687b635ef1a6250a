package io.pulse.rabbit;

import io.pulse.client.PulseError;
import io.pulse.config.Retry;
import io.pulse.rabbit.api.RabbitAdmin;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

final class RabbitAdminImpl implements RabbitAdmin {

  private static final Logger log = LoggerFactory.getLogger(RabbitAdminImpl.class);
  private static final int PAGE_SIZE = 500;
  /** The most connections of one user whose details {@link #userConnections} reads. */
  static final int MAX_USER_CONNECTIONS = 50;
  /** While the broker is unreachable, one warning this often, counting the failures in between. */
  static final int WARN_EVERY_SECONDS = 10;
  private final Throttle unreachable = new Throttle(WARN_EVERY_SECONDS * 1000L);
  /** What an owner sees of a queue. */
  private static final String QUEUE_DETAILS = "name,messages,messages_ready,messages_unacknowledged,consumers,"
      + "durable,auto_delete,message_stats.publish_details.rate,message_stats.deliver_get_details.rate";

  private final WebClient client;
  private final String host;
  private final int port;
  private final String basePath;
  private final String apiUrl;
  private final String authorization;
  private final long timeoutMillis;
  CallMetrics metrics = CallMetrics.NONE;
  /** A listing of all users costs the broker about as much as this many single reads. */
  private static final int LISTING_USERS_PER_NAME = 20;
  /**
   * While the count of users is unknown, this many names or fewer are read one by one rather than listed: a listing's
   * cost grows with every user the broker holds (measured on RabbitMQ 3.10: 224 ms for 11,000 users, 0.8 ms for one
   * read), a few reads' does not.
   */
  static final int READS_WHILE_UNKNOWN = 100;
  /** The count of users is not known yet. */
  private static final long UNKNOWN = -1;
  /**
   * How many users the broker held at the last full listing (-1: none made yet). Until one is made, a lookup of more
   * than {@link #READS_WHILE_UNKNOWN} names tries a listing; when that fails (a listing of 100,000 users outlasts the
   * call timeout), users are read one by one until a listing (reconciliation's) shows the broker small enough.
   */
  long knownUsers = UNKNOWN;

  RabbitAdminImpl(WebClient client, URI api, String user, String password, long timeoutMillis) {
    this.client = client;
    this.host = api.getHost();
    this.port = api.getPort() != -1 ? api.getPort() : "https".equalsIgnoreCase(api.getScheme()) ? 443 : 80;
    String path = api.getRawPath() == null ? "" : api.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.apiUrl = api.getScheme() + "://" + host + ":" + port + basePath;
    this.authorization = "Basic " + java.util.Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public Future<Void> putUser(String name, String password, List<String> tags) {
    JsonObject body = userBody(password, tags);
    // Two PUTs creating one user at once can make RabbitMQ answer user_already_exists to one of them (replicas
    // provisioning the same namespace); the PUT is idempotent, so it is simply made again.
    return Retry.onFailure(3, () -> call(HttpMethod.PUT, "/users/" + encode(name), body, "put user " + name),
        e -> String.valueOf(e.getMessage()).contains("already_exists")).mapEmpty();
  }

  @Override
  public Future<Boolean> createUser(String name, String password, List<String> tags) {
    JsonObject body = userBody(password, tags);
    // Two creations of one user at once (replicas, concurrent claims) can make the broker answer user_already_exists
    // to the later one instead of 412; asked again, it answers 412.
    return Retry.onFailure(3, () -> call(HttpMethod.PUT, "/users/" + encode(name), body, "create user " + name,
            request -> request.putHeader("If-None-Match", "*"), 412),
        e -> String.valueOf(e.getMessage()).contains("already_exists"))
        .map(response -> response.statusCode() != 412);
  }

  /**
   * A user's body with its password already hashed (salted SHA-256, as the broker would): the broker then hashes
   * nothing, which cut its CPU per {@code PUT} from 0.41-0.43 ms to 0.30 ms (1,000 PUTs, 16 in flight). A {@code null}
   * password gives the empty hash: nobody can log in.
   */
  private static JsonObject userBody(String password, List<String> tags) {
    return new JsonObject()
        .put("password_hash", PasswordHash.sha256(password))
        .put("hashing_algorithm", PasswordHash.ALGORITHM)
        .put("tags", String.join(",", tags == null ? List.of() : tags));
  }

  @Override
  public Future<JsonObject> findUsers(List<String> names) {
    if (names.isEmpty()) {
      return Future.succeededFuture(new JsonObject());
    }
    if (knownUsers == UNKNOWN && names.size() > READS_WHILE_UNKNOWN) {
      return listUsers(names).recover(e -> {
        knownUsers = Long.MAX_VALUE;
        return findUsers(names);
      });
    }
    if (knownUsers == UNKNOWN || (long) names.size() * LISTING_USERS_PER_NAME < knownUsers) {
      List<Future<JsonObject>> found = new ArrayList<>();
      names.forEach(name -> found.add(getUser(name)));
      return Future.all(found).map(all -> {
        JsonObject byName = new JsonObject();
        for (int i = 0; i < names.size(); i++) {
          JsonObject user = all.resultAt(i);
          if (user != null) {
            byName.put(names.get(i), user);
          }
        }
        return byName;
      });
    }
    return listUsers(names);
  }

  private Future<JsonObject> listUsers(List<String> names) {
    java.util.Set<String> wanted = new java.util.HashSet<>(names);
    return call(HttpMethod.GET, "/users?columns=name,tags", null, "list users").map(response -> {
      JsonObject byName = new JsonObject();
      knownUsers = UserListing.read(response.body(), wanted, byName);
      return byName;
    });
  }

  @Override
  public Future<Void> putUsers(String vhost, JsonArray users, List<String> tags) {
    if (users.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray tagList = new JsonArray(tags == null ? List.of() : new ArrayList<>(tags));
    JsonArray userDefinitions = new JsonArray();
    JsonArray permissionDefinitions = new JsonArray();
    for (int i = 0; i < users.size(); i++) {
      JsonObject user = users.getJsonObject(i);
      String name = user.getString("name");
      userDefinitions.add(new JsonObject()
          .put("name", name)
          .put("password_hash", PasswordHash.sha256(user.getString("password")))
          .put("hashing_algorithm", PasswordHash.ALGORITHM)
          .put("tags", tagList));
      JsonObject permissions = user.getJsonObject("permissions");
      if (permissions != null) {
        permissionDefinitions.add(new JsonObject()
            .put("user", name)
            .put("vhost", vhost)
            .put("configure", permissions.getString("configure"))
            .put("write", permissions.getString("write"))
            .put("read", permissions.getString("read")));
      }
    }
    JsonObject body = new JsonObject().put("users", userDefinitions).put("permissions", permissionDefinitions);
    // As with putUser: replicas importing one user at once can make RabbitMQ answer user_already_exists; the import
    // is idempotent, so it is simply made again.
    return Retry.onFailure(3, () -> call(HttpMethod.POST, "/definitions", body, "import " + users.size()
            + " user(s) and their permissions on vhost " + vhost),
        e -> String.valueOf(e.getMessage()).contains("already_exists")).mapEmpty();
  }

  @Override
  public Future<Void> putPermissions(String vhost, String user, JsonObject permissions) {
    JsonObject body = new JsonObject()
        .put("configure", permissions.getString("configure"))
        .put("write", permissions.getString("write"))
        .put("read", permissions.getString("read"));
    return call(HttpMethod.PUT, "/permissions/" + encode(vhost) + "/" + encode(user), body,
        "set permissions of " + user + " on vhost " + vhost).mapEmpty();
  }

  @Override
  public Future<Void> deleteUser(String name) {
    return call(HttpMethod.DELETE, "/users/" + encode(name), null, "delete user " + name, 404).mapEmpty();
  }

  @Override
  public Future<JsonArray> listUsers() {
    return call(HttpMethod.GET, "/users?columns=name,password_hash,hashing_algorithm,tags", null, "list users")
        .map(response -> {
          JsonArray users = response.bodyAsJsonArray();
          knownUsers = users.size();
          return users;
        });
  }

  @Override
  public Future<JsonObject> getUser(String name) {
    return call(HttpMethod.GET, "/users/" + encode(name), null, "read user " + name, 404)
        .map(response -> response.statusCode() == 404 ? null : response.bodyAsJsonObject());
  }

  @Override
  public Future<JsonObject> getPermissions(String vhost, String user) {
    return call(HttpMethod.GET, "/permissions/" + encode(vhost) + "/" + encode(user), null,
        "read permissions of " + user + " on vhost " + vhost, 404)
        .map(response -> response.statusCode() == 404 ? null : response.bodyAsJsonObject());
  }

  @Override
  public Future<JsonArray> listPermissions(String vhost) {
    return call(HttpMethod.GET, "/vhosts/" + encode(vhost) + "/permissions", null,
        "list permissions on vhost " + vhost).map(HttpResponse::bodyAsJsonArray);
  }

  @Override
  public Future<JsonArray> listQueues(String vhost, String nameRegex, List<String> columns) {
    return pages("/queues/" + encode(vhost), nameRegex, String.join(",", columns), "list queues of vhost " + vhost,
        1, new JsonArray());
  }

  @Override
  public Future<List<String>> listQueueNames(String vhost, String nameRegex) {
    return pages("/queues/" + encode(vhost), nameRegex, "name", "list queues of vhost " + vhost, 1, new JsonArray())
        .map(RabbitAdminImpl::names);
  }

  @Override
  public Future<List<String>> listExchangeNames(String vhost, String nameRegex) {
    return pages("/exchanges/" + encode(vhost), nameRegex, "name", "list exchanges of vhost " + vhost, 1,
        new JsonArray()).map(RabbitAdminImpl::names);
  }

  @Override
  public Future<Void> putExchange(String vhost, String name, String type) {
    JsonObject body = new JsonObject().put("type", type).put("durable", true).put("auto_delete", false)
        .put("internal", false).put("arguments", new JsonObject());
    return call(HttpMethod.PUT, "/exchanges/" + encode(vhost) + "/" + encode(name), body,
        "declare exchange " + name + " on vhost " + vhost).mapEmpty();
  }

  @Override
  public Future<Void> deleteQueue(String vhost, String name) {
    return call(HttpMethod.DELETE, "/queues/" + encode(vhost) + "/" + encode(name), null,
        "delete queue " + name, 404).mapEmpty();
  }

  @Override
  public Future<Void> deleteExchange(String vhost, String name) {
    return call(HttpMethod.DELETE, "/exchanges/" + encode(vhost) + "/" + encode(name), null,
        "delete exchange " + name, 404).mapEmpty();
  }

  @Override
  public Future<JsonArray> listConnections(String vhost) {
    return call(HttpMethod.GET, "/vhosts/" + encode(vhost) + "/connections?columns=name,user,connected_at", null,
        "list connections of vhost " + vhost).map(HttpResponse::bodyAsJsonArray);
  }

  @Override
  public Future<Void> closeConnection(String name, String reason) {
    return call(HttpMethod.DELETE, "/connections/" + encode(name), null, "close connection " + name,
        request -> request.putHeader("X-Reason", reason), 404).mapEmpty();
  }

  /** One page after the other: the management API answers {@code {"items", "page_count"}} when asked for pages. */
  private Future<JsonArray> pages(String path, String regex, String columns, String what, int page, JsonArray found) {
    String query = "?columns=" + encode(columns) + "&page_size=" + PAGE_SIZE + "&page=" + page
        + "&use_regex=true&name=" + encode(regex);
    return call(HttpMethod.GET, path + query, null, what).compose(response -> {
      JsonObject body = response.bodyAsJsonObject();
      found.addAll(body.getJsonArray("items", new JsonArray()));
      int pages = body.getInteger("page_count", 1);
      return page < pages ? pages(path, regex, columns, what, page + 1, found) : Future.succeededFuture(found);
    });
  }

  private static List<String> names(JsonArray items) {
    List<String> names = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      names.add(items.getJsonObject(i).getString("name"));
    }
    return names;
  }

  @Override
  public Future<JsonObject> overview() {
    return call(HttpMethod.GET, "/overview?columns=rabbitmq_version,cluster_name,management_version", null,
        "read the overview").map(HttpResponse::bodyAsJsonObject);
  }

  @Override
  public Future<JsonArray> queueDetails(String vhost, String nameRegex) {
    return pages("/queues/" + encode(vhost), nameRegex, QUEUE_DETAILS, "list queues of vhost " + vhost, 1,
        new JsonArray());
  }

  @Override
  public Future<JsonArray> queueBindings(String vhost, String queue) {
    return call(HttpMethod.GET, "/queues/" + encode(vhost) + "/" + encode(queue) + "/bindings", null,
        "list the bindings of queue " + queue, 404)
        .map(response -> response.statusCode() == 404 ? new JsonArray() : response.bodyAsJsonArray());
  }

  @Override
  public Future<JsonObject> getQueue(String vhost, String name) {
    return call(HttpMethod.GET, "/queues/" + encode(vhost) + "/" + encode(name) + "?columns=" + encode(QUEUE_DETAILS),
        null, "read queue " + name, 404)
        .map(response -> response.statusCode() == 404 ? null : response.bodyAsJsonObject());
  }

  @Override
  public Future<Boolean> purgeQueue(String vhost, String name) {
    return call(HttpMethod.DELETE, "/queues/" + encode(vhost) + "/" + encode(name) + "/contents", null,
        "purge queue " + name, 404).map(response -> response.statusCode() != 404);
  }

  @Override
  public Future<JsonArray> userConnections(String user) {
    // The per-user listing names the connections only; their details (client properties, peer) are read one by one,
    // a bounded number of them (an owner recognises a deployment from a few).
    return call(HttpMethod.GET, "/connections/username/" + encode(user), null, "list connections of user " + user,
        404).compose(response -> {
          JsonArray listed = response.statusCode() == 404 ? new JsonArray() : response.bodyAsJsonArray();
          List<Future<HttpResponse<Buffer>>> details = new ArrayList<>();
          for (int i = 0; i < Math.min(listed.size(), MAX_USER_CONNECTIONS); i++) {
            String name = listed.getJsonObject(i).getString("name");
            details.add(call(HttpMethod.GET, "/connections/" + encode(name), null, "read connection " + name, 404));
          }
          return Future.all(details).map(all -> {
            JsonArray connections = new JsonArray();
            for (Future<HttpResponse<Buffer>> detail : details) {
              // A connection closed between the two calls is simply gone.
              if (detail.result().statusCode() == 200) {
                connections.add(detail.result().bodyAsJsonObject());
              }
            }
            return connections;
          });
        });
  }

  @Override
  public Future<JsonArray> biggestQueues(String vhost, String nameRegex, int limit) {
    String query = "?columns=name,messages,consumers&page=1&page_size=" + limit
        + "&sort=messages&sort_reverse=true&use_regex=true&name=" + encode(nameRegex);
    return call(HttpMethod.GET, "/queues/" + encode(vhost) + query, null, "list the biggest queues of vhost " + vhost)
        .map(response -> response.bodyAsJsonObject().getJsonArray("items", new JsonArray()));
  }

  /**
   * One management call. {@code what} describes it for error messages; it never includes a password.
   * Statuses in {@code alsoFine} count as success (a 404 on delete: already gone).
   */
  private Future<HttpResponse<Buffer>> call(HttpMethod method, String path, JsonObject body, String what,
      int... alsoFine) {
    return call(method, path, body, what, request -> request, alsoFine);
  }

  private Future<HttpResponse<Buffer>> call(HttpMethod method, String path, JsonObject body, String what,
      UnaryOperator<HttpRequest<Buffer>> decorate, int... alsoFine) {
    HttpRequest<Buffer> request = decorate.apply(client.request(method, port, host, basePath + path)
        .putHeader("Authorization", authorization)
        .timeout(timeoutMillis));
    Future<HttpResponse<Buffer>> sent =
        metrics.time(method, body == null ? request.send() : request.sendJsonObject(body));
    return sent.recover(e -> {
      int held = unreachable.pass(System.nanoTime());
      if (held >= 0) {
        log.warn("RabbitMQ management API unreachable ({} {}): {}{}", method, apiUrl, e.toString(),
            held == 0 ? "" : " (" + held + " more such failures in the last " + WARN_EVERY_SECONDS + " s)");
      }
      return PulseError.SERVICE_UNAVAILABLE.fail("RabbitMQ management API at " + apiUrl + " is unreachable ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }).compose(response -> {
      int status = response.statusCode();
      if (status / 100 == 2 || contains(alsoFine, status)) {
        return Future.succeededFuture(response);
      }
      String reason = reason(response);
      log.warn("RabbitMQ management API could not {}: {} {}", what, status, reason);
      if (status == 401 || status == 403) {
        return PulseError.SERVICE_UNAVAILABLE.fail("RabbitMQ management API refused the service's admin credentials ("
            + status + ") when asked to " + what);
      }
      return PulseError.SERVICE_UNAVAILABLE.fail("RabbitMQ management API could not " + what + ": " + status
          + (reason.isEmpty() ? "" : " " + reason));
    });
  }

  private static String reason(HttpResponse<Buffer> response) {
    try {
      JsonObject json = response.bodyAsJsonObject();
      return json == null ? "" : json.getString("reason", json.getString("error", ""));
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static boolean contains(int[] values, int value) {
    for (int v : values) {
      if (v == value) {
        return true;
      }
    }
    return false;
  }

  /** A path segment: RabbitMQ wants vhosts and names percent-encoded ({@code /} is {@code %2F}). */
  static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
