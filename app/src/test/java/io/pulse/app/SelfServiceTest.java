package io.pulse.app;

import static io.pulse.testkit.Responses.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.pulse.client.NamespaceService;
import io.pulse.client.PulseAdminService;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Owners' self-service and operators' routes end to end, on the real broker and database: an owner of one namespace
 * sees and changes exactly its own (never another's, nor its letter-case twin's), bad input is refused naming the
 * problem, pages walk without gaps, and the event bus answers as REST does.
 */
@ExtendWith(VertxExtension.class)
class SelfServiceTest {

  private static RunningService service;

  @BeforeAll
  static void start(Vertx vertx) {
    // No monitor sweeps: the queues here are left as the tests make them.
    service = RunningService.start(vertx, Map.of("PULSE_MONITOR_ALERT_THRESHOLD", "100",
        "PULSE_MONITOR_DELETE_THRESHOLD", "1000", "PULSE_MONITOR_MAX_ALERT_THRESHOLD", "500",
        "PULSE_MONITOR_MAX_DELETE_THRESHOLD", "5000"));
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  private static String owner(String ns) {
    return service.tokenOf("owner-of-" + ns, "pulse:namespace:" + ns);
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, String token, JsonObject body) {
    var request = service.request(method, path, token);
    return (body == null ? request.send() : request.putHeader("Content-Type", "application/json")
        .sendBuffer(body.toBuffer())).await();
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static String connectionString(String ns) {
    HttpResponse<Buffer> claimed = service.claim(ns, null);
    assertEquals(200, claimed.statusCode(), claimed.bodyAsString());
    return claimed.bodyAsJsonObject().getString("connectionString");
  }

  /** Declares {@code queue/<ns>/<name>}, bound to {@code exchange/<ns>/x} by {@code key}, holding {@code n} messages. */
  private static void fill(String connectionString, String ns, String name, String key, int n) throws Exception {
    try (Connection connection = TestEnv.connect(connectionString)) {
      Channel channel = connection.createChannel();
      String queue = "queue/" + ns + "/" + name;
      String exchange = "exchange/" + ns + "/x";
      channel.exchangeDeclare(exchange, "topic", true);
      channel.queueDeclare(queue, true, false, false, null);
      channel.queueBind(queue, exchange, key);
      channel.confirmSelect();
      for (int i = 0; i < n; i++) {
        channel.basicPublish(exchange, key, new AMQP.BasicProperties(), ("m" + i).getBytes(StandardCharsets.UTF_8));
      }
      channel.waitForConfirms(10_000);
    }
  }

  private static String path(String queue) {
    return TestEnv.encode(queue);
  }

  /** The queue of that name in the owner's listing, once the broker's statistics show {@code messages}. */
  private static JsonObject listedWith(String ns, String queue, long messages) {
    JsonObject[] found = new JsonObject[1];
    TestEnv.eventually(30, queue + " listed with " + messages + " messages", () -> {
      JsonObject page = ok(call(HttpMethod.GET, "/namespace/" + ns + "/queues", owner(ns), null));
      found[0] = page.getJsonArray("queues").stream().map(JsonObject.class::cast)
          .filter(q -> queue.equals(q.getString("name"))).findFirst().orElse(null);
      return found[0] != null && found[0].getLong("messages") == messages;
    });
    return found[0];
  }

  private static List<String> events(String ns) {
    return ok(call(HttpMethod.GET, "/namespace/" + ns + "/history", owner(ns), null)).getJsonArray("events")
        .stream().map(e -> ((JsonObject) e).getString("event")).collect(Collectors.toList());
  }

  @Test
  void anOwnerSeesItsQueuesWithSizesStatesAndBindingsAgainstItsOwnThresholds() throws Exception {
    String ns = TestEnv.unique("mine");
    fill(connectionString(ns), ns, "orders", "orders.#", 7);
    JsonObject details = ok(call(HttpMethod.PATCH, "/namespace/" + ns, owner(ns),
        new JsonObject().put("alertThreshold", 5).put("deleteThreshold", 50)));
    assertEquals(5, details.getLong("alertThreshold"));
    assertEquals(new JsonObject().put("alertThreshold", 5).put("deleteThreshold", 50), details.getJsonObject("own"));

    JsonObject queue = listedWith(ns, "queue/" + ns + "/orders", 7);
    assertEquals("warning", queue.getString("state"), "7 is above this namespace's alertThreshold of 5");
    assertEquals(7, queue.getLong("ready"));
    assertEquals(0, queue.getLong("consumers"));
    assertTrue(queue.getBoolean("durable"));
    assertEquals(new JsonArray().add(new JsonObject().put("exchange", "exchange/" + ns + "/x")
        .put("routingKey", "orders.#")), queue.getJsonArray("bindings"));

    ok(call(HttpMethod.PATCH, "/namespace/" + ns, owner(ns), new JsonObject().putNull("alertThreshold")
        .putNull("deleteThreshold")));
    assertEquals("normal", listedWith(ns, "queue/" + ns + "/orders", 7).getString("state"),
        "back under the operator's threshold of 100");
  }

  @Test
  void anOwnerOfOneNamespaceNeitherSeesNorTouchesAnotherNorItsLetterCaseTwin() throws Exception {
    String a = TestEnv.unique("own");
    String b = TestEnv.unique("other");
    String twin = a.toUpperCase(Locale.ROOT);
    fill(connectionString(a), a, "keep", "k", 1);
    fill(connectionString(b), b, "keep", "k", 3);
    listedWith(b, "queue/" + b + "/keep", 3);

    for (String route : List.of("/details", "/queues", "/connections", "/history")) {
      assertError(call(HttpMethod.GET, "/namespace/" + b + route, owner(a), null), 403, "InsufficientScopes",
          "pulse:namespace:" + b);
    }
    assertError(call(HttpMethod.PATCH, "/namespace/" + b, owner(a), new JsonObject().put("alertThreshold", 1)), 403,
        "InsufficientScopes", b);
    // Through its own namespace, the owner names another's queue, or its own under the twin's spelling.
    String others = "queue/" + b + "/keep";
    assertError(call(HttpMethod.DELETE, "/namespace/" + a + "/queue/" + path(others), owner(a), null), 404,
        "ResourceNotFound", "queue/" + a + "/");
    assertError(call(HttpMethod.POST, "/namespace/" + a + "/queue/" + path(others) + "/purge", owner(a), null), 404,
        "ResourceNotFound", "queue/" + a + "/");
    assertError(call(HttpMethod.DELETE, "/namespace/" + a + "/queue/" + path("queue/" + twin + "/keep"), owner(a),
        null), 404, "ResourceNotFound", null);
    // The twin's owner (a different namespace that does not exist) sees nothing of a.
    assertError(call(HttpMethod.GET, "/namespace/" + twin + "/queues", owner(twin), null), 404, "ResourceNotFound",
        twin);
    assertError(call(HttpMethod.DELETE, "/namespace/" + twin + "/queue/" + path("queue/" + a + "/keep"), owner(twin),
        null), 404, "ResourceNotFound", null);
    assertEquals(List.of(), ok(call(HttpMethod.GET, "/namespace/" + twin + "/history", owner(twin), null))
        .getJsonArray("events").getList());

    assertEquals(200, TestEnv.queueStatus(service.client, service.vhost, "queue/" + a + "/keep"));
    assertEquals(200, TestEnv.queueStatus(service.client, service.vhost, others));
    JsonObject listing = ok(call(HttpMethod.GET, "/namespace/" + a + "/queues", owner(a), null));
    assertTrue(listing.getJsonArray("queues").stream().map(q -> ((JsonObject) q).getString("name"))
        .allMatch(name -> name.startsWith("queue/" + a + "/")), listing.encode());
  }

  @Test
  void anOwnerPurgesAndDeletesItsOwnQueueAndTheHistorySaysWhoDidIt() throws Exception {
    String ns = TestEnv.unique("tidy");
    fill(connectionString(ns), ns, "runaway", "r", 4);
    String queue = "queue/" + ns + "/runaway";
    listedWith(ns, queue, 4);

    JsonObject purged = ok(call(HttpMethod.POST, "/namespace/" + ns + "/queue/" + path(queue) + "/purge", owner(ns),
        null));
    assertEquals(new JsonObject().put("queue", queue).put("purged", 4), purged);
    listedWith(ns, queue, 0);

    assertEquals(204, call(HttpMethod.DELETE, "/namespace/" + ns + "/queue/" + path(queue), owner(ns), null)
        .statusCode());
    assertEquals(404, TestEnv.queueStatus(service.client, service.vhost, queue));
    assertError(call(HttpMethod.DELETE, "/namespace/" + ns + "/queue/" + path(queue), owner(ns), null), 404,
        "ResourceNotFound", queue);

    JsonArray history = ok(call(HttpMethod.GET, "/namespace/" + ns + "/history", owner(ns), null))
        .getJsonArray("events");
    assertEquals(List.of("queue-deleted", "queue-purged", "claimed"), history.stream()
        .map(e -> ((JsonObject) e).getString("event")).collect(Collectors.toList()));
    assertEquals("jwt:owner-of-" + ns, history.getJsonObject(0).getString("by"));
    assertEquals(4, history.getJsonObject(1).getInteger("messages"));
  }

  @Test
  void badSettingsAreRefusedNamingTheProblemAndChangeNothing() {
    String ns = TestEnv.unique("bad");
    connectionString(ns);
    String token = owner(ns);
    JsonArray six = new JsonArray();
    for (int i = 0; i < 6; i++) {
      six.add("o" + i + "@example.com");
    }
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject().put("contacts", six)), 400,
        "InputValidationError", "at most 5");
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject().put("contacts",
        new JsonArray().add("not-an-address"))), 400, "InputValidationError", "contacts");
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject().put("alertThreshold", 501)), 400,
        "InputValidationError", "500");
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject().put("alertThreshold", 300)
        .put("deleteThreshold", 200)), 400, "InputValidationError", "deleteThreshold");
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject().put("owner", "me")), 400,
        "InputValidationError", "owner");
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject()), 400, "InputValidationError",
        "at least one");
    assertError(service.request(HttpMethod.PATCH, "/namespace/" + ns, token).sendBuffer(Buffer.buffer("{nope"))
        .await(), 400, "MalformedPayload", "JSON");
    assertError(service.request(HttpMethod.PATCH, "/namespace/" + ns, token).sendBuffer(Buffer.buffer("[1]"))
        .await(), 400, "InputValidationError", "JSON object");
    assertError(call(HttpMethod.PATCH, "/namespace/" + ns + "x", owner(ns + "x"), new JsonObject()
        .put("alertThreshold", 1)), 404, "ResourceNotFound", ns + "x");
    assertError(call(HttpMethod.GET, "/namespace/" + ns + "/queues?limit=0", token, null), 400,
        "InvalidRequestArguments", "limit");
    assertError(call(HttpMethod.GET, "/namespace/" + ns + "/history?continuationToken=forged", token, null), 400,
        "InvalidRequestArguments", "continuationToken");
    assertError(call(HttpMethod.GET, "/namespace/" + ns + "/queues?limit=1&limit=2", token, null), 400,
        "InvalidRequestArguments", "twice");
    assertError(call(HttpMethod.GET, "/namespace/bad%20name/queues", token, null), 400, "InvalidNamespace", null);

    JsonObject details = ok(call(HttpMethod.GET, "/namespace/" + ns + "/details", token, null));
    assertEquals(new JsonObject(), details.getJsonObject("own"), "nothing was changed");
    assertEquals(100, details.getLong("alertThreshold"));
    assertEquals(List.of("claimed"), events(ns));

    JsonObject changed = ok(call(HttpMethod.PATCH, "/namespace/" + ns, token, new JsonObject()
        .put("contacts", new JsonArray().add("a@example.com").add("b@example.com"))));
    assertEquals(new JsonArray().add("a@example.com").add("b@example.com"), changed.getJsonArray("contacts"));
    assertEquals(List.of("updated", "claimed"), events(ns));
  }

  @Test
  void pagesOfQueuesAndHistoryWalkEveryItemOnce() throws Exception {
    String ns = TestEnv.unique("many");
    String credentials = connectionString(ns);
    List<String> made = new ArrayList<>();
    try (Connection connection = TestEnv.connect(credentials)) {
      Channel channel = connection.createChannel();
      for (int i = 0; i < 5; i++) {
        made.add("queue/" + ns + "/q" + i);
        channel.queueDeclare(made.get(i), false, false, false, null);
      }
    }
    for (int i = 0; i < 4; i++) {
      service.claim(ns, null);
    }
    TestEnv.eventually(30, "all five queues listed", () -> ok(call(HttpMethod.GET, "/namespace/" + ns
        + "/queues?limit=200", owner(ns), null)).getJsonArray("queues").size() == 5);

    List<String> seen = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      JsonObject page = ok(call(HttpMethod.GET, "/namespace/" + ns + "/queues?limit=2"
          + (token == null ? "" : "&continuationToken=" + token), owner(ns), null));
      page.getJsonArray("queues").forEach(q -> seen.add(((JsonObject) q).getString("name")));
      token = page.getString("continuationToken");
      pages++;
    } while (token != null && pages < 10);
    assertEquals(made, seen);
    assertEquals(3, pages);

    JsonObject first = ok(call(HttpMethod.GET, "/namespace/" + ns + "/history?limit=1", owner(ns), null));
    assertEquals("renewed", first.getJsonArray("events").getJsonObject(0).getString("event"));
    assertEquals(4, first.getJsonArray("events").getJsonObject(0).getInteger("count"), "four reclaims, one row");
    JsonObject second = ok(call(HttpMethod.GET, "/namespace/" + ns + "/history?limit=1&continuationToken="
        + first.getString("continuationToken"), owner(ns), null));
    assertEquals("claimed", second.getJsonArray("events").getJsonObject(0).getString("event"));
    assertNull(second.getString("continuationToken"));
    // A token of one listing is no token of another.
    assertError(call(HttpMethod.GET, "/namespace/" + ns + "/queues?continuationToken="
        + first.getString("continuationToken"), owner(ns), null), 400, "InvalidRequestArguments", "continuationToken");
  }

  @Test
  void anOwnerSeesItsUsersConnectionsWithWhatTheClientSaid() throws Exception {
    String ns = TestEnv.unique("conn");
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(connectionString(ns).replace("@localhost:", "@" + TestEnv.RABBIT_HOST + ":"));
    try (Connection connection = factory.newConnection("orders-worker")) {
      JsonObject[] found = new JsonObject[1];
      TestEnv.eventually(30, "the connection listed", () -> {
        JsonArray all = ok(call(HttpMethod.GET, "/namespace/" + ns + "/connections", owner(ns), null))
            .getJsonArray("connections");
        found[0] = all.isEmpty() ? null : all.getJsonObject(0);
        return found[0] != null;
      });
      assertEquals(service.username(ns, 1), found[0].getString("user"));
      assertEquals("orders-worker", found[0].getJsonObject("client").getString("connectionName"), found[0].encode());
      assertEquals("RabbitMQ", found[0].getJsonObject("client").getString("product"));
      assertNotNull(found[0].getString("peerHost"));
      assertNotNull(Instant.parse(found[0].getString("since")));
      assertFalse(found[0].encode().contains("password"));
    }
  }

  @Test
  void theCallerSeesTheNamespacesItsScopesCoverAndNoOthers() {
    String stem = TestEnv.unique("team");
    String exact = stem + "-api";
    String prefixed1 = stem + "x-1";
    String prefixed2 = stem + "x-2";
    String outside = TestEnv.unique("team");
    for (String ns : List.of(exact, prefixed1, prefixed2, outside)) {
      connectionString(ns);
    }
    JsonObject caller = ok(call(HttpMethod.GET, "/caller", service.tokenOf("team-lead", "pulse:namespace:" + exact,
        "pulse:namespace:" + stem + "x-*", "other:scope"), null));
    assertEquals("jwt:team-lead", caller.getString("caller"));
    assertFalse(caller.getBoolean("admin"));
    assertEquals(List.of(exact, prefixed1, prefixed2), caller.getJsonArray("namespaces").stream()
        .map(n -> ((JsonObject) n).getString("namespace")).collect(Collectors.toList()));
    assertNotNull(caller.getJsonArray("namespaces").getJsonObject(0).getString("reclaimAt"));
    assertFalse(caller.encode().contains("connectionString"));

    assertTrue(ok(call(HttpMethod.GET, "/caller", service.tokenOf("ops", "pulse:admin"), null)).getBoolean("admin"));
    // Without credentials, a caller is anonymous (Taskcluster's rule): no scopes, so no namespaces.
    JsonObject anonymous = ok(call(HttpMethod.GET, "/caller", null, null));
    assertEquals("anonymous", anonymous.getString("caller"));
    assertEquals(List.of(), anonymous.getJsonArray("namespaces").getList());
    assertError(call(HttpMethod.GET, "/caller", "not-a-token", null), 401, "AuthenticationFailed", null);
  }

  @Test
  void operatorsSeeTheBiggestQueuesTheHistoryAndExemptQueuesOwnersCannot() throws Exception {
    String ns = TestEnv.unique("big");
    fill(connectionString(ns), ns, "huge", "h", 9);
    String queue = "queue/" + ns + "/huge";
    String admin = service.tokenOf("ops", "pulse:admin");
    assertError(call(HttpMethod.GET, "/queues", owner(ns), null), 403, "InsufficientScopes", "pulse:admin");
    assertError(call(HttpMethod.GET, "/history", owner(ns), null), 403, "InsufficientScopes", "pulse:admin");
    assertError(call(HttpMethod.PUT, "/exemptions/" + path(queue), owner(ns), new JsonObject()), 403,
        "InsufficientScopes", "pulse:admin");

    TestEnv.eventually(30, "the queue among the biggest", () -> ok(call(HttpMethod.GET, "/queues?sort=messages&limit=5",
        admin, null)).getJsonArray("queues").stream().map(JsonObject.class::cast)
        .anyMatch(q -> queue.equals(q.getString("name")) && q.getLong("messages") == 9
            && ns.equals(q.getString("namespace"))));
    assertError(call(HttpMethod.GET, "/queues?sort=name", admin, null), 400, "InvalidRequestArguments", "messages");

    String expires = Instant.now().plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
    assertError(call(HttpMethod.PUT, "/exemptions/" + path(queue), admin, new JsonObject().put("reason", "batch")),
        400, "InputValidationError", "expires");
    assertError(call(HttpMethod.PUT, "/exemptions/" + path(queue), admin, new JsonObject().put("reason", "batch")
        .put("expires", "2020-01-01T00:00:00Z")), 400, "InputValidationError", "future");
    assertError(call(HttpMethod.PUT, "/exemptions/" + path("other-queue"), admin, new JsonObject()
        .put("reason", "batch").put("expires", expires)), 400, "InputValidationError", "queue/<namespace>/");
    JsonObject exemption = ok(call(HttpMethod.PUT, "/exemptions/" + path(queue), admin, new JsonObject()
        .put("reason", "nightly batch").put("expires", expires)));
    assertEquals("jwt:ops", exemption.getString("by"));
    JsonObject listed = listedWith(ns, queue, 9);
    assertEquals("exempt", listed.getString("state"));
    assertEquals("nightly batch", listed.getJsonObject("exemption").getString("reason"));
    assertTrue(ok(call(HttpMethod.GET, "/exemptions", admin, null)).getJsonArray("exemptions").stream()
        .anyMatch(e -> queue.equals(((JsonObject) e).getString("queue"))));
    assertEquals(204, call(HttpMethod.DELETE, "/exemptions/" + path(queue), admin, null).statusCode());
    assertError(call(HttpMethod.DELETE, "/exemptions/" + path(queue), admin, null), 404, "ResourceNotFound", queue);

    JsonArray exempted = ok(call(HttpMethod.GET, "/history?event=queue-exempted,queue-exemption-removed&limit=1000",
        admin, null)).getJsonArray("events");
    List<String> mine = exempted.stream().map(JsonObject.class::cast).filter(e -> ns.equals(e.getString("namespace")))
        .map(e -> e.getString("event")).collect(Collectors.toList());
    assertEquals(List.of("queue-exemption-removed", "queue-exempted"), mine);
    assertError(call(HttpMethod.GET, "/history?event=bogus", admin, null), 400, "InvalidRequestArguments", "bogus");
  }

  @Test
  void theEventBusAnswersAsRestDoesAndRecordsItsChanges() throws Exception {
    String ns = TestEnv.unique("bus");
    fill(connectionString(ns), ns, "q", "k", 2);
    NamespaceService namespaces = NamespaceService.createProxy(service.vertx, 30_000);
    JsonObject details = namespaces.updateNamespace(ns, new JsonObject().put("alertThreshold", 1)).await();
    assertEquals(1, details.getLong("alertThreshold"));
    assertEquals(ok(call(HttpMethod.GET, "/namespace/" + ns + "/details", owner(ns), null)), details);
    listedWith(ns, "queue/" + ns + "/q", 2);
    JsonObject overBus = namespaces.namespaceQueues(ns, null).await();
    assertEquals("warning", overBus.getJsonArray("queues").getJsonObject(0).getString("state"));
    assertEquals(2, namespaces.purgeQueue(ns, "queue/" + ns + "/q").await().getInteger("purged"));
    ServiceException refused = org.junit.jupiter.api.Assertions.assertThrows(ServiceException.class,
        () -> namespaces.deleteQueue(ns, "queue/" + ns.toUpperCase(Locale.ROOT) + "/q").await());
    assertEquals(404, refused.failureCode());
    JsonArray history = namespaces.namespaceHistory(ns, new JsonObject().put("limit", 10)).await()
        .getJsonArray("events");
    assertEquals("bus", history.getJsonObject(0).getString("by"));
    assertEquals("bus", history.getJsonObject(1).getString("by"));

    PulseAdminService admin = PulseAdminService.createProxy(service.vertx, 30_000);
    ServiceException badSort = org.junit.jupiter.api.Assertions.assertThrows(ServiceException.class,
        () -> admin.biggestQueues(new JsonObject().put("sort", "name")).await());
    assertEquals(400, badSort.failureCode());
  }
}
