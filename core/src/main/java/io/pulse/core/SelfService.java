package io.pulse.core;

import io.pulse.client.Dates;
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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an owner sees and fixes of their own namespace: its settings (contacts, thresholds), its queues with their
 * sizes, states and bindings, its users' connections, its history; and a purge or deletion of one of its queues. Every
 * queue is matched to the namespace exactly ({@link Naming#ownsQueue}); the broker's name filters only narrow listings.
 */
final class SelfService {

  private static final Logger log = LoggerFactory.getLogger(SelfService.class);
  static final int MAX_CONTACTS = 5;
  static final int QUEUES_BY_DEFAULT = 50;
  static final int MAX_QUEUES = 200;
  static final int HISTORY_BY_DEFAULT = 100;
  static final int MAX_HISTORY = 1000;
  /** Bindings are read per queue: this many calls at once, so a page does not crowd the management API. */
  private static final int BINDING_CALLS_AT_ONCE = 8;

  private final PulseConfig config;
  private final MonitorConfig monitor;
  private final Naming naming;
  private final String vhost;
  private final NamespaceStore store;
  private final RabbitAdmin rabbit;
  private final QueueStates states;
  private final History history;

  SelfService(PulseConfig config, NamespaceStore store, RabbitAdmin rabbit, QueueStates states, History history) {
    this.config = config;
    this.monitor = config.monitor();
    this.naming = config.naming();
    this.vhost = config.rabbit().vhost();
    this.store = store;
    this.rabbit = rabbit;
    this.states = states;
    this.history = history;
  }

  Future<JsonObject> details(String namespace) {
    return live(namespace).map(this::details);
  }

  /** The owner's view of a record: the values in force, what the owner set, and the bounds. */
  JsonObject details(NamespaceRecord record) {
    JsonObject own = new JsonObject();
    if (record.contacts() != null) {
      own.put("contacts", new JsonArray(record.contacts()));
    }
    if (record.alertThreshold() != null) {
      own.put("alertThreshold", record.alertThreshold());
    }
    if (record.deleteThreshold() != null) {
      own.put("deleteThreshold", record.deleteThreshold());
    }
    return NamespaceCore.summary(record)
        .put("reclaimAt", Dates.iso(Claims.reclaimAt(record, config.lifecycle().rotationInterval())))
        .put("contacts", new JsonArray(record.effectiveContacts()))
        .put("alertThreshold", monitor.alertThreshold(record.alertThreshold()))
        .put("deleteThreshold", monitor.deleteThreshold(record.deleteThreshold()))
        .put("own", own)
        .put("limits", new JsonObject()
            .put("maxAlertThreshold", monitor.maxAlertThreshold())
            .put("maxDeleteThreshold", monitor.maxDeleteThreshold())
            .put("maxContacts", MAX_CONTACTS));
  }

  Future<JsonObject> update(String namespace, JsonObject changes, String by) {
    JsonObject valid = Validation.settings(changes, MAX_CONTACTS, monitor.maxAlertThreshold(),
        monitor.maxDeleteThreshold());
    return live(namespace).compose(record -> {
      Long alert = valid.containsKey("alertThreshold") ? valid.getLong("alertThreshold") : record.alertThreshold();
      Long delete = valid.containsKey("deleteThreshold") ? valid.getLong("deleteThreshold") : record.deleteThreshold();
      Validation.thresholds(monitor.alertThreshold(alert), monitor.deleteThreshold(delete));
      return store.updateSettings(namespace, valid, by);
    }).compose(updated -> {
      if (updated == null) {
        return PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + namespace + "' does not exist");
      }
      log.info("Namespace {} settings changed by {}: {}", namespace, Text.loggable(by), valid.fieldNames());
      return Future.succeededFuture(details(updated));
    });
  }

  Future<JsonObject> queues(String namespace, JsonObject query) {
    Validation.Page page = Validation.page(query, "q1", QUEUES_BY_DEFAULT, MAX_QUEUES, Set.of());
    return live(namespace).compose(record -> Future.all(rabbit.queueDetails(vhost, naming.queueFilter(namespace)),
        states.all(), states.exemptions()).compose(all -> {
          JsonArray listed = all.resultAt(0);
          List<JsonObject> own = new ArrayList<>();
          for (Object item : listed) {
            JsonObject queue = (JsonObject) item;
            String name = queue.getString("name");
            if (naming.ownsQueue(namespace, name) && (page.after() == null || name.compareTo(page.after()) > 0)) {
              own.add(queue);
            }
          }
          own.sort(Comparator.comparing(q -> q.getString("name")));
          List<JsonObject> shown = own.subList(0, Math.min(page.limit(), own.size()));
          Map<String, JsonObject> stateOf = byQueue(all.resultAt(1));
          Map<String, JsonObject> exemptionOf = byQueue(all.resultAt(2));
          long alert = monitor.alertThreshold(record.alertThreshold());
          long delete = monitor.deleteThreshold(record.deleteThreshold());
          return Lanes.map(shown, BINDING_CALLS_AT_ONCE, q -> rabbit.queueBindings(vhost, q.getString("name")))
              .map(bindings -> {
                JsonArray queues = new JsonArray();
                for (int i = 0; i < shown.size(); i++) {
                  String name = shown.get(i).getString("name");
                  queues.add(queue(shown.get(i), bindings.get(i), stateOf.get(name), exemptionOf.get(name), alert,
                      delete));
                }
                JsonObject answer = new JsonObject().put("namespace", namespace).put("alertThreshold", alert)
                    .put("deleteThreshold", delete).put("queues", queues);
                if (own.size() > shown.size()) {
                  answer.put("continuationToken", Validation.token("q1", shown.get(shown.size() - 1).getString("name")));
                }
                return answer;
              });
        }));
  }

  /** One queue as an owner sees it; its state is what the monitor makes of its size now. */
  static JsonObject queue(JsonObject listed, JsonArray bindings, JsonObject state, JsonObject exemption, long alert,
      long delete) {
    long messages = listed.getLong("messages", 0L);
    JsonObject stats = listed.getJsonObject("message_stats", new JsonObject());
    JsonObject queue = new JsonObject()
        .put("name", listed.getString("name"))
        .put("messages", messages)
        .put("ready", listed.getLong("messages_ready", 0L))
        .put("unacknowledged", listed.getLong("messages_unacknowledged", 0L))
        .put("consumers", listed.getLong("consumers", 0L))
        .put("publishRate", rate(stats, "publish_details"))
        .put("deliverRate", rate(stats, "deliver_get_details"))
        .put("durable", listed.getBoolean("durable", false))
        .put("autoDelete", listed.getBoolean("auto_delete", false));
    String since = state == null ? null : state.getString("aboveSince", state.getString("notifiedAt"));
    if (exemption != null) {
      queue.put("state", "exempt").put("since", exemption.getString("created"))
          .put("exemption", new JsonObject().put("reason", exemption.getString("reason"))
              .put("expires", exemption.getString("expires")));
    } else if (messages > delete) {
      queue.put("state", "deleting").put("since", since);
    } else if (messages > alert || state != null && "warning".equals(state.getString("state"))) {
      queue.put("state", "warning").put("since", since);
    } else {
      queue.put("state", "normal").putNull("since");
    }
    JsonArray routes = new JsonArray();
    for (Object item : bindings) {
      JsonObject binding = (JsonObject) item;
      // The default exchange's implicit binding of every queue to its own name says nothing to an owner.
      if (!binding.getString("source", "").isEmpty()) {
        routes.add(new JsonObject().put("exchange", binding.getString("source"))
            .put("routingKey", binding.getString("routing_key", "")));
      }
    }
    return queue.put("bindings", routes);
  }

  private static double rate(JsonObject stats, String key) {
    JsonObject details = stats.getJsonObject(key);
    return details == null ? 0.0 : details.getDouble("rate", 0.0);
  }

  private static Map<String, JsonObject> byQueue(List<JsonObject> rows) {
    Map<String, JsonObject> byQueue = new HashMap<>();
    rows.forEach(row -> byQueue.put(row.getString("queue"), row));
    return byQueue;
  }

  Future<JsonObject> connections(String namespace) {
    return live(namespace).compose(record -> {
      List<String> users = List.of(naming.username(namespace, 1), naming.username(namespace, 2));
      return Future.all(users.stream().map(rabbit::userConnections).toList()).map(all -> {
        JsonArray connections = new JsonArray();
        for (int i = 0; i < users.size(); i++) {
          for (Object item : all.<JsonArray>resultAt(i)) {
            JsonObject c = (JsonObject) item;
            if (users.get(i).equals(c.getString("user")) && vhost.equals(c.getString("vhost"))) {
              connections.add(connection(c));
            }
          }
        }
        return new JsonObject().put("namespace", namespace).put("connections", connections);
      });
    });
  }

  private static JsonObject connection(JsonObject c) {
    JsonObject client = c.getJsonObject("client_properties", new JsonObject());
    Long connectedAt = c.getLong("connected_at");
    return new JsonObject()
        .put("user", c.getString("user"))
        .put("name", c.getString("name"))
        .put("peerHost", c.getString("peer_host"))
        .put("peerPort", c.getInteger("peer_port"))
        .put("since", connectedAt == null ? null : Dates.iso(Instant.ofEpochMilli(connectedAt)))
        .put("channels", c.getInteger("channels", 0))
        .put("client", new JsonObject()
            .put("product", text(client, "product"))
            .put("version", text(client, "version"))
            .put("platform", text(client, "platform"))
            .put("connectionName", text(client, "connection_name") != null ? text(client, "connection_name")
                : text(c, "user_provided_name")));
  }

  /** Client properties are whatever the client sent: strings only, bounded. */
  private static String text(JsonObject properties, String key) {
    Object value = properties.getValue(key);
    if (!(value instanceof String)) {
      return null;
    }
    String text = (String) value;
    return text.length() > 200 ? text.substring(0, 200) : text;
  }

  Future<Void> deleteQueue(String namespace, String queue, String by) {
    Validation.ownQueue(naming, namespace, queue);
    return existingQueue(namespace, queue).compose(found -> rabbit.deleteQueue(vhost, queue)
        .compose(v -> history.record(namespace, "queue-deleted", new JsonObject().put("queue", queue)
            .put("messages", found.getLong("messages", 0L)).put("by", by)))
        .onSuccess(v -> log.info("Queue {} of namespace {} deleted by {} ({} messages)", Text.loggable(queue),
            namespace, Text.loggable(by), found.getLong("messages", 0L))));
  }

  Future<JsonObject> purgeQueue(String namespace, String queue, String by) {
    Validation.ownQueue(naming, namespace, queue);
    return existingQueue(namespace, queue).compose(found -> rabbit.purgeQueue(vhost, queue).compose(purged -> {
      if (!purged) {
        return PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + namespace + "' has no queue '"
            + Text.printable(queue) + "'");
      }
      long ready = found.getLong("messages_ready", 0L);
      log.info("Queue {} of namespace {} purged by {} ({} ready messages)", Text.loggable(queue), namespace,
          Text.loggable(by), ready);
      return history.record(namespace, "queue-purged", new JsonObject().put("queue", queue).put("messages", ready)
          .put("by", by)).map(new JsonObject().put("queue", queue).put("purged", ready));
    }));
  }

  private Future<JsonObject> existingQueue(String namespace, String queue) {
    return live(namespace).compose(record -> rabbit.getQueue(vhost, queue)).compose(found -> found == null
        ? PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + namespace + "' has no queue '" + Text.printable(queue)
            + "'")
        : Future.succeededFuture(found));
  }

  /** The namespace's history: it need not exist any more (an owner can read why it is gone). */
  Future<JsonObject> history(String namespace, JsonObject query) {
    Validation.Page page = Validation.page(query, "h1", HISTORY_BY_DEFAULT, MAX_HISTORY, Set.of());
    JsonObject ask = new JsonObject().put("namespace", namespace).put("limit", page.limit());
    if (page.after() != null) {
      ask.put("before", Validation.historyId(page.after()));
    }
    return history.page(ask).map(found -> page(found).put("namespace", namespace));
  }

  /** A page of the store's events as the API answers it, with the token of the next page when there is one. */
  static JsonObject page(JsonObject found) {
    JsonArray events = found.getJsonArray("events");
    JsonObject answer = new JsonObject().put("events", events);
    if (found.getBoolean("more", false) && !events.isEmpty()) {
      answer.put("continuationToken", Validation.token("h1",
          String.valueOf(events.getJsonObject(events.size() - 1).getLong("id"))));
    }
    return answer;
  }

  /** The live (provisioned, not being removed) record of a namespace, or ResourceNotFound. */
  private Future<NamespaceRecord> live(String namespace) {
    return store.find(namespace).compose(record -> record == null || record.expiring()
        ? PulseError.RESOURCE_NOT_FOUND.fail("Namespace '" + namespace + "' does not exist")
        : Future.succeededFuture(record));
  }
}
