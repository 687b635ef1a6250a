package io.pulse.store.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * What happened to each namespace, served by the store verticle at {@link #ADDRESS}. An event is {@code {"id",
 * "namespace", "event", "at", "first", "count", ...detail}}: routine events (renewed, rotated) are counted into one
 * event per namespace and UTC day ({@code count} of them from {@code first} to {@code at}); the others are one each.
 * The store itself records claimed, renewed, rotated, revoked, expired, removed, updated and exemption events in the
 * statements that make those changes; others (the monitor's, reconciliation's, an owner's queue actions) come through
 * {@link #record}.
 */
@ProxyGen
@VertxGen
public interface History {

  String ADDRESS = "pulse.store.history";

  static History createProxy(Vertx vertx, long timeoutMillis) {
    return new HistoryVertxEBProxy(vertx, ADDRESS,
        new DeliveryOptions().setSendTimeout(timeoutMillis).setLocalOnly(true));
  }

  /** Records one event of a namespace, with its details (a JSON object of plain values). */
  Future<Void> record(String namespace, String event, JsonObject detail);

  /**
   * A page of events, newest first: {@code query} is {@code {"namespace"?, "events"?: [names], "before"?: id,
   * "limit": n}}; answers {@code {"events": [...], "more": boolean}}.
   */
  Future<JsonObject> page(JsonObject query);

  /** Deletes up to {@code limit} events older than {@code retentionSeconds}; answers how many went. */
  Future<Integer> prune(long retentionSeconds, int limit);
}
