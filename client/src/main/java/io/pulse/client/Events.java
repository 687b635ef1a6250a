package io.pulse.client;

/** Where the service publishes its events on the event bus (plain {@code publish} of JSON objects). */
public final class Events {

  /**
   * A managed queue changed state: {@code {"namespace", "queue", "state": "warning"|"normal"|"deleted", "messages",
   * "alertThreshold", "deleteThreshold", "time"}}.
   */
  public static final String QUEUE_EVENTS = "pulse.monitor.queue-events";

  private Events() {
  }
}
