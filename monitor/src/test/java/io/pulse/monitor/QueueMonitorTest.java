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

  // --- the namespace's own settings, exemptions and history -------------------------------------------------

  private QueueMonitor monitorReading(DepthSource depths, String... settings) {
    Map<String, String> values = new HashMap<>(Map.of("PULSE_MONITOR_ALERT_THRESHOLD", "5",
        "PULSE_MONITOR_DELETE_THRESHOLD", "10", "PULSE_USERNAME_PREFIX", "u-"));
    for (int i = 0; i < settings.length; i += 2) {
      values.put(settings[i], settings[i + 1]);
    }
    return new QueueMonitor(PulseConfig.fromMap(values), rabbit, depths, listing, store, states, history,
        (notice, contacts) -> {
          told.add(notice.kind() + " " + notice.queue() + " " + notice.messages() + " to " + String.join(",", contacts)
              + " at " + notice.alertThreshold() + "/" + notice.deleteThreshold());
          return Future.succeededFuture();
        });
  }

  private void namespace(String name, List<String> contacts, Long alert, Long delete) {
    Instant now = Instant.now();
    store.put(new NamespaceRecord(name, now, now.plusSeconds(3600), name + "@example.com", 1, "pw", null,
        now.plusSeconds(3600), true, false, 0).withSettings(contacts, alert, delete));
  }

  private List<String> events(String namespace) {
    List<String> found = new ArrayList<>();
    history.events.stream().filter(e -> namespace.equals(e.getString("namespace")))
        .forEach(e -> found.add(e.getString("event")));
    return found;
  }

  @Test
  void aNamespaceWithItsOwnLowerThresholdIsWarnedWhereTheDefaultWouldNotAndEveryContactIsTold() {
    namespace("strict", List.of("a@example.com", "b@example.com"), 2L, 4L);
    namespace("lax", null, null, null);
    rabbit.declareQueue(VHOST, "queue/strict/q", 3);
    rabbit.declareQueue(VHOST, "queue/lax/q", 3);

    monitor().sweep().await();

    assertEquals(List.of("WARNING queue/strict/q 3 to a@example.com,b@example.com"), told,
        "3 is above strict's own 2, not above the default 5");
    io.vertx.core.json.JsonObject warned = history.events.get(0);
    assertEquals("queue-warned", warned.getString("event"));
    assertEquals("queue/strict/q", warned.getString("queue"));
    assertEquals(3, warned.getLong("messages"));
    assertEquals(2, warned.getLong("alertThreshold"));
  }

  @Test
  void noticesCarryTheNamespacesOwnThresholds() {
    namespace("own", null, 2L, 4L);
    rabbit.declareQueue(VHOST, "queue/own/q", 5);

    monitorReading(listing).sweep().await();

    assertEquals(List.of("DELETED queue/own/q 5 to own@example.com at 2/4"), told);
    assertFalse(rabbit.queues.containsKey(VHOST + " queue/own/q"));
  }

  @Test
  void aNamespaceWithHigherOwnThresholdsKeepsAQueueTheDefaultWouldDelete() {
    namespace("roomy", null, 50L, 100L);
    rabbit.declareQueue(VHOST, "queue/roomy/q", 20);

    monitor().sweep().await();

    assertTrue(rabbit.queues.containsKey(VHOST + " queue/roomy/q"));
    assertEquals(List.of(), told);
  }

  @Test
  void anExemptQueueIsNeitherWarnedNorDeletedUntilItsExemptionExpires() {
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/big", 50);
    rabbit.declareQueue(VHOST, "queue/team/old-exemption", 50);
    states.exemptions.put("queue/team/big", new io.vertx.core.json.JsonObject().put("queue", "queue/team/big")
        .put("namespace", "team").put("reason", "migration").put("expires", Instant.now().plusSeconds(3600).toString()));
    // The store answers only exemptions in force; one that expired between its query and the sweep counts no more.
    states.exemptions.put("queue/team/old-exemption", new io.vertx.core.json.JsonObject()
        .put("queue", "queue/team/old-exemption").put("namespace", "team").put("reason", "over")
        .put("expires", Instant.now().minusSeconds(1).toString()));

    QueueMonitor.Report report = monitor().sweep().await();

    assertTrue(rabbit.queues.containsKey(VHOST + " queue/team/big"), "exempt");
    assertFalse(rabbit.queues.containsKey(VHOST + " queue/team/old-exemption"), "its exemption expired");
    assertEquals(List.of("DELETED queue/team/old-exemption 50 to team@example.com"), told);
    assertEquals(1, report.queueStates().get("exempt"));
    assertEquals(1, report.deleted());
  }

  @Test
  void warningsReturnsToNormalDeletionsAndClosedConnectionsAreRecordedInTheHistory() {
    QueueMonitor monitor = monitor("PULSE_CONNECTION_MAX_LIFETIME", "1h");
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/slow", 7);
    rabbit.declareQueue(VHOST, "queue/team/flood", 12);
    rabbit.users.put("u-team-1", new FakeRabbit.User("u-team-1", "pw", List.of("pulse-managed")));
    rabbit.connect(VHOST, "old", "u-team-1", System.currentTimeMillis() - 7_200_000);
    monitor.sweep().await();
    rabbit.declareQueue(VHOST, "queue/team/slow", 1);
    monitor.sweep().await();

    assertEquals(List.of("queue-warned", "queue-deleted", "connection-closed", "queue-normal"),
        events("team").stream().sorted(java.util.Comparator.comparing(List.of("queue-warned", "queue-deleted",
            "connection-closed", "queue-normal")::indexOf)).toList());
    assertEquals(4, events("team").size(), events("team").toString());
    io.vertx.core.json.JsonObject deleted = event("team", "queue-deleted");
    assertEquals("queue/team/flood", deleted.getString("queue"));
    assertEquals(12, deleted.getLong("messages"));
    assertEquals("monitor", deleted.getString("by"));
    io.vertx.core.json.JsonObject normal = event("team", "queue-normal");
    assertEquals("queue/team/slow", normal.getString("queue"));
    assertEquals(1, normal.getLong("messages"));
    io.vertx.core.json.JsonObject closed = event("team", "connection-closed");
    assertEquals("old", closed.getString("connection"));
    assertEquals("u-team-1", closed.getString("user"));
    assertTrue(closed.getString("reason").contains("at most 1h"), closed.encode());
  }

  private io.vertx.core.json.JsonObject event(String namespace, String kind) {
    return history.events.stream().filter(e -> namespace.equals(e.getString("namespace"))
        && kind.equals(e.getString("event"))).findFirst().orElseThrow(() -> new AssertionError("no " + kind));
  }

  // --- a source other than the management API ---------------------------------------------------------------

  /** A source answering fixed counts, as the Prometheus text might (forged, stale or ambiguous). */
  private static DepthSource fixed(boolean ambiguous, Object... namesAndCounts) {
    return new DepthSource() {
      @Override
      public Future<QueueDepths> read(java.util.function.Predicate<String> keep) {
        QueueDepths depths = new QueueDepths();
        for (int i = 0; i < namesAndCounts.length; i += 2) {
          if (keep.test((String) namesAndCounts[i])) {
            depths.add((String) namesAndCounts[i], ((Number) namesAndCounts[i + 1]).longValue());
          }
        }
        if (ambiguous) {
          depths.markAmbiguous();
        }
        return Future.succeededFuture(depths);
      }

      @Override
      public String describe() {
        return "fixed counts";
      }
    };
  }

  @Test
  void countsFromAnotherSourceAreConfirmedWithTheManagementApiBeforeAQueueIsDeleted() {
    namespace("victim");
    rabbit.declareQueue(VHOST, "queue/victim/q", 1);
    namespace("real");
    rabbit.declareQueue(VHOST, "queue/real/flood", 12);

    QueueMonitor.Report report = monitorReading(fixed(false, "queue/victim/q", 999_999, "queue/real/flood", 12))
        .sweep().await();

    assertTrue(rabbit.queues.containsKey(VHOST + " queue/victim/q"), "the management API says 1 message");
    assertFalse(rabbit.queues.containsKey(VHOST + " queue/real/flood"), "confirmed: 12 messages");
    assertEquals(List.of("DELETED queue/real/flood 12 to real@example.com at 5/10"), told);
    assertEquals(1, report.deleted());
  }

  @Test
  void anAmbiguousReadingIsReplacedByTheManagementListing() {
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/flood", 12);

    QueueMonitor.Report report = monitorReading(fixed(true, "queue/team/forged", 999_999)).sweep().await();

    assertEquals(1, report.queues(), "the listing's one queue, not the ambiguous reading's");
    assertFalse(rabbit.queues.containsKey(VHOST + " queue/team/flood"));
    assertEquals(List.of("DELETED queue/team/flood 12 to team@example.com at 5/10"), told);
  }

  @Test
  void aFailedReadingFailsTheSweep() {
    DepthSource down = new DepthSource() {
      @Override
      public Future<QueueDepths> read(java.util.function.Predicate<String> keep) {
        return Future.failedFuture("the RabbitMQ Prometheus endpoint at http://127.0.0.1:1 is unreachable");
      }

      @Override
      public String describe() {
        return "down";
      }
    };
    namespace("team");
    rabbit.declareQueue(VHOST, "queue/team/flood", 12);

    Throwable failure = org.junit.jupiter.api.Assertions.assertThrows(Throwable.class,
        () -> monitorReading(down).sweep().await());

    assertTrue(failure.getMessage().contains("unreachable"), failure.getMessage());
    assertTrue(rabbit.queues.containsKey(VHOST + " queue/team/flood"), "nothing done on a failed reading");
  }
}
