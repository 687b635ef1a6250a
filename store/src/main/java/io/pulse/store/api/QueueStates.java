package io.pulse.store.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The monitor's record of queues it told owners about, served by the store verticle at {@link #ADDRESS}. A state is
 * {@code {"queue", "namespace", "state": "normal"|"warning"|"deleted", "messages", "aboveSince"?, "notifiedAt"?,
 * "version"}}. Changes are conditional on the version read, so of several replicas exactly one makes each change
 * (and sends its notice).
 */
@ProxyGen
@VertxGen
public interface QueueStates {

  String ADDRESS = "pulse.store.queue-states";

  static QueueStates createProxy(Vertx vertx, long timeoutMillis) {
    // Local only: answers may carry passwords, which must never cross a clustered event bus.
    return new QueueStatesVertxEBProxy(vertx, ADDRESS,
        new DeliveryOptions().setSendTimeout(timeoutMillis).setLocalOnly(true));
  }

  /** Every recorded state. */
  Future<List<JsonObject>> all();

  /** Records a state for a queue that has none; false when another replica recorded one first. */
  Future<Boolean> insert(JsonObject state);

  /** Replaces a state read at {@code version}; false when it changed since. */
  Future<Boolean> update(JsonObject state, int version);

  /** Forgets a state read at {@code version}; false when it changed since. */
  Future<Boolean> remove(String queue, int version);

  /**
   * The exemptions in force: {@code [{"queue", "namespace", "reason", "expires", "created", "by"}]}, by queue. An
   * exempt queue is neither warned about nor deleted by the monitor.
   */
  Future<List<JsonObject>> exemptions();

  /** Exempts a queue ({@code {"queue", "namespace", "reason", "expires", "by"}}), or replaces its exemption. */
  Future<JsonObject> putExemption(JsonObject exemption);

  /** Ends a queue's exemption; false when it had none. */
  Future<Boolean> removeExemption(String queue, String by);

  /** Deletes the exemptions that expired; answers how many. */
  Future<Integer> pruneExemptions();
}
