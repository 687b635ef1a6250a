package io.pulse.core.fakes;

import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link QueueStates} in memory, changed only at the version read, as the SQL does. */
public final class FakeQueueStates implements QueueStates {

  public final Map<String, JsonObject> states = new LinkedHashMap<>();
  /** When true, reads answer each state one version behind: as if another replica changed it since. */
  public boolean readsAreStale;

  @Override
  public Future<List<JsonObject>> all() {
    List<JsonObject> all = new ArrayList<>();
    states.values().forEach(s -> all.add(readsAreStale ? s.copy().put("version", s.getInteger("version") - 1)
        : s.copy()));
    return Future.succeededFuture(all);
  }

  @Override
  public Future<Boolean> insert(JsonObject state) {
    String queue = state.getString("queue");
    if (states.containsKey(queue)) {
      return Future.succeededFuture(false);
    }
    states.put(queue, state.copy().put("version", 1));
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Boolean> update(JsonObject state, int version) {
    JsonObject current = states.get(state.getString("queue"));
    if (current == null || current.getInteger("version") != version) {
      return Future.succeededFuture(false);
    }
    states.put(state.getString("queue"), state.copy().put("version", version + 1));
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Boolean> remove(String queue, int version) {
    JsonObject current = states.get(queue);
    if (current == null || current.getInteger("version") != version) {
      return Future.succeededFuture(false);
    }
    states.remove(queue);
    return Future.succeededFuture(true);
  }

  public final Map<String, JsonObject> exemptions = new LinkedHashMap<>();

  @Override
  public Future<List<JsonObject>> exemptions() {
    return Future.succeededFuture(exemptions.values().stream().map(JsonObject::copy).toList());
  }

  @Override
  public Future<JsonObject> putExemption(JsonObject exemption) {
    JsonObject stored = exemption.copy().put("created", java.time.Instant.now().toString());
    exemptions.put(exemption.getString("queue"), stored);
    return Future.succeededFuture(stored.copy());
  }

  @Override
  public Future<Boolean> removeExemption(String queue, String by) {
    return Future.succeededFuture(exemptions.remove(queue) != null);
  }

  @Override
  public Future<Integer> pruneExemptions() {
    int before = exemptions.size();
    java.time.Instant now = java.time.Instant.now();
    exemptions.values().removeIf(e -> java.time.Instant.parse(e.getString("expires")).isBefore(now));
    return Future.succeededFuture(before - exemptions.size());
  }
}
