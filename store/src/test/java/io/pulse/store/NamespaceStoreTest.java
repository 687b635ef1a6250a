package io.pulse.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The store verticle on the real PostgreSQL: a database of its own, each test its own names. */
class NamespaceStoreTest {

  private static final String EXPIRES = "2040-01-01T00:00:00Z";
  private static StoreOnDatabase deployed;
  private static Vertx vertx;
  private static String database;
  private static NamespaceStore store;
  private static QueueStates states;

  @BeforeAll
  static void deploy() {
    deployed = new StoreOnDatabase();
    vertx = deployed.vertx;
    database = deployed.database;
    store = NamespaceStore.createProxy(vertx, 10_000);
    states = QueueStates.createProxy(vertx, 10_000);
  }

  @AfterAll
  static void undeploy() {
    deployed.close();
  }


  private static NamespaceRecord provisioned(String name, long rotationSeconds) {
    store.claim(name, EXPIRES, null, "pw-" + name, rotationSeconds).await();
    return store.markProvisioned(name, "test").await();
  }

  @Test
  void concurrentFirstClaimsEndWithOneRecordAndTheSamePassword() {
    String name = TestEnv.unique("race");
    List<Future<NamespaceRecord>> claims = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      claims.add(store.claim(name, EXPIRES, null, "password-" + i, 3600));
    }
    Future.all(claims).await();
    Set<String> passwords = claims.stream().map(c -> c.result().password(1)).collect(Collectors.toSet());
    assertEquals(1, passwords.size(), "every claim reads back the winner's password: " + passwords);
  }

  @Test
  void claimsArrivingTogetherEachGetTheirOwnRecordAndAnswer() {
    String stem = TestEnv.unique("many");
    provisioned(stem + "-renewed", 3600);
    store.claim(stem + "-renewed", EXPIRES, "old@example.com", "x", 3600).await();
    store.claim(stem + "-twin", EXPIRES, null, "pw", 3600).await();
    List<Future<NamespaceRecord>> claims = new ArrayList<>();
    claims.add(store.claim(stem + "-renewed", "2041-01-01T00:00:00Z", null, "other", 3600));
    for (int i = 0; i < 40; i++) {
      claims.add(store.claim(stem + "-" + i, EXPIRES, i % 2 == 0 ? null : "c" + i + "@example.com", "pw-" + i,
          3600));
    }
    claims.add(store.claim((stem + "-TWIN").toUpperCase(), EXPIRES, null, "pw", 3600));
    claims.add(store.claim(stem + "-0", EXPIRES, null, "pw-again", 3600));
    Future.join(claims).otherwiseEmpty().await();

    NamespaceRecord renewed = claims.get(0).result();
    assertEquals(Instant.parse("2041-01-01T00:00:00Z"), renewed.expires());
    assertEquals("old@example.com", renewed.contact());
    assertEquals("pw-" + stem + "-renewed", renewed.password(1), "a renewal never changes the password");
    for (int i = 0; i < 40; i++) {
      NamespaceRecord record = claims.get(1 + i).result();
      assertEquals(stem + "-" + i, record.name());
      if (i > 0) {
        assertEquals("pw-" + i, record.password(1));
      }
      assertEquals(i % 2 == 0 ? null : "c" + i + "@example.com", record.contact());
    }
    ServiceException twin = (ServiceException) claims.get(41).cause();
    assertEquals(409, twin.failureCode(), "a case twin among others is refused alone");
    // Two claims of one name never share a statement; the first batch failed (the twin) and ran claim by claim, so
    // when that takes longer than a statement may stall, the second claim's statement can run first. Either way both
    // read one stored record.
    String stored = claims.get(1).result().password(1);
    assertTrue(stored.equals("pw-0") || stored.equals("pw-again"), stored);
    assertEquals(stored, claims.get(42).result().password(1), "a second claim of one name reads the same record");
  }

  /**
   * What the service sends: claims without a password. Live namespaces are renewed (one UPDATE for those arriving
   * together, their passwords untouched); new ones get a password the store makes; a half-done one keeps the password
   * it has; one being removed waits until the removal is done and is then made anew.
   */
  @Test
  void claimsWithoutAPasswordRenewLiveNamespacesAndMakeOneOnlyForNewOnes() {
    String stem = TestEnv.unique("nopw");
    List<String> live = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      provisioned(stem + "-live-" + i, 3600);
      live.add(stem + "-live-" + i);
    }
    store.claim(stem + "-half", EXPIRES, null, "pw-half", 3600).await();
    String removed = stem + "-removed";
    provisioned(removed, 3600);
    store.markExpiring(removed, "test").await();
    store.lease(removed, 60, "remover").await();

    List<Future<NamespaceRecord>> renewals = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      renewals.add(store.claim(live.get(i), "2041-01-01T00:00:00Z", i % 2 == 0 ? null : "new@example.com", null,
          3600));
    }
    List<Future<NamespaceRecord>> fresh = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      fresh.add(store.claim(stem + "-new-" + i, EXPIRES, null, null, 3600));
    }
    Future<NamespaceRecord> half = store.claim(stem + "-half", EXPIRES, null, null, 3600);
    Future<NamespaceRecord> again = store.claim(removed, EXPIRES, null, null, 3600);
    vertx.setTimer(300, t -> store.deleteExpired(removed, "remover", null));
    Future.all(List.of(Future.all(renewals), Future.all(fresh), half, again)).await();

    for (int i = 0; i < 10; i++) {
      NamespaceRecord record = renewals.get(i).result();
      assertEquals(live.get(i), record.name());
      assertEquals("pw-" + live.get(i), record.password(1), "a renewal never changes the password");
      assertEquals(Instant.parse("2041-01-01T00:00:00Z"), record.expires());
      assertEquals(i % 2 == 0 ? null : "new@example.com", record.contact());
      assertTrue(record.provisioned());
    }
    Set<String> made = new java.util.HashSet<>();
    for (int i = 0; i < 10; i++) {
      NamespaceRecord record = fresh.get(i).result();
      assertEquals(stem + "-new-" + i, record.name());
      assertFalse(record.provisioned());
      assertTrue(record.password(1).matches("[A-Za-z0-9_-]{43,}"), "a password the store made");
      made.add(record.password(1));
      assertEquals(record.password(1), store.claim(stem + "-new-" + i, EXPIRES, null, null, 3600).await().password(1),
          "a second claim of a new namespace reads the first's password");
    }
    assertEquals(10, made.size(), "each new namespace its own password");
    assertEquals("pw-half", half.result().password(1), "a half-done namespace keeps its password");
    assertFalse(again.result().provisioned(), "made anew after its removal");
    assertFalse(again.result().password(1).equals("pw-" + removed), "with a new password");
  }

  /**
   * Claims go one statement at a time so that they batch, but a statement that stalls (here: its row locked by another
   * transaction, as another replica's might be) does not hold up the claims behind it: after a few milliseconds they
   * go in a statement of their own. Once the lock goes, the stalled claim ends too.
   */
  @Test
  void aStalledClaimStatementDoesNotHoldUpTheOthers() throws Exception {
    String stem = TestEnv.unique("stall");
    provisioned(stem + "-locked", 3600);
    provisioned(stem + "-free", 3600);
    io.vertx.sqlclient.Pool admin = TestEnv.adminPool(vertx, database);
    io.vertx.sqlclient.SqlConnection holder = admin.getConnection().await();
    try {
      holder.query("BEGIN").execute().await();
      holder.query("SELECT 1 FROM namespaces WHERE name = '" + stem + "-locked' FOR UPDATE").execute().await();
      Future<NamespaceRecord> stalled = store.claim(stem + "-locked", "2041-01-01T00:00:00Z", null, null, 3600);
      NamespaceRecord free = store.claim(stem + "-free", "2041-01-01T00:00:00Z", null, null, 3600)
          .await(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(Instant.parse("2041-01-01T00:00:00Z"), free.expires(), "renewed while the other claim waits");
      assertFalse(stalled.isComplete(), "the locked namespace's claim is still waiting for the lock");
      holder.query("COMMIT").execute().await();
      assertEquals(Instant.parse("2041-01-01T00:00:00Z"), stalled.await().expires());
    } finally {
      holder.close().await();
      admin.close().await();
    }
  }

  @Test
  void standbysToMakeAreLeasedAndTheirPasswordsRecordedOnce() {
    String name = TestEnv.unique("standby");
    provisioned(name, 3600);
    String token = "token-" + name;
    List<NamespaceRecord> leased = store.leaseStandbys(100_000, 10, token).await();
    assertTrue(leased.stream().anyMatch(r -> r.name().equals(name)));
    assertFalse(store.leaseStandbys(100_000, 10, "other").await().stream().anyMatch(r -> r.name().equals(name)),
        "a leased row is skipped");

    assertEquals(List.of(), store.recordStandbys(List.of(name), List.of("sb"), "not-the-token").await());
    assertEquals(List.of(name), store.recordStandbys(List.of(name), List.of("sb"), token).await());

    NamespaceRecord record = store.find(name).await();
    assertEquals("sb", record.password(2));
    assertEquals(1, record.activeUser());
    assertTrue(record.hasUser(2));
    assertFalse(store.leaseStandbys(100_000, 10, "later").await().stream().anyMatch(r -> r.name().equals(name)),
        "made once");

    String revoked = TestEnv.unique("standby-revoked");
    provisioned(revoked, 3600);
    assertTrue(store.leaseStandbys(100_000, 10, "holder-" + revoked).await().stream()
        .anyMatch(r -> r.name().equals(revoked)));
    store.markExpiring(revoked, "test").await();
    assertEquals(List.of(), store.recordStandbys(List.of(revoked), List.of("sb"), "holder-" + revoked).await());
    assertNotNull(store.lease(revoked, 10, "removal").await(), "a row being removed is given back at once");
  }

  @Test
  void aClaimRenewsExpiresAndKeepsTheContactWhenItGivesNone() {
    String name = TestEnv.unique("renew");
    store.claim(name, EXPIRES, "a@example.com", "pw", 3600).await();
    NamespaceRecord renewed = store.claim(name, "2041-01-01T00:00:00Z", null, "other", 3600).await();
    assertEquals(Instant.parse("2041-01-01T00:00:00Z"), renewed.expires());
    assertEquals("a@example.com", renewed.contact());
    assertEquals("pw", renewed.password(1), "a renewal never changes the password");
  }

  @Test
  void aRecordIsInvisibleToReadersUntilProvisioned() {
    String name = TestEnv.unique("invisible");
    store.claim(name, EXPIRES, null, "pw", 3600).await();
    assertNull(store.find(name).await());
    assertTrue(store.list(1000, name.substring(0, name.length() - 1)).await().stream()
        .noneMatch(r -> r.name().equals(name)));
    store.markProvisioned(name, "test").await();
    assertNotNull(store.find(name).await());
  }

  @Test
  void aLeasedRowIsSkippedByOtherHoldersUntilReleased() {
    String name = TestEnv.unique("lease");
    provisioned(name, 0);
    List<String> mine = names(store.leaseRotations(1000, 60, "holder-a").await());
    assertTrue(mine.contains(name));
    assertFalse(names(store.leaseRotations(1000, 60, "holder-b").await()).contains(name));
    assertNull(store.lease(name, 60, "holder-b").await());
    store.release(name, "holder-a").await();
    assertNotNull(store.lease(name, 60, "holder-b").await());
  }

  @Test
  void aRotationIsRecordedOnlyUnderItsLease() {
    String name = TestEnv.unique("rotate");
    provisioned(name, 0);
    store.lease(name, 60, "holder").await();
    assertNull(store.completeRotation(name, "intruder", 2, "new", 3600).await());
    NamespaceRecord rotated = store.completeRotation(name, "holder", 2, "new", 3600).await();
    assertEquals(2, rotated.activeUser());
    assertEquals("new", rotated.password(2));
    assertEquals("pw-" + name, rotated.password(1));
    assertEquals(1, rotated.rotations());
    assertNotNull(store.lease(name, 60, "anyone").await(), "completing a rotation gives the lease back");
  }

  @Test
  void rotationsRecordedTogetherAreRecordedOnlyUnderTheirLease() {
    String a = TestEnv.unique("rotate-a");
    String b = TestEnv.unique("rotate-b");
    String c = TestEnv.unique("rotate-c");
    for (String name : List.of(a, b, c)) {
      provisioned(name, 0);
    }
    store.lease(a, 60, "holder").await();
    store.lease(b, 60, "holder").await();
    store.lease(c, 60, "other").await();
    store.completeRotation(b, "holder", 2, "first", 0).await();
    store.lease(b, 60, "holder").await();

    List<NamespaceRecord> done = store.completeRotations(List.of(a, b, c), "holder", List.of(2, 1, 2),
        List.of("new-a", "new-b", "new-c"), 3600).await();

    assertEquals(Set.of(a, b), Set.copyOf(names(done)), "c is leased by another holder");
    NamespaceRecord ra = store.find(a).await();
    assertEquals(2, ra.activeUser());
    assertEquals("new-a", ra.password(2));
    assertEquals("pw-" + a, ra.password(1));
    NamespaceRecord rb = store.find(b).await();
    assertEquals(1, rb.activeUser());
    assertEquals("new-b", rb.password(1));
    assertEquals("first", rb.password(2));
    assertEquals(2, rb.rotations());
    assertEquals(0, store.find(c).await().rotations());
    assertNotNull(store.lease(a, 60, "anyone").await(), "recording gives the lease back");
  }

  @Test
  void sweepsLeaseRecordsWithoutOpeningTheirPasswordsAndClaimsOpenOnlyTheActiveOne() {
    String name = TestEnv.unique("withheld");
    provisioned(name, 0);
    store.lease(name, 60, "holder").await();
    store.completeRotation(name, "holder", 2, "second", 0).await();

    NamespaceRecord leased = store.leaseRotations(1000, 60, "sweeper").await().stream()
        .filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    assertTrue(leased.hasUser(1) && leased.hasUser(2), "which users exist is still known");
    assertThrows(IllegalStateException.class, () -> leased.password(1));
    assertFalse(leased.toJson().encode().contains("pw-" + name), "no password crosses the event bus");
    List<NamespaceRecord> done = store.completeRotations(List.of(name), "sweeper", List.of(1), List.of("third"), 3600)
        .await();
    assertEquals(1, done.size());
    assertThrows(IllegalStateException.class, () -> done.get(0).password(1));

    NamespaceRecord claimed = store.claim(name, EXPIRES, null, "unused", 3600).await();
    assertEquals("third", claimed.password(1), "the active user's password is what a claim hands out");
    assertThrows(IllegalStateException.class, () -> claimed.password(2), "the standby's stays sealed");
    assertEquals("second", store.find(name).await().password(2), "reads for the service's own repairs open both");
  }

  @Test
  void aRecordIsDeletedOnlyWhenMarkedAndLeased() {
    String name = TestEnv.unique("remove");
    provisioned(name, 3600);
    store.lease(name, 60, "holder").await();
    assertFalse(store.deleteExpired(name, "holder", null).await(), "not marked for removal");
    store.markExpiring(name, "test").await();
    assertFalse(store.deleteExpired(name, "intruder", null).await());
    assertTrue(store.deleteExpired(name, "holder", null).await());
    assertNull(store.markExpiring(name, "test").await());
  }

  @Test
  void queueStatesChangeOnlyAtTheVersionRead() {
    String queue = "queue/" + TestEnv.unique("qs") + "/q";
    JsonObject state = new JsonObject().put("queue", queue).put("namespace", "ns").put("state", "warning")
        .put("messages", 7L);
    assertTrue(states.insert(state).await());
    assertFalse(states.insert(state).await(), "another replica recorded it first");
    int version = states.all().await().stream().filter(s -> queue.equals(s.getString("queue"))).findFirst()
        .orElseThrow().getInteger("version");
    assertTrue(states.update(state.copy().put("messages", 9L), version).await());
    assertFalse(states.update(state, version).await(), "changed since it was read");
    assertFalse(states.remove(queue, version).await());
    assertTrue(states.remove(queue, version + 1).await());
  }

  @Test
  void anUnreachableDatabaseAnswers503() {
    Vertx other = Vertx.vertx();
    try {
      String url = "postgresql://postgres@127.0.0.1:" + TestEnv.closedPort() + "/nothing";
      other.deployVerticle(new StoreVerticle(StoreOnDatabase.config(url), new SimpleMeterRegistry())).await();
      ServiceException e = assertThrows(ServiceException.class,
          () -> NamespaceStore.createProxy(other, 10_000).find("x").await());
      assertEquals(503, e.failureCode());
      assertTrue(e.getMessage().contains("PostgreSQL"), e.getMessage());
    } finally {
      other.close().await();
    }
  }

  @Test
  void replicasStartingTogetherApplyEachMigrationOnce() {
    Vertx other = Vertx.vertx();
    String fresh = TestEnv.createDatabase(other);
    try {
      PulseConfig config = StoreOnDatabase.config(TestEnv.dbUrl(fresh));
      Future.all(other.deployVerticle(new StoreVerticle(config, new SimpleMeterRegistry())),
          other.deployVerticle(new StoreVerticle(config, new SimpleMeterRegistry()))).await();
      NamespaceStore replica = NamespaceStore.createProxy(other, 10_000);
      TestEnv.eventually(30, "the schema is in place", () -> replica.ping().transform(ar ->
          Future.succeededFuture(ar.succeeded())).await());
      assertEquals(Migrations.FILES.size(), TestEnv.sql(other, fresh,
          "SELECT version FROM pulse_schema_migrations").size());
    } finally {
      other.close().await();
      Vertx cleanup = Vertx.vertx();
      TestEnv.dropDatabase(cleanup, fresh);
      cleanup.close().await();
    }
  }

  @Test
  void databaseStatesThatMeanNotNowAre503AndOnlyGenuineErrorsAre500() {
    for (String notNow : List.of("08006", "08001", "57P01", "57P03", "53300", "40001", "40P01")) {
      assertTrue(NamespaceStoreImpl.unavailable(notNow), notNow);
    }
    for (String bug : List.of("23505", "42P01", "22021", "42601")) {
      assertFalse(NamespaceStoreImpl.unavailable(bug), bug);
    }
  }

  private static List<String> names(List<NamespaceRecord> records) {
    return records.stream().map(NamespaceRecord::name).toList();
  }
}
