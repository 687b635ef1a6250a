package io.pulse.store;

import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

final class QueueStatesImpl implements QueueStates {

  private final NamespaceStoreImpl db;

  QueueStatesImpl(NamespaceStoreImpl db) {
    this.db = db;
  }

  @Override
  public Future<List<JsonObject>> all() {
    return db.query(Sql.QUEUE_STATES, Tuple.tuple()).map(rows -> {
      List<JsonObject> states = new ArrayList<>(rows.size());
      rows.forEach(row -> states.add(toJson(row)));
      return states;
    });
  }

  @Override
  public Future<Boolean> insert(JsonObject state) {
    return db.query(Sql.INSERT_QUEUE_STATE, Tuple.of(state.getString("queue"), state.getString("namespace"),
            state.getString("state"), state.getLong("messages", 0L), time(state, "aboveSince"),
            time(state, "notifiedAt")))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Boolean> update(JsonObject state, int version) {
    return db.query(Sql.UPDATE_QUEUE_STATE, Tuple.of(state.getString("queue"), state.getString("state"),
            state.getLong("messages", 0L), time(state, "aboveSince"), time(state, "notifiedAt"), version))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Boolean> remove(String queue, int version) {
    return db.query(Sql.REMOVE_QUEUE_STATE, Tuple.of(queue, version)).map(rows -> rows.rowCount() == 1);
  }

  private static OffsetDateTime time(JsonObject state, String key) {
    Instant instant = state.getInstant(key);
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  private static JsonObject toJson(Row row) {
    JsonObject json = new JsonObject()
        .put("queue", row.getString("queue"))
        .put("namespace", row.getString("namespace"))
        .put("state", row.getString("state"))
        .put("messages", row.getLong("messages"))
        .put("version", row.getInteger("version"));
    OffsetDateTime above = row.getOffsetDateTime("above_since");
    OffsetDateTime notified = row.getOffsetDateTime("notified_at");
    if (above != null) {
      json.put("aboveSince", above.toInstant());
    }
    if (notified != null) {
      json.put("notifiedAt", notified.toInstant());
    }
    return json;
  }
}
