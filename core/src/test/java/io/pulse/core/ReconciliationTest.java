package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.core.fakes.FakeRabbit;
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
  }

  @Test
  void aDeletedUserAndItsPermissionsAreRestoredWithTheRecordedPassword() {
    f.core.claimNamespace("team", null).await();
    f.rabbit.users.clear();
    f.rabbit.permissions.clear();

    assertEquals(1, f.reconciliation().reconcile().await());

    assertEquals(f.store.record("team").password(1), f.rabbit.users.get("u-team-1").password());
    assertEquals(f.config.naming().permissions("team"), f.rabbit.permissions.get("/ u-team-1"));
  }

  @Test
  void aChangedPasswordOrPermissionIsPutBack() {
    f.core.claimNamespace("team", null).await();
    f.rabbit.users.put("u-team-1", new FakeRabbit.User("u-team-1", "changed", List.of()));
    f.rabbit.permissions.put("/ u-team-1", new JsonObject().put("configure", ".*").put("write", ".*")
        .put("read", ".*"));

    assertEquals(1, f.reconciliation().reconcile().await());

    assertEquals(f.store.record("team").password(1), f.rabbit.users.get("u-team-1").password());
    assertEquals(f.config.naming().permissions("team"), f.rabbit.permissions.get("/ u-team-1"));
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
