package io.pulse.core;

import io.pulse.client.PulseAdminService;
import io.pulse.client.PulseError;
import io.pulse.config.MonitorConfig;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.config.Text;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceRecord;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator sees and does across every namespace: the biggest queues of the managed space, every namespace's
 * history, and exemptions of queues from the monitor. Served on the event bus by {@link NamespaceVerticle} (as
 * {@link PulseAdminService}) and called in process by the REST server, which checks {@code pulse:admin} first.
 */
public final class OperatorCore implements PulseAdminService {

  private static final Logger log = LoggerFactory.getLogger(OperatorCore.class);
  static final int BIGGEST_BY_DEFAULT = 50;
  static final int MAX_BIGGEST = 500;
  static final int MAX_REASON = 500;
  static final Duration MAX_EXEMPTION = Duration.ofDays(366);
  /** Every event the history holds, for checking a filter. */
  static final Set<String> EVENTS = Set.of("claimed", "renewed", "rotated", "reconciled", "updated", "revoked",
      "expired", "removed", "queue-warned", "queue-normal", "queue-deleted", "queue-purged", "queue-exempted",
      "queue-exemption-removed", "connection-closed");

  private final Naming naming;
  private final MonitorConfig monitor;
  private final String vhost;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final QueueStates states;
  private final History history;

  private OperatorCore(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, QueueStates states,
      History history) {
    this.naming = config.naming();
    this.monitor = config.monitor();
    this.vhost = config.rabbit().vhost();
    this.store = store;
    this.rabbit = rabbit;
    this.states = states;
    this.history = history;
  }

  /** The operators' service for the calling verticle, reaching storage and RabbitMQ over the event bus. */
  public static OperatorCore create(Vertx vertx, PulseConfig config) {
    long db = config.database().busTimeoutMillis();
    return new OperatorCore(config, NamespaceStore.createProxy(vertx, db),
        RabbitAdmin.createProxy(vertx, config.rabbit().busTimeoutMillis()), QueueStates.createProxy(vertx, db),
        History.createProxy(vertx, db));
  }

  /** Over the given storage and broker administration (tests give small fakes). */
  static OperatorCore create(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, QueueStates states,
      History history) {
    return new OperatorCore(config, store, rabbit, states, history);
  }

  @Override
  public Future<JsonObject> biggestQueues(JsonObject query) {
    return answer(() -> {
      JsonObject q = query == null ? new JsonObject() : query;
      Object sort = q.getValue("sort");
      if (sort != null && !"messages".equals(sort)) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'sort' can only be 'messages' (the most first)");
      }
      Validation.Page page = Validation.page(q, "b1", BIGGEST_BY_DEFAULT, MAX_BIGGEST, Set.of("sort"));
      if (page.after() != null) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("the biggest queues come in one page: no"
            + " continuationToken");
      }
      return Future.all(rabbit.biggestQueues(vhost, naming.managedQueueFilter(), page.limit()), states.all(),
          states.exemptions()).compose(all -> {
            List<JsonObject> queues = new ArrayList<>();
            Set<String> namespaces = new LinkedHashSet<>();
            for (Object item : all.<JsonArray>resultAt(0)) {
              JsonObject queue = (JsonObject) item;
              String ns = naming.namespaceOfQueue(queue.getString("name"));
              // The broker's filter ignores case: only names of the managed space, exactly, are listed.
              if (ns != null) {
                queues.add(queue.put("namespace", ns));
                namespaces.add(ns);
              }
            }
            Map<String, JsonObject> stateOf = byQueue(all.resultAt(1));
            Map<String, JsonObject> exemptionOf = byQueue(all.resultAt(2));
            return store.findAll(new ArrayList<>(namespaces)).map(records -> {
              Map<String, NamespaceRecord> recordOf = new HashMap<>();
              records.forEach(r -> recordOf.put(r.name(), r));
              JsonArray answer = new JsonArray();
              for (JsonObject queue : queues) {
                NamespaceRecord record = recordOf.get(queue.getString("namespace"));
                long alert = monitor.alertThreshold(record == null ? null : record.alertThreshold());
                long delete = monitor.deleteThreshold(record == null ? null : record.deleteThreshold());
                JsonObject shown = SelfService.queue(queue, new JsonArray(), stateOf.get(queue.getString("name")),
                    exemptionOf.get(queue.getString("name")), alert, delete);
                answer.add(new JsonObject().put("name", shown.getString("name"))
                    .put("namespace", queue.getString("namespace"))
                    .put("messages", shown.getLong("messages"))
                    .put("consumers", shown.getLong("consumers"))
                    .put("state", record == null ? "orphan" : shown.getString("state"))
                    .put("since", shown.getString("since"))
                    .put("alertThreshold", alert)
                    .put("deleteThreshold", delete));
              }
              return new JsonObject().put("queues", answer);
            });
          });
    });
  }

  @Override
  public Future<JsonObject> history(JsonObject query) {
    return answer(() -> {
      JsonObject q = query == null ? new JsonObject() : query.copy();
      Object filter = q.remove("event");
      Validation.Page page = Validation.page(q, "h1", SelfService.HISTORY_BY_DEFAULT, SelfService.MAX_HISTORY,
          Set.of());
      JsonObject ask = new JsonObject().put("limit", page.limit());
      if (filter != null) {
        ask.put("events", events(filter));
      }
      if (page.after() != null) {
        ask.put("before", Validation.historyId(page.after()));
      }
      return history.page(ask).map(SelfService::page);
    });
  }

  private static JsonArray events(Object filter) {
    if (!(filter instanceof String) || ((String) filter).isBlank()) {
      throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'event' must be a comma-separated list of events: "
          + String.join(", ", new TreeSet<>(EVENTS)));
    }
    JsonArray events = new JsonArray();
    for (String event : ((String) filter).split(",")) {
      String name = event.trim();
      if (!EVENTS.contains(name)) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("unknown event '" + Text.printable(name)
            + "' in 'event': the events are " + String.join(", ", new TreeSet<>(EVENTS)));
      }
      events.add(name);
    }
    return events;
  }

  @Override
  public Future<JsonObject> exemptions() {
    return answer(() -> states.exemptions().map(list -> new JsonObject().put("exemptions", new JsonArray(list))));
  }

  @Override
  public Future<JsonObject> putExemption(String queue, JsonObject exemption) {
    return putExemption(queue, exemption, "bus");
  }

  /** Exempts a queue; {@code by} names the operator in the history. */
  public Future<JsonObject> putExemption(String queue, JsonObject exemption, String by) {
    return answer(() -> {
      String ns = managedQueue(queue);
      JsonObject body = exemption == null ? new JsonObject() : exemption;
      for (String field : body.fieldNames()) {
        if (!"reason".equals(field) && !"expires".equals(field)) {
          throw PulseError.INPUT_VALIDATION.exception("unknown field '" + Text.printable(field)
              + "': an exemption has a reason and expires");
        }
      }
      Object reason = body.getValue("reason");
      if (!(reason instanceof String) || ((String) reason).isBlank() || ((String) reason).length() > MAX_REASON
          || !Validation.noControls((String) reason)) {
        throw PulseError.INPUT_VALIDATION.exception("'reason' must say why, in 1 to " + MAX_REASON
            + " characters without control characters");
      }
      Instant now = Instant.now();
      Instant expires;
      try {
        Object raw = body.getValue("expires");
        if (!(raw instanceof String)) {
          throw new DateTimeException("not a string");
        }
        expires = OffsetDateTime.parse((String) raw).toInstant();
      } catch (DateTimeException e) {
        throw PulseError.INPUT_VALIDATION.exception("'expires' must be an ISO 8601 date-time with a zone, such as"
            + " 2030-01-01T00:00:00Z");
      }
      if (!expires.isAfter(now) || expires.isAfter(now.plus(MAX_EXEMPTION))) {
        throw PulseError.INPUT_VALIDATION.exception("'expires' must be in the future and at most "
            + MAX_EXEMPTION.toDays() + " days ahead: an exemption is reviewed at least once a year");
      }
      log.info("Queue {} exempted from the monitor until {} by {}: {}", Text.loggable(queue), expires,
          Text.loggable(by), Text.loggable((String) reason));
      return states.putExemption(new JsonObject().put("queue", queue).put("namespace", ns)
          .put("reason", ((String) reason).trim()).put("expires", expires).put("by", by));
    });
  }

  @Override
  public Future<Void> removeExemption(String queue) {
    return removeExemption(queue, "bus");
  }

  /** Ends a queue's exemption; {@code by} names the operator in the history. */
  public Future<Void> removeExemption(String queue, String by) {
    return answer(() -> {
      managedQueue(queue);
      return states.removeExemption(queue, by).compose(removed -> removed ? Future.<Void>succeededFuture()
          : PulseError.RESOURCE_NOT_FOUND.fail("Queue '" + Text.printable(queue) + "' has no exemption"));
    });
  }

  /** A queue of the managed space ({@code queue/<ns>/...}), answering its namespace; else InputValidationError. */
  private String managedQueue(String queue) {
    String ns = queue == null ? null : naming.namespaceOfQueue(queue);
    if (ns == null || queue.length() == ("queue/" + ns + "/").length() || queue.length() > 255
        || !Validation.noControls(queue)) {
      throw PulseError.INPUT_VALIDATION.exception("'" + Text.printable(String.valueOf(queue)) + "' is not a queue"
          + " of a namespace: queues are named queue/<namespace>/<name>");
    }
    return ns;
  }

  private static Map<String, JsonObject> byQueue(List<JsonObject> rows) {
    Map<String, JsonObject> byQueue = new HashMap<>();
    rows.forEach(row -> byQueue.put(row.getString("queue"), row));
    return byQueue;
  }

  private static <T> Future<T> answer(Supplier<Future<T>> call) {
    return Calls.coded(log, "the operators' service", call);
  }
}
