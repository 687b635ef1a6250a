package io.pulse.client;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * What an operator sees across all namespaces (the REST API's routes under scope {@code pulse:admin}), served at
 * {@link #ADDRESS} by the namespace verticle beside {@link NamespaceService}, with the same wire format, errors and
 * trust (callers on the bus are not checked for scopes).
 */
@ProxyGen
@VertxGen
public interface PulseAdminService {

  String ADDRESS = "pulse.admin";

  /** A proxy for co-deployed code; {@code timeoutMillis} bounds each call (see {@link NamespaceService#createProxy}). */
  static PulseAdminService createProxy(Vertx vertx, long timeoutMillis) {
    return new PulseAdminServiceVertxEBProxy(vertx, ADDRESS,
        new DeliveryOptions().setSendTimeout(timeoutMillis).setLocalOnly(true));
  }

  /**
   * The biggest queues of the managed space, the most messages first: {@code query} is {@code {"sort"?: "messages",
   * "limit"?: 1..500}}; answers {@code {"queues": [{"name", "namespace", "messages", "consumers", "state", "since"?}]}}.
   */
  Future<JsonObject> biggestQueues(JsonObject query);

  /**
   * Every namespace's history, newest first: {@code query} is {@code {"limit"?: 1..1000, "continuationToken"?,
   * "event"?: "queue-warned,queue-deleted,..."}}; answers {@code {"events": [...], "continuationToken"?}}.
   */
  Future<JsonObject> history(JsonObject query);

  /** The exemptions in force: {@code {"exemptions": [{"queue", "namespace", "reason", "expires", "created", "by"}]}}. */
  Future<JsonObject> exemptions();

  /**
   * Exempts a queue ({@code queue/<ns>/...}) from the monitor until {@code exemption.expires}: {@code {"reason":
   * text, "expires": ISO date-time}}; answers the exemption.
   */
  Future<JsonObject> putExemption(String queue, JsonObject exemption);

  /** Ends a queue's exemption; fails with ResourceNotFound when it has none. */
  Future<Void> removeExemption(String queue);
}
