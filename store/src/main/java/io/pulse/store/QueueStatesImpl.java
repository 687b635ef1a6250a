package io.pulse.store;

import io.pulse.client.Dates;
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

  @Override
  public Future<List<JsonObject>> exemptions() {
    return db.query(Sql.EXEMPTIONS, Tuple.tuple()).map(rows -> {
      List<JsonObject> exemptions = new ArrayList<>(rows.size());
      rows.forEach(row -> exemptions.add(exemption(row)));
      return exemptions;
    });
  }

  @Override
  public Future<JsonObject> putExemption(JsonObject exemption) {
    return db.query(Sql.PUT_EXEMPTION, Tuple.of(exemption.getString("queue"), exemption.getString("namespace"),
            exemption.getString("reason"), time(exemption, "expires"), exemption.getString("by")))
        .map(rows -> exemption(rows.iterator().next()));
  }

  @Override
  public Future<Boolean> removeExemption(String queue, String by) {
    return db.query(Sql.DELETE_EXEMPTION, Tuple.of(queue, by)).map(rows -> rows.size() > 0);
  }

  @Override
  public Future<Integer> pruneExemptions() {
    return db.query(Sql.PRUNE_EXEMPTIONS, Tuple.tuple()).map(rows -> rows.rowCount());
  }

  private static JsonObject exemption(Row row) {
    return new JsonObject()
        .put("queue", row.getString("queue"))
        .put("namespace", row.getString("namespace"))
        .put("reason", row.getString("reason"))
        .put("expires", Dates.iso(row.getOffsetDateTime("expires").toInstant()))
        .put("created", Dates.iso(row.getOffsetDateTime("created").toInstant()))
        .put("by", row.getString("created_by"));
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
