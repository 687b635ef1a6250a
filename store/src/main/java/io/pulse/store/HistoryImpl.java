package io.pulse.store;

import io.pulse.client.Dates;
import io.pulse.store.api.History;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

final class HistoryImpl implements History {

  private final NamespaceStoreImpl db;

  HistoryImpl(NamespaceStoreImpl db) {
    this.db = db;
  }

  @Override
  public Future<Void> record(String namespace, String event, JsonObject detail) {
    return db.query(Sql.RECORD_EVENT, Tuple.of(namespace, event, detail == null ? new JsonObject() : detail))
        .mapEmpty();
  }

  @Override
  public Future<JsonObject> page(JsonObject query) {
    int limit = query.getInteger("limit", 100);
    long before = query.getLong("before", Long.MAX_VALUE);
    String namespace = query.getString("namespace");
    JsonArray events = query.getJsonArray("events");
    // One more than asked, to tell whether there is a next page.
    Future<RowSet<Row>> rows;
    if (namespace != null) {
      rows = db.query(Sql.HISTORY_OF, Tuple.of(namespace, before, limit + 1));
    } else if (events != null && !events.isEmpty()) {
      rows = db.query(Sql.HISTORY_EVENTS, Tuple.of(before,
          events.stream().map(String::valueOf).toArray(String[]::new), limit + 1));
    } else {
      rows = db.query(Sql.HISTORY_ALL, Tuple.of(before, limit + 1));
    }
    return rows.map(set -> {
      JsonArray page = new JsonArray();
      for (Row row : set) {
        if (page.size() == limit) {
          break;
        }
        page.add(toJson(row));
      }
      return new JsonObject().put("events", page).put("more", set.size() > limit);
    });
  }

  @Override
  public Future<Integer> prune(long retentionSeconds, int limit) {
    return db.query(Sql.PRUNE_HISTORY, Tuple.of((double) retentionSeconds, limit)).map(RowSet::rowCount);
  }

  /** The columns first, then the details (a detail never overrides a column). */
  private static JsonObject toJson(Row row) {
    JsonObject event = new JsonObject()
        .put("id", row.getLong("id"))
        .put("namespace", row.getString("namespace"))
        .put("event", row.getString("event"))
        .put("at", Dates.iso(row.getOffsetDateTime("at").toInstant()));
    int count = row.getInteger("count");
    if (count > 1 || !row.getOffsetDateTime("first_at").equals(row.getOffsetDateTime("at"))) {
      event.put("count", count).put("first", Dates.iso(row.getOffsetDateTime("first_at").toInstant()));
    }
    Object detail = row.getValue("detail");
    if (detail instanceof JsonObject) {
      ((JsonObject) detail).forEach(entry -> {
        if (!event.containsKey(entry.getKey())) {
          event.put(entry.getKey(), entry.getValue());
        }
      });
    }
    return event;
  }
}
