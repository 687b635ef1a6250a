package io.pulse.core;

import static io.pulse.core.CoreFixture.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.core.fakes.FakeRabbit;
import io.pulse.store.api.NamespaceRecord;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClaimsTest {

  private final CoreFixture f = new CoreFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aFirstClaimMakesTheActiveUserAndItsPermissionsThenShowsTheNamespace() {
    JsonObject answer = f.core.claimNamespace("team", new JsonObject().put("contact", "a@example.com")).await();

    assertEquals(List.of("createUser u-team-1", "getUser u-team-2", "putPermissions u-team-1"),
        f.rabbit.calls.stream().filter(c -> !c.startsWith("getUser u-team-1")).toList(),
        "a new namespace: the active user created if absent, the standby's name read, the permissions set");
    assertEquals(List.of(), f.rabbit.calls("getUser u-team-1"));
    assertTrue(f.rabbit.users.get("u-team-1").tags().contains("pulse-managed"), "the service marks what it makes");
    NamespaceRecord record = f.store.record("team");
    assertTrue(record.provisioned());
    assertEquals("a@example.com", record.contact());
    assertEquals(f.config.naming().permissions("team"), f.rabbit.permissions.get("/ u-team-1"));
    URI credentials = URI.create(answer.getString("connectionString"));
    assertEquals("u-team-1:" + record.password(1), credentials.getUserInfo());
    assertEquals(record.password(1), f.rabbit.users.get("u-team-1").password());
    assertEquals(record.nextRotation().plus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.MILLIS),
        Instant.parse(answer.getString("reclaimAt")), "reclaimAt is the next rotation plus half an interval");
    assertEquals("team", f.core.namespace("team").await().getString("namespace"));
  }

  @Test
  void aReclaimRenewsTheRecordWithoutTouchingTheBroker() {
    String first = f.core.claimNamespace("team", null).await().getString("connectionString");
    f.rabbit.calls.clear();
    Instant later = Instant.now().plus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS);
    JsonObject again = f.core.claimNamespace("team", new JsonObject()
        .put("expires", later.toString()).put("contact", "b@example.com")).await();

    assertEquals(List.of(), f.rabbit.calls, "a reclaim is one database statement");
    assertEquals(first, again.getString("connectionString"));
    assertEquals(later, Instant.parse(again.getString("expires")));
    assertEquals("b@example.com", f.store.record("team").contact());
  }

  @Test
  void aBrokerFailureHalfWayLeavesAnInvisibleRecordThatTheNextClaimFinishes() {
    f.rabbit.failWhen(call -> call.startsWith("putPermissions"));
    failure(f.core.claimNamespace("team", null), "ServiceUnavailable");
    assertFalse(f.store.record("team").provisioned());
    failure(f.core.namespace("team"), "ResourceNotFound");
    String password = f.store.record("team").password(1);

    f.rabbit.failWhen(call -> false);
    JsonObject answer = f.core.claimNamespace("team", null).await();
    assertTrue(f.store.record("team").provisioned());
    assertTrue(answer.getString("connectionString").contains(password), "the password chosen first is kept");
  }

  @Test
  void aUserNameTakenByAUserTheServiceDidNotMakeIsAConflictAndChangesNothing() {
    for (int n = 1; n <= 2; n++) {
      String ns = "victim" + n;
      FakeRabbit.User foreign = new FakeRabbit.User("u-" + ns + "-" + n, "their-password", List.of("administrator"));
      f.rabbit.users.put(foreign.name(), foreign);

      ServiceException e = failure(f.core.claimNamespace(ns, null), "RequestConflict");

      assertEquals(409, e.failureCode());
      assertTrue(e.getMessage().contains("u-" + ns + "-" + n) && e.getMessage().contains("not made by this service"),
          e.getMessage());
      assertEquals(foreign, f.rabbit.users.get(foreign.name()), "the foreign user is untouched");
      assertEquals(List.of(), f.rabbit.calls("put"));
      assertNull(f.store.record(ns), "no record is left behind");
      assertEquals(List.of(foreign.name()), f.rabbit.users.keySet().stream().filter(u -> u.startsWith("u-" + ns))
          .toList(), "nor a user: one made for the claim is deleted again");
    }
  }

  @Test
  void aHalfDoneClaimFromBeforeTheMarkIsFinishedAndItsUserAdopted() {
    Instant now = Instant.now();
    f.store.put(new NamespaceRecord("old", now, now.plusSeconds(3600), null, 1, "pw", null, now.plusSeconds(3600),
        false, false, 0, false));
    f.rabbit.users.put("u-old-1", new FakeRabbit.User("u-old-1", "pw", List.of()));

    f.core.claimNamespace("old", null).await();

    assertTrue(f.store.record("old").provisioned());
    assertTrue(f.rabbit.users.get("u-old-1").tags().contains("pulse-managed"));
  }

  @Test
  void namespacesDifferingOnlyInCaseAreAConflict() {
    f.core.claimNamespace("team", null).await();
    failure(f.core.claimNamespace("TEAM", null), "RequestConflict");
    assertNull(f.store.record("TEAM"));
  }

  @Test
  void theReservedNamespaceIsReservedInAnyLetterCase() {
    failure(f.core.claimNamespace("PULSE", null), "InvalidNamespace");
    failure(f.core.claimNamespace("Pulse", null), "InvalidNamespace");
  }

  @Test
  void anUnreachableDatabaseIs503AndMakesNoUser() {
    f.store.failWhen(call -> true);
    failure(f.core.claimNamespace("team", null), "ServiceUnavailable");
    assertEquals(List.of(), f.rabbit.calls);
  }

  @Test
  void theNamespaceOwningTheEventsExchangeIsReserved() {
    failure(f.core.claimNamespace("pulse", null), "InvalidNamespace");
    assertNull(f.store.record("pulse"));
  }

  @Test
  void badInputIsRefusedBeforeAnythingHappens() {
    failure(f.core.claimNamespace("a.b", null), "InvalidNamespace");
    failure(f.core.claimNamespace("team", new JsonObject().put("expires", "soon")), "InputValidationError");
    failure(f.core.claimNamespace("team", new JsonObject().put("owner", "x")), "InputValidationError");
    assertTrue(f.store.rows.isEmpty());
    assertEquals(List.of(), f.rabbit.calls);
  }

  @Test
  void outcomesAreCountedByCode() {
    f.core.claimNamespace("team", null).await();
    failure(f.core.claimNamespace("a.b", null), "InvalidNamespace");
    assertEquals(1.0, f.meters.get("pulse.claims").tag("outcome", "ok").counter().count());
    assertEquals(1.0, f.meters.get("pulse.claims").tag("outcome", "InvalidNamespace").counter().count());
  }

  @Test
  void listingPagesByNameWithAContinuationToken() {
    for (String ns : List.of("c", "a", "b")) {
      f.core.claimNamespace(ns, null).await();
    }
    JsonObject first = f.core.listNamespaces(new JsonObject().put("limit", 2)).await();
    assertEquals(List.of("a", "b"), first.getJsonArray("namespaces").stream()
        .map(n -> ((JsonObject) n).getString("namespace")).toList());
    JsonObject second = f.core.listNamespaces(new JsonObject().put("limit", 2)
        .put("continuationToken", first.getString("continuationToken"))).await();
    assertEquals("c", second.getJsonArray("namespaces").getJsonObject(0).getString("namespace"));
    assertNull(second.getString("continuationToken"));
  }
}
