package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.core.fakes.FakeRabbit;
import io.pulse.store.api.NamespaceRecord;
import io.vertx.core.json.JsonObject;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReconciliationTest {

  private final CoreFixture f = new CoreFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void usersInStepAreLeftAlone() {
    f.core.claimNamespace("team", null).await();
    f.rabbit.calls.clear();
    assertEquals(0, f.reconciliation().reconcile().await());
    assertEquals(List.of(), f.rabbit.calls.stream().filter(c -> c.startsWith("put")).toList());
    assertEquals(List.of(), f.history.events, "nothing repaired, nothing to tell the owner");
  }

  @Test
  void aDeletedUserAndItsPermissionsAreRestoredWithTheRecordedPassword() {
    f.core.claimNamespace("team", null).await();
    f.rabbit.users.clear();
    f.rabbit.permissions.clear();

    assertEquals(1, f.reconciliation().reconcile().await());

    assertEquals(f.store.record("team").password(1), f.rabbit.users.get("u-team-1").password());
    assertEquals(f.config.naming().permissions("team"), f.rabbit.permissions.get("/ u-team-1"));
    assertEquals(1, f.history.events.size(), "the owner's history tells of the repair");
    assertEquals("reconciled", f.history.events.get(0).getString("event"));
    assertEquals(List.of("u-team-1"), f.history.events.get(0).getJsonArray("users").getList());
  }

  @Test
  void aChangedPasswordOrPermissionIsPutBack() {
    f.core.claimNamespace("team", null).await();
    f.rabbit.users.put("u-team-1", new FakeRabbit.User("u-team-1", "changed", List.of("pulse-managed")));
    f.rabbit.permissions.put("/ u-team-1", new JsonObject().put("configure", ".*").put("write", ".*")
        .put("read", ".*"));

    assertEquals(1, f.reconciliation().reconcile().await());

    assertEquals(f.store.record("team").password(1), f.rabbit.users.get("u-team-1").password());
    assertEquals(f.config.naming().permissions("team"), f.rabbit.permissions.get("/ u-team-1"));
  }

  @Test
  void aUserTheServiceDidNotMakeIsLeftAlone() {
    f.core.claimNamespace("team", null).await();
    FakeRabbit.User foreign = new FakeRabbit.User("u-team-1", "theirs", List.of());
    f.rabbit.users.put(foreign.name(), foreign);
    f.rabbit.calls.clear();

    assertEquals(0, f.reconciliation().reconcile().await());

    assertEquals(foreign, f.rabbit.users.get("u-team-1"));
    assertEquals(List.of(), f.rabbit.calls("put"));
  }

  @Test
  void usersMadeBeforeTheMarkExistedGetItAndTheirRecordIsMarked() {
    f.core.claimNamespace("old", null).await();
    NamespaceRecord r = f.store.record("old");
    f.store.put(new NamespaceRecord(r.name(), r.created(), r.expires(), r.contact(), r.activeUser(), r.password(1),
        r.password(2), r.nextRotation(), true, false, 0, false));
    f.rabbit.users.put("u-old-1", new FakeRabbit.User("u-old-1", r.password(1), List.of()));

    assertEquals(1, f.reconciliation().reconcile().await());

    assertTrue(f.rabbit.users.get("u-old-1").tags().contains("pulse-managed"));
    assertEquals(r.password(1), f.rabbit.users.get("u-old-1").password(), "the password is kept");
    assertTrue(f.store.record("old").usersMarked());
  }

  @Test
  void newTagsReachExistingUsers() {
    f.core.claimNamespace("team", null).await();
    CoreFixture tagged = new CoreFixture("PULSE_USER_TAGS", "monitoring");
    try {
      tagged.store.rows.putAll(f.store.rows);
      tagged.rabbit.users.putAll(f.rabbit.users);
      tagged.rabbit.permissions.putAll(f.rabbit.permissions);
      assertEquals(1, tagged.reconciliation().reconcile().await());
      assertTrue(tagged.rabbit.users.get("u-team-1").tags().contains("monitoring"));
    } finally {
      tagged.close();
    }
  }
}
