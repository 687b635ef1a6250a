package io.pulse.core.fakes;

import io.pulse.store.api.History;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** {@link History} in memory: every recorded event, newest last; pages newest first, by descending id. */
public final class FakeHistory implements History {

  public final List<JsonObject> events = new ArrayList<>();

  @Override
  public Future<Void> record(String namespace, String event, JsonObject detail) {
    Instant now = Instant.now();
    events.add(detail.copy().put("id", (long) events.size() + 1).put("namespace", namespace).put("event", event)
        .put("at", now.toString()).put("first", now.toString()).put("count", 1));
    return Future.succeededFuture();
  }

  @Override
  public Future<JsonObject> page(JsonObject query) {
    String namespace = query.getString("namespace");
    JsonArray kinds = query.getJsonArray("events");
    Long before = query.getLong("before");
    int limit = query.getInteger("limit", 50);
    List<JsonObject> page = new ArrayList<>();
    boolean more = false;
    for (int i = events.size() - 1; i >= 0; i--) {
      JsonObject e = events.get(i);
      if ((namespace == null || namespace.equals(e.getString("namespace")))
          && (kinds == null || kinds.contains(e.getString("event")))
          && (before == null || e.getLong("id") < before)) {
        if (page.size() == limit) {
          more = true;
          break;
        }
        page.add(e.copy());
      }
    }
    return Future.succeededFuture(new JsonObject().put("events", new JsonArray(page)).put("more", more));
  }

  @Override
  public Future<Integer> prune(long retentionSeconds, int limit) {
    return Future.succeededFuture(0);
  }
}
