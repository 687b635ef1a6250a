package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.core.fakes.FakeRabbit;
import io.pulse.store.api.NamespaceRecord;

import java.time.Duration;
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
  void theFirstRotationMakesTheStandbyUserWithItsPermissionsAndHandsItOut() {
    f.core.claimNamespace("team", null).await();
    String first = f.store.record("team").password(1);
    makeDue();
    f.rabbit.calls.clear();

    assertEquals(1, f.rotation().rotateDue().await());

    assertEquals(List.of("putUser u-team-2", "putPermissions u-team-2"), f.rabbit.calls("put"));
    NamespaceRecord record = f.store.record("team");
    assertEquals(2, record.activeUser());
    assertEquals(1, record.rotations());
    assertEquals(first, record.password(1), "the old password works until the next rotation");
    assertEquals(record.password(2), f.rabbit.users.get("u-team-2").password());
    assertTrue(f.core.claimNamespace("team", null).await().getString("connectionString").contains("u-team-2:"));
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

    assertEquals(List.of("import " + Rotation.CHUNK, "import " + Rotation.CHUNK), f.rabbit.calls("import"),
        "a chunk is leased and imported at a time; the last 7 (fewer than an import pays for) go one PUT each");
    assertEquals(List.of("findUsers " + Rotation.CHUNK, "findUsers " + Rotation.CHUNK, "findUsers 7"),
        f.rabbit.calls("findUsers").stream().sorted().toList(),
        "each standby not made yet has its name's owner checked, one lookup per chunk");
    for (int i = 0; i < n; i++) {
      NamespaceRecord record = f.store.record("team" + i);
      assertEquals(2, record.activeUser());
      assertEquals(record.password(2), f.rabbit.users.get("u-team" + i + "-2").password());
      assertEquals(f.config.naming().permissions("team" + i), f.rabbit.permissions.get("/ u-team" + i + "-2"));
    }
  }

  @Test
  void standbysMadeAfterTheClaimMakeTheFirstRotationAPasswordChange() {
    for (String ns : List.of("team", "other")) {
      f.core.claimNamespace(ns, null).await();
    }
    f.rabbit.calls.clear();

    assertEquals(2, f.rotation().prepareStandbys().await());

    assertEquals(List.of("putPermissions u-other-2", "putPermissions u-team-2", "putUser u-other-2",
        "putUser u-team-2"), f.rabbit.calls("put").stream().sorted().toList(), "a few are made one by one");
    assertEquals(List.of(), f.rabbit.calls("import"));
    NamespaceRecord record = f.store.record("team");
    assertEquals(1, record.activeUser(), "the standby is not handed out before its rotation");
    assertEquals(record.password(2), f.rabbit.users.get("u-team-2").password());
    assertTrue(f.rabbit.users.get("u-team-2").tags().contains("pulse-managed"));
    assertEquals(f.config.naming().permissions("team"), f.rabbit.permissions.get("/ u-team-2"));
    assertEquals(null, f.store.rows.get("team").leaseToken);
    assertEquals(0, f.rotation().prepareStandbys().await(), "made once");

    String standby = record.password(2);
    makeDue();
    f.rabbit.calls.clear();
    assertEquals(2, f.rotation().rotateDue().await());
    assertEquals(java.util.Set.of("putUser u-team-2", "putUser u-other-2"), java.util.Set.copyOf(f.rabbit.calls("put")),
        "a password change each: the permissions stand");
    assertEquals(List.of(), f.rabbit.calls("import"), "a few password changes are single PUTs, not an import");
    assertEquals(List.of(), f.rabbit.calls("findUsers"),
        "standby users the database says the service made and tagged need no lookup");
    assertEquals(2, f.store.record("team").activeUser());
    assertNotEquals(standby, f.store.record("team").password(2), "the standby gets a fresh password as it goes live");
  }

  @Test
  void aFailedOwnerLookupHoldsBackOnlyTheStandbysNotMadeYet() {
    f.core.claimNamespace("made", null).await();
    assertEquals(1, f.rotation().prepareStandbys().await());
    f.core.claimNamespace("fresh", null).await();
    makeDue();
    f.rabbit.calls.clear();
    f.rabbit.failWhen(call -> call.startsWith("findUsers"));

    assertEquals(1, f.rotation().rotateDue().await());

    assertTrue(f.rabbit.calls("findUsers").stream().allMatch("findUsers 1"::equals), "only the fresh one is looked up");
    assertEquals(2, f.store.record("made").activeUser(), "its standby needed no lookup");
    assertEquals(1, f.store.record("fresh").activeUser());
    assertEquals(null, f.store.rows.get("fresh").leaseToken, "the row is given back for a later sweep");
  }

  @Test
  void aStandbyNameHeldByAUserTheServiceDidNotMakeIsNotMade() {
    f.core.claimNamespace("team", null).await();
    FakeRabbit.User foreign = new FakeRabbit.User("u-team-2", "theirs", List.of());
    f.rabbit.users.put(foreign.name(), foreign);

    assertEquals(0, f.rotation().prepareStandbys().await());

    assertEquals(foreign, f.rabbit.users.get("u-team-2"));
    assertEquals(null, f.store.record("team").password(2));
    assertEquals(null, f.store.rows.get("team").leaseToken, "the row is given back");
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
    f.rabbit.failWhen(call -> call.startsWith("putPermissions"));

    assertEquals(0, f.rotation().rotateDue().await());

    assertEquals(1, f.store.record("team").activeUser());
    assertEquals(0, f.store.record("team").rotations());
    assertEquals(null, f.store.rows.get("team").leaseToken);
  }

  @Test
  void aSweepTheBrokerRefusesEndsInsteadOfLeasingTheSameRowsAgain() {
    int n = Rotation.CHUNK * Rotation.CHUNKS_AT_ONCE + 1;
    for (int i = 0; i < n; i++) {
      f.core.claimNamespace("down" + i, null).await();
    }
    makeDue();
    f.rabbit.calls.clear();
    f.rabbit.failWhen(call -> call.startsWith("putUser"));

    assertEquals(0, f.rotation().rotateDue().await());

    assertTrue(f.rabbit.calls("import").size() <= Rotation.CHUNKS_AT_ONCE + 1, f.rabbit.calls("import").size()
        + " imports: each lane stops after a chunk that rotated nothing");
    assertEquals(0, f.store.record("down0").rotations());
    assertEquals(null, f.store.rows.get("down0").leaseToken, "the rows are given back for the next tick");
  }

  @Test
  void aRotationThatLostItsLeasePutsBackWhatTheDatabaseSays() {
    f.core.claimNamespace("team", null).await();
    makeDue();
    // Another holder takes the row over between the broker call and the record (the first lease lapsed).
    f.rabbit.failWhen(call -> {
      if (call.startsWith("putPermissions")) {
        f.store.rows.get("team").leaseToken = "someone-else";
      }
      return false;
    });

    assertEquals(0, f.rotation().rotateDue().await());

    assertEquals(0, f.store.record("team").rotations());
    assertTrue(f.rabbit.calls.contains("deleteUser u-team-2"), "the standby the database does not know is removed");
  }
}
