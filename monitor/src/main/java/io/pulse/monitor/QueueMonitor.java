package io.pulse.monitor;

import io.pulse.config.DryRun;
import io.pulse.config.MonitorConfig;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
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
  static final List<String> QUEUE_STATES = List.of("normal", "warning", "deleted", "orphan");

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
  private final NamespaceStore namespaces;
  private final QueueStates states;
  private final Notices notifier;

  QueueMonitor(PulseConfig config, RabbitAdmin rabbit, NamespaceStore namespaces, QueueStates states,
      Notices notifier) {
    this.config = config;
    this.limits = config.monitor();
    this.naming = config.naming();
    this.vhost = config.rabbit().vhost();
    this.dryRun = new DryRun(config.operations().dryRun());
    this.rabbit = rabbit;
    this.namespaces = namespaces;
    this.states = states;
    this.notifier = notifier;
  }

  Future<Report> sweep() {
    Future<JsonArray> queues = rabbit.listQueues(vhost, naming.managedQueueFilter(), List.of("name", "messages"));
    Future<List<String>> exchanges = rabbit.listExchangeNames(vhost, naming.managedExchangeFilter());
    Future<JsonArray> connections = rabbit.listConnections(vhost);
    Future<List<JsonObject>> known = states.all();
    return Future.all(queues, exchanges, connections, known).compose(all -> {
      Set<String> names = new HashSet<>();
      queues.result().forEach(q -> add(names, naming.namespaceOfQueue(((JsonObject) q).getString("name"))));
      exchanges.result().forEach(e -> add(names, naming.namespaceOfExchange(e)));
      connections.result().forEach(c -> add(names, naming.namespaceOfUser(((JsonObject) c).getString("user"))));
      return namespaces.findAll(new ArrayList<>(names)).compose(records -> {
        Map<String, NamespaceRecord> live = new HashMap<>();
        records.forEach(r -> live.put(r.name(), r));
        Map<String, JsonObject> byQueue = new HashMap<>();
        known.result().forEach(s -> byQueue.put(s.getString("queue"), s));
        Tally tally = new Tally();
        List<Future<Void>> work = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        Instant now = Instant.now();
        for (Object item : queues.result()) {
          JsonObject queue = (JsonObject) item;
          String name = queue.getString("name");
          listed.add(name);
          work.add(guard("queue " + name,
              queue(name, queue.getLong("messages", 0L), byQueue.get(name), live, now, tally)));
        }
        for (String exchange : exchanges.result()) {
          work.add(guard("exchange " + exchange, exchange(exchange, live, tally)));
        }
        Map<String, Future<JsonObject>> users = new HashMap<>();
        for (Object item : connections.result()) {
          work.add(guard("connection", connection((JsonObject) item, live, now, tally, users)));
        }
        // Forget what we knew of queues that are gone (deleted by us or by their owner).
        byQueue.forEach((queue, state) -> {
          if (!listed.contains(queue) && !dryRun.isOn()) {
            work.add(guard("state of " + queue, states.remove(queue, state.getInteger("version")).mapEmpty()));
          }
        });
        return Future.join(work).transform(ar -> Future.succeededFuture(new Report(queues.result().size(),
            exchanges.result().size(), connections.result().size(), tally.warned, tally.deleted, tally.orphans,
            tally.closed, Map.copyOf(tally.queueStates))));
      });
    });
  }

  // --- queues ---------------------------------------------------------------------------------------------

  private Future<Void> queue(String queue, long messages, JsonObject state, Map<String, NamespaceRecord> live,
      Instant now, Tally tally) {
    String ns = naming.namespaceOfQueue(queue);
    if (ns == null) {
      return Future.succeededFuture();
    }
    NamespaceRecord record = live.get(ns);
    if (record == null) {
      tally.orphans++;
      tally.queue("orphan");
      return destroy("delete orphan queue " + queue + " (namespace " + ns + " does not exist)",
          () -> rabbit.deleteQueue(vhost, queue));
    }
    String current = state == null ? "normal" : state.getString("state");
    long alert = limits.alertThreshold();
    if (messages > limits.deleteThreshold()) {
      tally.deleted++;
      tally.queue("deleted");
      return destroy("delete queue " + queue + " with " + messages + " messages (over "
          + limits.deleteThreshold() + ")", () -> rabbit.deleteQueue(vhost, queue)
          .compose(v -> change(state, queue, ns, "deleted", messages, null, null))
          .compose(won -> won ? tell(Notice.Kind.DELETED, record, queue, messages) : Future.succeededFuture()));
    }
    if (messages > alert) {
      Instant since = state == null || state.getInstant("aboveSince") == null ? now : state.getInstant("aboveSince");
      tally.queue("warning".equals(current) || !since.plus(limits.alertAfter()).isAfter(now)
          ? "warning" : "normal");
      if ("warning".equals(current)) {
        Instant notified = state.getInstant("notifiedAt");
        if (notified != null && notified.plus(limits.reminderInterval()).isAfter(now)) {
          return Future.succeededFuture();
        }
        return when("remind the owner of queue " + queue + " (" + messages + " messages)",
            () -> change(state, queue, ns, "warning", messages, state.getInstant("aboveSince"), now)
                .compose(won -> won ? tell(Notice.Kind.REMINDER, record, queue, messages) : Future.succeededFuture()));
      }
      Instant aboveSince = state == null || state.getInstant("aboveSince") == null ? now : state.getInstant("aboveSince");
      if (!aboveSince.plus(limits.alertAfter()).isAfter(now)) {
        tally.warned++;
        return when("warn the owner of queue " + queue + " (" + messages + " messages)",
            () -> change(state, queue, ns, "warning", messages, aboveSince, now)
                .compose(won -> won ? tell(Notice.Kind.WARNING, record, queue, messages) : Future.succeededFuture()));
      }
      if (state == null || state.getInstant("aboveSince") == null) {
        // Above the threshold, but not yet for PULSE_MONITOR_ALERT_AFTER: remember since when.
        return when("start counting queue " + queue + " above " + alert,
            () -> change(state, queue, ns, "normal", messages, now, null).mapEmpty());
      }
      return Future.succeededFuture();
    }
    tally.queue("normal");
    if ("warning".equals(current)) {
      return when("tell the owner queue " + queue + " is back to normal",
          () -> states.remove(queue, state.getInteger("version"))
              .compose(won -> won ? tell(Notice.Kind.NORMAL, record, queue, messages) : Future.succeededFuture()));
    }
    if (state != null) {
      return when("forget the state of queue " + queue, () -> states.remove(queue, state.getInteger("version"))
          .mapEmpty());
    }
    return Future.succeededFuture();
  }

  /** Records a state change at the version read; true when this replica made it (and so tells the owner). */
  private Future<Boolean> change(JsonObject state, String queue, String ns, String to, long messages,
      Instant aboveSince, Instant notifiedAt) {
    JsonObject next = new JsonObject().put("queue", queue).put("namespace", ns).put("state", to)
        .put("messages", messages).put("aboveSince", aboveSince).put("notifiedAt", notifiedAt);
    return state == null ? states.insert(next) : states.update(next, state.getInteger("version"));
  }

  private Future<Void> tell(Notice.Kind kind, NamespaceRecord record, String queue, long messages) {
    return notifier.tell(new Notice(kind, record.name(), queue, messages, limits.alertThreshold(),
        limits.deleteThreshold()), record.contact());
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
    if (record == null) {
      why = "namespace " + ns + " does not exist";
      reason = "Pulse namespace " + ns + " no longer exists";
    } else if (connectedAt != null
        && Instant.ofEpochMilli(connectedAt).plus(limits.connectionMaxLifetime()).isBefore(now)) {
      why = "open since " + Instant.ofEpochMilli(connectedAt);
      reason = "Pulse connections live at most " + config.values().get("PULSE_CONNECTION_MAX_LIFETIME")
          + "; reconnect with fresh credentials";
    } else {
      return Future.succeededFuture();
    }
    int n = user.charAt(user.length() - 1) - '0';
    boolean unmarkedRecordHasIt = record != null && !record.usersMarked() && record.hasUser(n);
    return users.computeIfAbsent(user, rabbit::getUser).compose(brokerUser -> {
      if (!naming.isOwnUser(brokerUser, unmarkedRecordHasIt)) {
        log.debug("Monitor leaves connection {} of {} open: this service did not make that user", name, user);
        return Future.succeededFuture();
      }
      tally.closed++;
      return destroy("close connection " + name + " of " + user + " (" + why + ")",
          () -> rabbit.closeConnection(name, reason));
    });
  }

  // --- helpers --------------------------------------------------------------------------------------------

  /** A destructive step: done (and logged), or under PULSE_DRY_RUN only logged. */
  private Future<Void> destroy(String what, java.util.function.Supplier<Future<Void>> act) {
    return dryRun.guard(what, () -> {
      log.info("Monitor: {}", what);
      return act.get();
    });
  }

  /** A step that records a state or tells someone: under PULSE_DRY_RUN only logged. */
  private Future<Void> when(String what, java.util.function.Supplier<Future<Void>> act) {
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
