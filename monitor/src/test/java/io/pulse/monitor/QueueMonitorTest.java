package io.pulse.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.config.PulseConfig;
import io.pulse.core.fakes.FakeHistory;
import io.pulse.core.fakes.FakeQueueStates;
import io.pulse.core.fakes.FakeRabbit;
import io.pulse.core.fakes.FakeStore;
import io.pulse.store.api.NamespaceRecord;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** One monitor sweep at a time over in-memory fakes of the broker, the namespaces and the queue states. */
class QueueMonitorTest {

  private static final String VHOST = "/";

  private final FakeRabbit rabbit = new FakeRabbit();
  private final FakeStore store = new FakeStore();
  private final FakeQueueStates states = new FakeQueueStates();
  private final FakeHistory history = new FakeHistory();
  private final List<String> told = new ArrayList<>();

  /** The fake broker's queues of the vhost, as the management listing reads them. */
  private final DepthSource listing = new DepthSource() {
    @Override
    public Future<QueueDepths> read(java.util.function.Predicate<String> keep) {
      QueueDepths depths = new QueueDepths();
      rabbit.queues.forEach((key, messages) -> {
        String name = key.substring(VHOST.length() + 1);
        if (key.startsWith(VHOST + " ") && keep.test(name)) {
          depths.add(name, messages);
        }
      });
      return Future.succeededFuture(depths);
    }

    @Override
    public String describe() {
      return "the fake listing";
    }
  };

  private QueueMonitor monitor(String... settings) {
    Map<String, String> values = new HashMap<>(Map.of("PULSE_MONITOR_ALERT_THRESHOLD", "5",
        "PULSE_MONITOR_DELETE_THRESHOLD", "10", "PULSE_USERNAME_PREFIX", "u-"));
    for (int i = 0; i < settings.length; i += 2) {
      values.put(settings[i], settings[i + 1]);
    }
    return new QueueMonitor(PulseConfig.fromMap(values), rabbit, listing, listing, store, states, history,
        (notice, contacts) -> {
          told.add(notice.kind() + " " + notice.queue() + " " + notice.messages() + " to " + String.join(",", contacts));
          return Future.succeededFuture();
        });
  }

  private void namespace(String name) {
    Instant now = Instant.now();
    store.put(new NamespaceRecord(name, now, now.plusSeconds(3600), name + "@example.com", 1, "pw", null,
        now.plusSeconds(3600), true, false, 0));
  }

  @Test
  void anOwnerIsWarnedOnceAndToldWhenTheQueueIsBackToNormal() {
    QueueMonitor monitor = monitor();
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/slow", 7);

    QueueMonitor.Report first = monitor.sweep().await();
    monitor.sweep().await();
    assertEquals(List.of("WARNING queue/team/slow 7 to team@example.com"), told, "warned once, not every sweep");
    assertEquals(1, first.warned());
    assertEquals("warning", states.states.get("queue/team/slow").getString("state"));

    rabbit.declareQueue(VHOST, "queue/team/slow", 2);
    monitor.sweep().await();
    assertEquals("NORMAL queue/team/slow 2 to team@example.com", told.get(1));
    assertTrue(states.states.isEmpty(), "a queue back to normal needs no state");
  }

  @Test
  void aQueueOverTheDeleteThresholdIsDeletedAndTheOwnerToldWhatWasLost() {
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/flood", 12);

    QueueMonitor.Report report = monitor().sweep().await();

    assertFalse(rabbit.queues.containsKey(VHOST + " queue/team/flood"));
    assertEquals(List.of("DELETED queue/team/flood 12 to team@example.com"), told);
    assertEquals(1, report.deleted());
  }

  @Test
  void aWarningWaitsUntilTheQueueStayedAboveTheThresholdForAlertAfter() {
    QueueMonitor monitor = monitor("PULSE_MONITOR_ALERT_AFTER", "1h");
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/burst", 7);

    monitor.sweep().await();
    assertEquals(List.of(), told, "a burst is tolerated");
    states.states.get("queue/team/burst").put("aboveSince", Instant.now().minusSeconds(7200));

    monitor.sweep().await();
    assertEquals(List.of("WARNING queue/team/burst 7 to team@example.com"), told);
  }

  @Test
  void aQueueStillInWarningIsRemindedOncePerReminderInterval() {
    QueueMonitor monitor = monitor("PULSE_MONITOR_REMINDER_INTERVAL", "1h");
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/slow", 7);
    monitor.sweep().await();
    states.states.get("queue/team/slow").put("notifiedAt", Instant.now().minusSeconds(7200));

    monitor.sweep().await();
    monitor.sweep().await();
    assertEquals(List.of("WARNING queue/team/slow 7 to team@example.com",
        "REMINDER queue/team/slow 7 to team@example.com"), told);
  }

  @Test
  void orphansOfTheManagedSpaceAreRemovedAndEverythingElseIsLeftAlone() {
    QueueMonitor monitor = monitor("PULSE_NAMESPACE_PREFIX", "t-");
    namespace("t-live");
    rabbit.declareQueue(VHOST, "queue/t-gone/q", 1);
    rabbit.declareQueue(VHOST, "queue/t-live/q", 1);
    rabbit.declareQueue(VHOST, "queue/other/q", 1);
    rabbit.declareExchange(VHOST, "exchange/t-gone/e");
    rabbit.declareExchange(VHOST, "exchange/other/e");

    QueueMonitor.Report report = monitor.sweep().await();

    assertFalse(rabbit.queues.containsKey(VHOST + " queue/t-gone/q"));
    assertFalse(rabbit.exchanges.contains(VHOST + " exchange/t-gone/e"));
    assertTrue(rabbit.queues.containsKey(VHOST + " queue/t-live/q"));
    assertTrue(rabbit.queues.containsKey(VHOST + " queue/other/q"), "outside the managed space");
    assertTrue(rabbit.exchanges.contains(VHOST + " exchange/other/e"));
    assertEquals(2, report.orphans());
  }

  @Test
  void theEventsExchangeIsNeverAnOrphan() {
    rabbit.declareExchange(VHOST, "exchange/pulse/v1/queue-events");
    monitor().sweep().await();
    assertTrue(rabbit.exchanges.contains(VHOST + " exchange/pulse/v1/queue-events"));
  }

  @Test
  void connectionsOfVanishedNamespacesAndOverOldOnesAreClosedOthersKept() {
    QueueMonitor monitor = monitor("PULSE_CONNECTION_MAX_LIFETIME", "1h");
    namespace("live");
    long now = System.currentTimeMillis();
    for (String user : List.of("u-vanished-1", "u-live-1", "u-live-2")) {
      rabbit.users.put(user, new FakeRabbit.User(user, "pw", List.of("pulse-managed")));
    }
    rabbit.connect(VHOST, "gone", "u-vanished-1", now);
    rabbit.connect(VHOST, "old", "u-live-2", now - 7_200_000);
    rabbit.connect(VHOST, "young", "u-live-1", now);
    rabbit.connect(VHOST, "admin", "guest", now - 7_200_000);

    assertEquals(2, monitor.sweep().await().closed());

    assertTrue(rabbit.closed.get("gone").contains("no longer exists"), rabbit.closed.toString());
    assertTrue(rabbit.closed.get("old").contains("at most 1h"), rabbit.closed.toString());
    assertFalse(rabbit.closed.containsKey("young"));
    assertFalse(rabbit.closed.containsKey("admin"), "the broker admin is not a namespace user");
  }

  @Test
  void aConnectionOfAUserTheServiceDidNotMakeIsNeverClosed() {
    QueueMonitor monitor = monitor();
    rabbit.users.put("u-vanished-1", new FakeRabbit.User("u-vanished-1", "theirs", List.of()));
    rabbit.connect(VHOST, "theirs", "u-vanished-1", 0);

    assertEquals(0, monitor.sweep().await().closed());
    assertTrue(rabbit.closed.isEmpty());
  }

  @Test
  void aDryRunDeletesClosesRecordsAndSendsNothing() {
    QueueMonitor monitor = monitor("PULSE_DRY_RUN", "true", "PULSE_CONNECTION_MAX_LIFETIME", "1s");
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/flood", 12);
    rabbit.declareQueue(VHOST, "queue/team/slow", 7);
    rabbit.declareQueue(VHOST, "queue/ghost/left", 1);
    rabbit.users.put("u-team-1", new FakeRabbit.User("u-team-1", "pw", List.of("pulse-managed")));
    rabbit.connect(VHOST, "old", "u-team-1", 0);

    monitor.sweep().await();

    assertEquals(3, rabbit.queues.size());
    assertTrue(rabbit.closed.isEmpty());
    assertTrue(states.states.isEmpty());
    assertEquals(List.of(), told);
  }

  @Test
  void oneFailingQueueDoesNotStopTheSweep() {
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/a", 12);
    rabbit.declareQueue(VHOST, "queue/team/b", 12);
    rabbit.failWhen(call -> call.equals("deleteQueue queue/team/a"));

    monitor().sweep().await();

    assertTrue(rabbit.queues.containsKey(VHOST + " queue/team/a"));
    assertFalse(rabbit.queues.containsKey(VHOST + " queue/team/b"));
  }

  @Test
  void aStateAnotherReplicaChangedFirstSendsNoSecondNotice() {
    QueueMonitor monitor = monitor();
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/slow", 7);
    monitor.sweep().await();
    rabbit.declareQueue(VHOST, "queue/team/slow", 1);
    states.readsAreStale = true;

    monitor.sweep().await();

    assertEquals(1, told.size(), "only the replica that changed the state tells the owner: " + told);
    assertEquals("warning", states.states.get("queue/team/slow").getString("state"));
  }
}
