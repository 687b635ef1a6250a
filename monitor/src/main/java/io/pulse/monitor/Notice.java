package io.pulse.monitor;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** One thing a queue's owner is told: the state it entered (or a reminder), with the counts, as mail and event. */
record Notice(Kind kind, String namespace, String queue, long messages, long alertThreshold, long deleteThreshold) {

  enum Kind {
    WARNING("warning"), REMINDER("warning"), NORMAL("normal"), DELETED("deleted");

    /** The state the queue is in after this notice: the routing key's second part. */
    final String state;

    Kind(String state) {
      this.state = state;
    }
  }

  /** Reminders are not state changes: they are mailed, not published. */
  boolean isStateChange() {
    return kind != Kind.REMINDER;
  }

  String routingKey() {
    return namespace + "." + kind.state;
  }

  JsonObject event() {
    return new JsonObject()
        .put("namespace", namespace)
        .put("queue", queue)
        .put("state", kind.state)
        .put("messages", messages)
        .put("alertThreshold", alertThreshold)
        .put("deleteThreshold", deleteThreshold)
        .put("time", Instant.now().toString());
  }

  String subject() {
    switch (kind) {
      case WARNING:
        return "[pulse] Queue " + queue + " has " + messages + " messages waiting";
      case REMINDER:
        return "[pulse] Reminder: queue " + queue + " still has " + messages + " messages waiting";
      case NORMAL:
        return "[pulse] Queue " + queue + " is back to normal";
      default:
        return "[pulse] Queue " + queue + " was deleted with " + messages + " messages";
    }
  }

  String body() {
    String cause = "The usual cause is a consumer that stopped or fell behind: a crashed or scaled-down worker, a bug"
        + " that stops acknowledging messages, or bindings that route more messages than the consumer can handle.";
    switch (kind) {
      case WARNING:
      case REMINDER:
        return "The queue " + queue + " in your Pulse namespace " + namespace + " holds " + messages
            + " messages" + (kind == Kind.REMINDER ? ", and has held more than " + alertThreshold
            + " since the first warning" : "") + ".\n\n"
            + "Queues above " + alertThreshold + " messages get this warning. A queue above " + deleteThreshold
            + " messages is deleted, with its messages, to protect the broker that every namespace shares.\n\n"
            + cause + " Start or fix the consumer, or delete the queue if you no longer need it.\n\n"
            + "You will hear again when the queue is back to normal, and at most once a day while it stays above "
            + alertThreshold + " messages.\n";
      case NORMAL:
        return "The queue " + queue + " in your Pulse namespace " + namespace + " is back to " + messages
            + " messages, at or below the warning threshold of " + alertThreshold + ". Nothing more to do.\n";
      default:
        return "The queue " + queue + " in your Pulse namespace " + namespace + " held " + messages
            + " messages, more than the limit of " + deleteThreshold + ", and was deleted. Those " + messages
            + " messages are lost.\n\n" + cause + "\n\n"
            + "Declare the queue again once its consumer runs; bindings must be declared again too.\n";
    }
  }
}
