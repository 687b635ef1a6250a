package io.pulse.monitor;

import io.pulse.config.DryRun;
import io.pulse.config.MonitorConfig;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitor sweep over the managed space of the vhost: queues {@code queue/<PULSE_NAMESPACE_PREFIX>...}, exchanges
 * {@code exchange/<PULSE_NAMESPACE_PREFIX>...} and connections of users
 * {@code <PULSE_USERNAME_PREFIX><PULSE_NAMESPACE_PREFIX>...-1|-2}. Nothing outside it is touched.
 */
final class QueueMonitor {

  private static final Logger log = LoggerFactory.getLogger(QueueMonitor.class);

  /** The states a managed queue is counted in by {@link Report#queueStates()}. */
  static final List<String> QUEUE_STATES = List.of("normal", "warning", "deleted", "orphan", "exempt");
  private static final Future<Void> NOTHING = Future.succeededFuture();

  /**
   * What a sweep saw and did, for logs, metrics and tests. {@code queueStates}: managed queues by state at this sweep
   * (normal, warning, deleted by it, orphan).
   */
  record Report(int queues, int exchanges, int connections, int warned, int deleted, int orphans, int closed,
      Map<String, Integer> queueStates) {
  }

  private final PulseConfig config;
  private final MonitorConfig limits;
  private final Naming naming;
  private final String vhost;
  private final DryRun dryRun;
  private final RabbitAdmin rabbit;
  private final DepthSource depths;
  private final DepthSource fallback;
  private final NamespaceStore namespaces;
  private final QueueStates states;
  private final History history;
  private final Notices notifier;

  /**
   * {@code depths} is where queue depths are read; {@code fallback} (the management listing) is asked instead when a
   * reading of {@code depths} is ambiguous, and a reading of {@code depths} other than {@code fallback} is confirmed
   * queue by queue with the management API before any state change (see {@link PrometheusDepths}).
   */
  QueueMonitor(PulseConfig config, RabbitAdmin rabbit, DepthSource depths, DepthSource fallback,
      NamespaceStore namespaces, QueueStates states, History history, Notices notifier) {
    this.config = config;
    this.limits = config.monitor();
    this.naming = config.naming();
    this.vhost = config.rabbit().vhost();
    this.dryRun = new DryRun(config.operations().dryRun());
    this.rabbit = rabbit;
    this.depths = depths;
    this.fallback = fallback;
    this.namespaces = namespaces;
    this.states = states;
    this.history = history;
    this.notifier = notifier;
  }

  Future<Report> sweep() {
    Future<QueueDepths> queues = readDepths();
    Future<List<String>> exchanges = rabbit.listExchangeNames(vhost, naming.managedExchangeFilter());
    Future<JsonArray> connections = rabbit.listConnections(vhost);
    Future<List<JsonObject>> known = states.all();
    Future<List<JsonObject>> exempt = states.exemptions();
    return Future.all(List.of(queues, exchanges, connections, known, exempt)).compose(all -> {
      QueueDepths depth = queues.result();
      Set<String> names = new HashSet<>();
      for (int i = 0; i < depth.size(); i++) {
        add(names, naming.namespaceOfQueue(depth.name(i)));
      }
      exchanges.result().forEach(e -> add(names, naming.namespaceOfExchange(e)));
      connections.result().forEach(c -> add(names, naming.namespaceOfUser(((JsonObject) c).getString("user"))));
      return namespaces.findAll(new ArrayList<>(names)).compose(records -> {
        Map<String, NamespaceRecord> live = new HashMap<>();
        records.forEach(r -> live.put(r.name(), r));
        Map<String, JsonObject> byQueue = new HashMap<>();
        known.result().forEach(s -> byQueue.put(s.getString("queue"), s));
        Instant now = Instant.now();
        Set<String> exemptions = new HashSet<>();
        exempt.result().forEach(e -> {
          // The store answers those in force; one that expired since is not honoured either.
          Instant expires = e.getInstant("expires");
          if (expires == null || expires.isAfter(now)) {
            exemptions.add(e.getString("queue"));
          }
        });
        Map<String, JsonObject> gone = new HashMap<>(byQueue);
        Tally tally = new Tally();
        List<Future<Void>> work = new ArrayList<>();
        boolean confirm = depth.confirmBeforeActing();
        for (int i = 0; i < depth.size(); i++) {
          String name = depth.name(i);
          gone.remove(name);
          Future<Void> step = queue(name, depth.messages(i), byQueue.get(name), live, now, tally,
              exemptions.contains(name), confirm);
          if (step != NOTHING) {
            work.add(guard("queue " + name, step));
          }
        }
        for (String exchange : exchanges.result()) {
          work.add(guard("exchange " + exchange, exchange(exchange, live, tally)));
        }
        Map<String, Future<JsonObject>> users = new HashMap<>();
        for (Object item : connections.result()) {
          work.add(guard("connection", connection((JsonObject) item, live, now, tally, users)));
        }
        // Forget what we knew of queues that are gone (deleted by us or by their owner).
        gone.forEach((queue, state) -> {
          if (!dryRun.isOn()) {
            work.add(guard("state of " + queue, states.remove(queue, state.getInteger("version")).mapEmpty()));
          }
        });
        return Future.join(work).transform(ar -> Future.succeededFuture(new Report(depth.size(),
            exchanges.result().size(), connections.result().size(), tally.warned, tally.deleted, tally.orphans,
            tally.closed, Map.copyOf(tally.queueStates))));
      });
    });
  }

  /**
   * The managed queues and their depths from the configured source; from the management listing when that reading
   * is ambiguous.
   */
  private Future<QueueDepths> readDepths() {
    java.util.function.Predicate<String> managed = name -> naming.namespaceOfQueue(name) != null;
    return depths.read(managed).compose(read -> {
      if (!read.ambiguous() || depths == fallback) {
        return Future.succeededFuture(read.confirmBeforeActing(depths != fallback));
      }
      log.info("Monitor: {} holds a queue name it cannot read unambiguously; reading {} instead", depths.describe(),
          fallback.describe());
      return fallback.read(managed);
    });
  }

  // --- queues ---------------------------------------------------------------------------------------------

  private Future<Void> queue(String queue, long messages, JsonObject state, Map<String, NamespaceRecord> live,
      Instant now, Tally tally, boolean exempt, boolean confirm) {
    String ns = naming.namespaceOfQueue(queue);
    if (ns == null) {
      return NOTHING;
    }
    NamespaceRecord record = live.get(ns);
    if (record == null) {
      tally.orphans++;
      tally.queue("orphan");
      return destroy("delete orphan queue " + queue + " (namespace " + ns + " does not exist)",
          () -> rabbit.deleteQueue(vhost, queue));
    }
    if (exempt) {
      // An operator exempted it: neither warned about nor deleted, its state left as it is until the exemption ends.
      tally.queue("exempt");
      return NOTHING;
    }
    long alert = limits.alertThreshold(record.alertThreshold());
    long delete = limits.deleteThreshold(record.deleteThreshold());
    String current = state == null ? "normal" : state.getString("state");
    Transition next = transition(state, current, messages, alert, delete, now);
    tally.queue(next.counted);
    if (next.action == null) {
      return NOTHING;
    }
    if (!confirm) {
      return act(next.action, queue, ns, record, state, messages, alert, delete, now, tally);
    }
    // A count read from the Prometheus text is confirmed with the management API before anything changes.
    return rabbit.getQueue(vhost, queue).compose(found -> {
      if (found == null) {
        return NOTHING;
      }
      long confirmed = found.getLong("messages", 0L);
      Transition again = transition(state, current, confirmed, alert, delete, now);
      return again.action == null ? NOTHING
          : act(again.action, queue, ns, record, state, confirmed, alert, delete, now, tally);
    });
  }

  /** What a queue's count means: the state it is counted in, and what to do ({@code null}: nothing). */
  private record Transition(String counted, String action) {
  }

  private Transition transition(JsonObject state, String current, long messages, long alert, long delete,
      Instant now) {
    if (messages > delete) {
      return new Transition("deleted", "delete");
    }
    if (messages > alert) {
      Instant since = state == null || state.getInstant("aboveSince") == null ? now : state.getInstant("aboveSince");
      boolean due = !since.plus(limits.alertAfter()).isAfter(now);
      if ("warning".equals(current)) {
        Instant notified = state.getInstant("notifiedAt");
        boolean remind = notified == null || !notified.plus(limits.reminderInterval()).isAfter(now);
        return new Transition("warning", remind ? "remind" : null);
      }
      if (due) {
        return new Transition("warning", "warn");
      }
      // Above the threshold, but not yet for PULSE_MONITOR_ALERT_AFTER: remember since when.
      return new Transition("normal", state == null || state.getInstant("aboveSince") == null ? "count" : null);
    }
    if ("warning".equals(current)) {
      return new Transition("normal", "normal");
    }
    return new Transition("normal", state != null ? "forget" : null);
  }

  private Future<Void> act(String action, String queue, String ns, NamespaceRecord record, JsonObject state,
      long messages, long alert, long delete, Instant now, Tally tally) {
    switch (action) {
      case "delete":
        tally.deleted++;
        return destroy("delete queue " + queue + " with " + messages + " messages (over " + delete + ")",
            () -> rabbit.deleteQueue(vhost, queue)
                .compose(v -> change(state, queue, ns, "deleted", messages, null, null))
                .compose(won -> won ? recorded(ns, "queue-deleted", new JsonObject().put("queue", queue)
                    .put("messages", messages).put("by", "monitor"))
                    .compose(v -> tell(Notice.Kind.DELETED, record, queue, messages, alert, delete))
                    : Future.succeededFuture()));
      case "remind":
        return when("remind the owner of queue " + queue + " (" + messages + " messages)",
            () -> change(state, queue, ns, "warning", messages, state.getInstant("aboveSince"), now)
                .compose(won -> won ? tell(Notice.Kind.REMINDER, record, queue, messages, alert, delete)
                    : Future.succeededFuture()));
      case "warn":
        tally.warned++;
        Instant aboveSince = state == null || state.getInstant("aboveSince") == null ? now
            : state.getInstant("aboveSince");
        return when("warn the owner of queue " + queue + " (" + messages + " messages)",
            () -> change(state, queue, ns, "warning", messages, aboveSince, now)
                .compose(won -> won ? recorded(ns, "queue-warned", new JsonObject().put("queue", queue)
                    .put("messages", messages).put("alertThreshold", alert))
                    .compose(v -> tell(Notice.Kind.WARNING, record, queue, messages, alert, delete))
                    : Future.succeededFuture()));
      case "count":
        return when("start counting queue " + queue + " above " + alert,
            () -> change(state, queue, ns, "normal", messages, now, null).mapEmpty());
      case "normal":
        return when("tell the owner queue " + queue + " is back to normal",
            () -> states.remove(queue, state.getInteger("version"))
                .compose(won -> won ? recorded(ns, "queue-normal", new JsonObject().put("queue", queue)
                    .put("messages", messages))
                    .compose(v -> tell(Notice.Kind.NORMAL, record, queue, messages, alert, delete))
                    : Future.succeededFuture()));
      default:
        return when("forget the state of queue " + queue, () -> states.remove(queue, state.getInteger("version"))
            .mapEmpty());
    }
  }

  /** Records a state change at the version read; true when this replica made it (and so tells the owner). */
  private Future<Boolean> change(JsonObject state, String queue, String ns, String to, long messages,
      Instant aboveSince, Instant notifiedAt) {
    JsonObject next = new JsonObject().put("queue", queue).put("namespace", ns).put("state", to)
        .put("messages", messages).put("aboveSince", aboveSince).put("notifiedAt", notifiedAt);
    return state == null ? states.insert(next) : states.update(next, state.getInteger("version"));
  }

  private Future<Void> tell(Notice.Kind kind, NamespaceRecord record, String queue, long messages, long alert,
      long delete) {
    return notifier.tell(new Notice(kind, record.name(), queue, messages, alert, delete), record.effectiveContacts());
  }

  /** An event in the namespace's history; a history that cannot be written does not stop the notice. */
  private Future<Void> recorded(String ns, String event, JsonObject detail) {
    return history.record(ns, event, detail).recover(e -> {
      log.warn("Monitor could not record {} of namespace {}: {}", event, ns, e.getMessage());
      return Future.succeededFuture();
    });
  }

  // --- exchanges and connections ---------------------------------------------------------------------------

  private Future<Void> exchange(String exchange, Map<String, NamespaceRecord> live, Tally tally) {
    String ns = naming.namespaceOfExchange(exchange);
    if (ns == null || live.containsKey(ns) || exchange.equals(naming.eventsExchange())) {
      return Future.succeededFuture();
    }
    tally.orphans++;
    return destroy("delete orphan exchange " + exchange + " (namespace " + ns + " does not exist)",
        () -> rabbit.deleteExchange(vhost, exchange));
  }

  /**
   * Closes a namespace user's connection when its namespace is gone or it is older than the maximum lifetime, and only
   * when the user is the service's own (read from the broker first: a user somebody else made is never disconnected).
   */
  private Future<Void> connection(JsonObject connection, Map<String, NamespaceRecord> live, Instant now,
      Tally tally, Map<String, Future<JsonObject>> users) {
    String user = connection.getString("user");
    String ns = naming.namespaceOfUser(user);
    if (ns == null) {
      return Future.succeededFuture();
    }
    String name = connection.getString("name");
    NamespaceRecord record = live.get(ns);
    Long connectedAt = connection.getLong("connected_at");
    String why;
    String reason;
    boolean overOld = false;
    if (record == null) {
      why = "namespace " + ns + " does not exist";
      reason = "Pulse namespace " + ns + " no longer exists";
    } else if (connectedAt != null
        && Instant.ofEpochMilli(connectedAt).plus(limits.connectionMaxLifetime()).isBefore(now)) {
      why = "open since " + Instant.ofEpochMilli(connectedAt);
      reason = "Pulse connections live at most " + config.values().get("PULSE_CONNECTION_MAX_LIFETIME")
          + "; reconnect with fresh credentials";
      overOld = true;
    } else {
      return Future.succeededFuture();
    }
    boolean recordClosed = overOld;
    int n = user.charAt(user.length() - 1) - '0';
    boolean unmarkedRecordHasIt = record != null && !record.usersMarked() && record.hasUser(n);
    return users.computeIfAbsent(user, rabbit::getUser).compose(brokerUser -> {
      if (!naming.isOwnUser(brokerUser, unmarkedRecordHasIt)) {
        log.debug("Monitor leaves connection {} of {} open: this service did not make that user", name, user);
        return Future.succeededFuture();
      }
      tally.closed++;
      return destroy("close connection " + name + " of " + user + " (" + why + ")",
          () -> rabbit.closeConnection(name, reason).compose(v -> recordClosed
              ? recorded(ns, "connection-closed", new JsonObject().put("connection", name).put("user", user)
                  .put("reason", reason))
              : Future.succeededFuture()));
    });
  }

  // --- helpers --------------------------------------------------------------------------------------------

  /** A destructive step: done (and logged), or under PULSE_DRY_RUN only logged. */
  private Future<Void> destroy(String what, Supplier<Future<Void>> act) {
    return dryRun.guard(what, () -> {
      log.info("Monitor: {}", what);
      return act.get();
    });
  }

  /** A step that records a state or tells someone: under PULSE_DRY_RUN only logged. */
  private Future<Void> when(String what, Supplier<Future<Void>> act) {
    return dryRun.guard(what, act);
  }

  /** One bad item never stops the sweep: its failure is logged and the rest goes on. */
  private static Future<Void> guard(String what, Future<Void> step) {
    return step.recover(e -> {
      log.warn("Monitor could not handle {}: {}", what, e.getMessage());
      return Future.succeededFuture();
    });
  }

  private static void add(Set<String> names, String name) {
    if (name != null) {
      names.add(name);
    }
  }

  private static final class Tally {
    int warned;
    int deleted;
    int orphans;
    int closed;
    final Map<String, Integer> queueStates = new HashMap<>();

    Tally() {
      QUEUE_STATES.forEach(s -> queueStates.put(s, 0));
    }

    void queue(String state) {
      queueStates.merge(state, 1, Integer::sum);
    }
  }
}
