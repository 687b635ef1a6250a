package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.core.fakes.FakeRabbit;
import io.pulse.store.api.NamespaceRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RotationTest {

  private final CoreFixture f = new CoreFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private void makeDue() {
    f.store.now = f.store.now.plus(Duration.ofHours(2));
  }

  @Test
  void theFirstRotationGivesTheStandbyMadeAtTheClaimAFreshPasswordAndHandsItOut() {
    f.core.claimNamespace("team", null).await();
    String first = f.store.record("team").password(1);
    String standbyAtClaim = f.store.record("team").password(2);
    makeDue();
    f.rabbit.calls.clear();

    assertEquals(1, f.rotation().rotateDue().await());

    assertEquals(List.of("putUser u-team-2"), f.rabbit.calls("put"), "a password change: permissions stand");
    assertNotEquals(standbyAtClaim, f.store.record("team").password(2));
    NamespaceRecord record = f.store.record("team");
    assertEquals(2, record.activeUser());
    assertEquals(1, record.rotations());
    assertEquals(first, record.password(1), "the old password works until the next rotation");
    assertEquals(record.password(2), f.rabbit.users.get("u-team-2").password());
    assertTrue(f.core.claimNamespace("team", null).await().getString("connectionString").contains("u-team-2:"));
  }

  @Test
  void aStandbyNotYetMadeByAnOlderVersionIsMadeWithItsPermissionsAtItsFirstRotation() {
    Instant now = f.store.now;
    f.store.put(new NamespaceRecord("old", now, now.plusSeconds(86_400), null, 1, "pw", null, now.plusSeconds(60),
        true, false, 0, true));
    f.rabbit.users.put("u-old-1", new FakeRabbit.User("u-old-1", "pw", List.of("pulse-managed")));
    makeDue();

    assertEquals(1, f.rotation().rotateDue().await());

    assertEquals(List.of("putUser u-old-2", "putPermissions u-old-2"), f.rabbit.calls("put"));
    assertEquals(f.store.record("old").password(2), f.rabbit.users.get("u-old-2").password());
    assertEquals(2, f.store.record("old").activeUser());
  }

  @Test
  void aSweepRotatesManyNamespacesWithAnImportPerChunk() {
    int n = Rotation.CHUNK * 2 + 7;
    for (int i = 0; i < n; i++) {
      f.core.claimNamespace("team" + i, null).await();
    }
    makeDue();
    f.rabbit.calls.clear();

    assertEquals(n, f.rotation().rotateDue().await());

    assertEquals(List.of("import " + Rotation.CHUNK, "import " + Rotation.CHUNK, "import 7"),
        f.rabbit.calls("import"));
    assertEquals(n, f.rabbit.calls("getUser").size(), "each standby's owner is checked");
    for (int i = 0; i < n; i++) {
      NamespaceRecord record = f.store.record("team" + i);
      assertEquals(2, record.activeUser());
      assertEquals(record.password(2), f.rabbit.users.get("u-team" + i + "-2").password());
    }
  }

  @Test
  void laterRotationsChangeOnePasswordWithOneCall() {
    f.core.claimNamespace("team", null).await();
    makeDue();
    f.rotation().rotateDue().await();
    String first = f.store.record("team").password(1);
    makeDue();
    f.rabbit.calls.clear();

    f.rotation().rotateDue().await();

    assertEquals(List.of("putUser u-team-1"), f.rabbit.calls("put"));
    assertEquals(1, f.store.record("team").activeUser());
    assertNotEquals(first, f.store.record("team").password(1), "user 1 comes back with a fresh password");
  }

  @Test
  void aStandbyNameTakenByAUserTheServiceDidNotMakeIsNeverTouched() {
    f.core.claimNamespace("team", null).await();
    FakeRabbit.User foreign = new FakeRabbit.User("u-team-2", "theirs", List.of());
    f.rabbit.users.put(foreign.name(), foreign);
    makeDue();
    f.rabbit.calls.clear();

    assertEquals(0, f.rotation().rotateDue().await());

    assertEquals(foreign, f.rabbit.users.get("u-team-2"));
    assertEquals(List.of(), f.rabbit.calls("put"));
    assertEquals(1, f.store.record("team").activeUser(), "the namespace keeps its working credentials");
  }

  @Test
  void nothingRotatesBeforeItIsDue() {
    f.core.claimNamespace("team", null).await();
    f.rabbit.calls.clear();
    assertEquals(0, f.rotation().rotateDue().await());
    assertEquals(List.of(), f.rabbit.calls);
  }

  @Test
  void aBrokerFailureRecordsNothingAndGivesTheLeaseBack() {
    f.core.claimNamespace("team", null).await();
    makeDue();
    f.rabbit.failWhen(call -> call.startsWith("putUser"));

    assertEquals(0, f.rotation().rotateDue().await());

    assertEquals(1, f.store.record("team").activeUser());
    assertEquals(0, f.store.record("team").rotations());
    assertEquals(null, f.store.rows.get("team").leaseToken);
  }

  @Test
  void aRotationThatLostItsLeasePutsBackWhatTheDatabaseSays() {
    f.core.claimNamespace("team", null).await();
    makeDue();
    // Another holder takes the row over between the broker call and the record (the first lease lapsed).
    f.rabbit.failWhen(call -> {
      if (call.startsWith("putUser")) {
        f.store.rows.get("team").leaseToken = "someone-else";
      }
      return false;
    });

    assertEquals(0, f.rotation().rotateDue().await());

    assertEquals(0, f.store.record("team").rotations());
    assertEquals(f.store.record("team").password(2), f.rabbit.users.get("u-team-2").password(),
        "the standby gets back the password the database holds");
  }
}
