package io.pulse.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A namespace's history and the monitor's exemptions on the real PostgreSQL: a database of its own. */
class HistoryTest {

  private static final String EXPIRES = "2040-01-01T00:00:00Z";
  private static StoreOnDatabase deployed;
  private static Vertx vertx;
  private static String database;
  private static NamespaceStore store;
  private static History history;
  private static QueueStates states;

  @BeforeAll
  static void deploy() {
    deployed = new StoreOnDatabase();
    vertx = deployed.vertx;
    database = deployed.database;
    store = NamespaceStore.createProxy(vertx, 10_000);
    history = History.createProxy(vertx, 10_000);
    states = QueueStates.createProxy(vertx, 10_000);
  }

  @AfterAll
  static void undeploy() {
    deployed.close();
  }

  private static List<JsonObject> events(String namespace, int limit) {
    return history.page(new JsonObject().put("namespace", namespace).put("limit", limit)).await()
        .getJsonArray("events").stream().map(JsonObject.class::cast).collect(Collectors.toList());
  }

  private static List<String> kinds(List<JsonObject> events) {
    return events.stream().map(e -> e.getString("event")).collect(Collectors.toList());
  }

  @Test
  void aClaimIsRecordedOnceAndItsRenewalsAreCountedIntoOneRowOfTheDay() {
    String name = TestEnv.unique("hist");
    store.claim(name, EXPIRES, null, "pw", 3600).await();
    store.markProvisioned(name, "alice").await();
    store.markProvisioned(name, "alice").await();
    for (int i = 0; i < 3; i++) {
      // With a password (the insert-or-update statement) and without one (the service's claims: the renewal's own).
      store.claim(name, EXPIRES, null, i == 0 ? "pw" : null, 3600).await();
    }

    List<JsonObject> events = events(name, 100);
    assertEquals(List.of("renewed", "claimed"), kinds(events), "newest first, one claimed however often marked");
    assertEquals("alice", events.get(1).getString("by"));
    assertEquals("2040-01-01T00:00:00.000Z", events.get(1).getString("expires"), "dates as the API writes them");
    assertTrue(events.get(0).getString("at").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
        events.get(0).getString("at"));
    assertEquals(List.of("id", "namespace", "event", "at", "count", "first"), List.copyOf(events.get(0).fieldNames()));
    assertEquals(3, events.get(0).getInteger("count"), "three renewals, one row");
    assertTrue(!Instant.parse(events.get(0).getString("first")).isAfter(Instant.parse(events.get(0).getString("at"))));
  }

  @Test
  void aClaimOfANamespaceNotYetMadeIsNoRenewal() {
    String name = TestEnv.unique("fresh");
    store.claim(name, EXPIRES, null, "pw", 3600).await();
    store.claim(name, EXPIRES, null, "pw", 3600).await();
    assertEquals(List.of(), events(name, 100), "the first claim is recorded when made, and only then");
  }

  @Test
  void settingsRevocationAndRemovalAreEventsWithTheirDetails() {
    String name = TestEnv.unique("life");
    store.claim(name, EXPIRES, null, "pw", 3600).await();
    store.markProvisioned(name, "alice").await();
    store.updateSettings(name, new JsonObject().put("alertThreshold", 10L), "bob").await();
    store.markExpiring(name, "carol").await();
    store.lease(name, 60, "token").await();
    store.deleteExpired(name, "token", new JsonObject().put("queues", 2)).await();

    List<JsonObject> events = events(name, 100);
    assertEquals(List.of("removed", "revoked", "updated", "claimed"), kinds(events));
    assertEquals(2, events.get(0).getInteger("queues"));
    assertEquals("carol", events.get(1).getString("by"));
    assertEquals("bob", events.get(2).getString("by"));
    assertEquals(10, events.get(2).getInteger("alertThreshold"));
  }

  @Test
  void pagesWalkBackwardsWithoutGapsAndFilterByEvent() {
    String name = TestEnv.unique("pages");
    for (int i = 0; i < 5; i++) {
      history.record(name, i % 2 == 0 ? "queue-warned" : "queue-normal", new JsonObject().put("i", i)).await();
    }
    JsonObject first = history.page(new JsonObject().put("namespace", name).put("limit", 2)).await();
    assertTrue(first.getBoolean("more"));
    long last = first.getJsonArray("events").getJsonObject(1).getLong("id");
    JsonObject second = history.page(new JsonObject().put("namespace", name).put("limit", 10).put("before", last))
        .await();
    assertFalse(second.getBoolean("more"));
    List<Integer> order = new java.util.ArrayList<>();
    first.getJsonArray("events").forEach(e -> order.add(((JsonObject) e).getInteger("i")));
    second.getJsonArray("events").forEach(e -> order.add(((JsonObject) e).getInteger("i")));
    assertEquals(List.of(4, 3, 2, 1, 0), order);

    JsonObject warned = history.page(new JsonObject().put("events", new JsonArray().add("queue-normal"))
        .put("limit", 1000)).await();
    List<JsonObject> mine = warned.getJsonArray("events").stream().map(JsonObject.class::cast)
        .filter(e -> name.equals(e.getString("namespace"))).collect(Collectors.toList());
    assertEquals(List.of(3, 1), mine.stream().map(e -> e.getInteger("i")).collect(Collectors.toList()));
  }

  @Test
  void pruningDeletesWhatIsOlderThanTheRetentionAndKeepsTheRest() {
    String name = TestEnv.unique("prune");
    history.record(name, "queue-warned", new JsonObject().put("age", "old")).await();
    history.record(name, "queue-warned", new JsonObject().put("age", "new")).await();
    TestEnv.sql(vertx, database, "UPDATE history SET first_at = now() - interval '91 days', "
        + "at = now() - interval '91 days' WHERE namespace = $1 AND detail->>'age' = 'old'", name);

    int pruned = history.prune(90L * 24 * 3600, 1000).await();

    assertTrue(pruned >= 1, "pruned " + pruned);
    List<JsonObject> left = events(name, 100);
    assertEquals(List.of("new"), left.stream().map(e -> e.getString("age")).collect(Collectors.toList()));
  }

  @Test
  void anExemptionIsReplacedEndedAndPrunedWhenExpiredAndEachChangeIsInTheHistory() {
    String ns = TestEnv.unique("exempt");
    String queue = "queue/" + ns + "/batch";
    String expires = Instant.now().plus(1, ChronoUnit.DAYS).toString();
    states.putExemption(new JsonObject().put("queue", queue).put("namespace", ns).put("reason", "nightly")
        .put("expires", expires).put("by", "ops")).await();
    JsonObject replaced = states.putExemption(new JsonObject().put("queue", queue).put("namespace", ns)
        .put("reason", "weekly").put("expires", expires).put("by", "ops")).await();
    assertEquals("weekly", replaced.getString("reason"));
    assertEquals(1, states.exemptions().await().stream().filter(e -> queue.equals(e.getString("queue"))).count());

    assertTrue(states.removeExemption(queue, "ops").await());
    assertFalse(states.removeExemption(queue, "ops").await(), "there is none left to end");

    String old = "queue/" + ns + "/old";
    states.putExemption(new JsonObject().put("queue", old).put("namespace", ns).put("reason", "gone")
        .put("expires", expires).put("by", "ops")).await();
    TestEnv.sql(vertx, database, "UPDATE queue_exemptions SET expires = now() - interval '1 minute' WHERE queue = $1",
        old);
    assertTrue(states.exemptions().await().stream().noneMatch(e -> old.equals(e.getString("queue"))),
        "an expired exemption is no longer in force");
    assertTrue(states.pruneExemptions().await() >= 1);
    assertTrue(TestEnv.sql(vertx, database, "SELECT 1 FROM queue_exemptions WHERE queue = $1", old).isEmpty());

    assertEquals(List.of("queue-exempted", "queue-exemption-removed", "queue-exempted", "queue-exempted"),
        kinds(events(ns, 100)));
  }
}
