package io.pulse.monitor;

import io.vertx.core.Future;

import java.util.function.Predicate;

/** Where a sweep reads the queues of the vhost and their message counts; only names {@code keep} accepts are kept. */
interface DepthSource {

  Future<QueueDepths> read(Predicate<String> keep);

  /** What the source is, for logs: never with a credential. */
  String describe();
}
