package io.pulse.api.impl;

import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.api.NamespaceService;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceBinder;

/** Serves {@link NamespaceService} on the event bus, for the HTTP verticle and for co-deployed verticles. */
public final class NamespaceVerticle extends VerticleBase {

  private final PulseConfig config;
  private final MeterRegistry meters;
  private MessageConsumer<JsonObject> consumer;

  public NamespaceVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  /** How long a call to a dependency may take before the caller hears 503: its own timeout plus slack. */
  static long storeTimeoutMillis(PulseConfig config) {
    return 2 * config.dbTimeout().toMillis() + 1000;
  }

  static long rabbitTimeoutMillis(PulseConfig config) {
    return 2 * config.rabbitTimeout().toMillis() + 1000;
  }

  /**
   * Bounds a whole call: a claim's two rounds of RabbitMQ calls and its database calls (a claim may wait up to 5 s for
   * a removal in progress), or a revocation's wait for its lease and its removal steps, plus slack.
   */
  public static long serviceTimeoutMillis(PulseConfig config) {
    return 6 * rabbitTimeoutMillis(config) + 2 * storeTimeoutMillis(config) + 6000;
  }

  @Override
  public Future<?> start() {
    NamespaceStore store = NamespaceStore.createProxy(vertx, storeTimeoutMillis(config));
    RabbitAdmin rabbit = RabbitAdmin.createProxy(vertx, rabbitTimeoutMillis(config));
    NamespaceService service = new MeteredNamespaceService(new NamespaceServiceImpl(config, store, rabbit,
        new Lifecycle(vertx, config, store, rabbit)), meters);
    consumer = new ServiceBinder(vertx).setAddress(NamespaceService.ADDRESS).register(NamespaceService.class, service);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }
}
