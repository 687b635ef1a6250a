package io.pulse.core;

import static io.pulse.core.CoreFixture.VHOST;
import static io.pulse.core.CoreFixture.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.core.fakes.FakeRabbit;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.testkit.TestEnv;
import io.vertx.serviceproxy.ServiceException;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RemovalTest {

  private final CoreFixture f = new CoreFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private void namespaceWithResources(String ns) {
    f.core.claimNamespace(ns, null).await();
    f.rabbit.declareQueue(VHOST, "queue/" + ns + "/inbox", 3);
    f.rabbit.declareExchange(VHOST, "exchange/" + ns + "/events");
    f.rabbit.connect(VHOST, "conn-" + ns, f.user(ns, 1), 0);
  }

  @Test
  void revocationClosesConnectionsThenRemovesUsersQueuesExchangesAndTheRecord() {
    namespaceWithResources("team");
    namespaceWithResources("other");

    f.core.revokeNamespace("team").await();

    assertEquals("Pulse namespace team was revoked", f.rabbit.closed.get("conn-team"));
    assertNull(f.store.record("team"));
    assertFalse(f.rabbit.users.containsKey(f.user("team", 1)));
    assertFalse(f.rabbit.queues.containsKey(VHOST + " queue/team/inbox"));
    assertFalse(f.rabbit.exchanges.contains(VHOST + " exchange/team/events"));
    assertTrue(f.rabbit.queues.containsKey(VHOST + " queue/other/inbox"), "another namespace keeps its queue");
    assertTrue(f.rabbit.users.containsKey(f.user("other", 1)));
    assertNotNull(f.store.record("other"));
  }

  @Test
  void revokingANamespaceNeverTouchesItsCaseTwinsResources() {
    namespaceWithResources("UP");
    // The broker lists these for ^queue/UP/ too: its name filters ignore case.
    f.rabbit.declareQueue(VHOST, "queue/up/keep", 5);
    f.rabbit.declareExchange(VHOST, "exchange/up/keep");

    f.core.revokeNamespace("UP").await();

    assertTrue(f.rabbit.queues.containsKey(VHOST + " queue/up/keep"));
    assertTrue(f.rabbit.exchanges.contains(VHOST + " exchange/up/keep"));
    assertFalse(f.rabbit.queues.containsKey(VHOST + " queue/UP/inbox"));
  }

  @Test
  void removalLeavesAUserTheServiceDidNotMakeAndItsConnectionsAlone() {
    namespaceWithResources("team");
    FakeRabbit.User foreign = new FakeRabbit.User(f.user("team", 2), "theirs", List.of());
    f.rabbit.users.put(foreign.name(), foreign);
    f.rabbit.connect(VHOST, "theirs", foreign.name(), 0);

    f.core.revokeNamespace("team").await();

    assertEquals(foreign, f.rabbit.users.get(foreign.name()));
    assertFalse(f.rabbit.closed.containsKey("theirs"));
    assertFalse(f.rabbit.users.containsKey(f.user("team", 1)), "the service's own user goes");
    assertNull(f.store.record("team"));
  }

  @Test
  void usersOfARecordFromBeforeTheMarkAreStillRemoved() {
    java.time.Instant now = java.time.Instant.now();
    f.store.put(new NamespaceRecord("old", now, now.plusSeconds(60), null, 1, "pw", null, now.plusSeconds(60), true,
        false, 0, false));
    f.rabbit.users.put(f.user("old", 1), new FakeRabbit.User(f.user("old", 1), "pw", List.of()));

    f.core.revokeNamespace("old").await();

    assertFalse(f.rabbit.users.containsKey(f.user("old", 1)));
  }

  @Test
  void aRevocationAnswersRemovedWhenAnotherHolderFinishesTheRemovalWithinTheWait() {
    namespaceWithResources("team");
    f.store.lease("team", 60, "a-sweep-of-another-replica").await();
    f.vertx.setTimer(300, id -> f.store.rows.remove("team"));

    assertEquals(NamespaceCore.Revocation.REMOVED, f.removalWaiting(5_000).revoke("team", "test").await());
  }

  @Test
  void aRevocationAnswersPendingWhenTheRemovalTakesLongerThanTheWait() {
    namespaceWithResources("team");
    f.store.lease("team", 60, "a-sweep-of-another-replica").await();

    assertEquals(NamespaceCore.Revocation.PENDING, f.removalWaiting(500).revoke("team", "test").await());
    assertTrue(f.store.record("team").expiring(), "marked: no claim renews it, and the holder finishes");
  }

  @Test
  void aRemovalWhoseLeaseRanOutStopsBeforeItsNextStep() {
    namespaceWithResources("team");
    f.store.failWhen(call -> call.equals("renewLeases"));
    Leases shortLived = new Leases(f.vertx, f.store, 1, 100, 900);
    String token = shortLived.open();
    assertTrue(shortLived.valid(token));
    TestEnv.eventually(10, "the unrenewed lease is no longer trusted", () -> !shortLived.valid(token));
    ServiceException lost = assertThrows(ServiceException.class, () -> CoreFixture.coded(shortLived.guard(token,
        () -> f.rabbit.deleteUser(f.user("team", 1)))));
    assertTrue(lost.getMessage().contains("lease"), lost.getMessage());
    assertTrue(f.rabbit.users.containsKey(f.user("team", 1)), "the step did not run");
  }

  @Test
  void revokingAnUnknownNamespaceIsNotFound() {
    failure(f.core.revokeNamespace("nobody"), "ResourceNotFound");
  }

  @Test
  void aBrokerFailureHalfWayKeepsTheMarkedRecordAndALaterSweepFinishes() {
    namespaceWithResources("team");
    f.rabbit.failWhen(call -> call.startsWith("deleteQueue"));
    assertEquals(NamespaceCore.Revocation.PENDING, f.core.revoke("team", "test").await(), "accepted, to be finished later");
    assertTrue(f.store.record("team").expiring(), "still marked for removal");
    assertFalse(f.rabbit.users.containsKey(f.user("team", 1)), "the users went before the failure");
    assertNull(f.store.rows.get("team").leaseToken, "the lease is given back");
    failure(f.core.claimNamespace("team", null), "ServiceUnavailable");

    f.rabbit.failWhen(call -> false);
    assertEquals(1, f.removal().expireDue().await());
    assertNull(f.store.record("team"));
    assertFalse(f.rabbit.queues.containsKey(VHOST + " queue/team/inbox"));
  }

  @Test
  void expiryRemovesOnlyNamespacesPastExpiresAndTheDelay() {
    namespaceWithResources("old");
    namespaceWithResources("young");
    f.store.now = f.store.record("old").expires().plus(Duration.ofSeconds(1));
    f.store.put(new NamespaceRecord("young", f.store.now, f.store.now.plus(Duration.ofDays(1)),
        null, 1, f.store.record("young").password(1), null, f.store.now.plus(Duration.ofHours(1)), true, false, 0));

    assertEquals(1, f.removal().expireDue().await());
    assertEquals("Pulse namespace old expired", f.rabbit.closed.get("conn-old"));
    assertNull(f.store.record("old"));
    assertNotNull(f.store.record("young"));
  }

  @Test
  void aDryRunRemovesNothingAndLeavesTheRecordRenewable() {
    CoreFixture dry = new CoreFixture("PULSE_DRY_RUN", "true");
    try {
      dry.core.claimNamespace("old", null).await();
      dry.rabbit.declareQueue(VHOST, "queue/old/q", 1);
      dry.store.now = dry.store.record("old").expires().plus(Duration.ofSeconds(1));
      dry.rabbit.calls.clear();

      dry.removal().expireDue().await();
      assertEquals(List.of(), dry.rabbit.calls.stream().filter(c -> c.startsWith("delete")).toList());
      assertTrue(dry.rabbit.queues.containsKey(VHOST + " queue/old/q"));
      assertFalse(dry.store.record("old").expiring(), "not even marked, so claims still renew it");
    } finally {
      dry.close();
    }
  }
}
