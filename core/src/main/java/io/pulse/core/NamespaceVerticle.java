package io.pulse.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.client.NamespaceService;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceBinder;

/** Serves {@link NamespaceService} on the event bus at {@link NamespaceService#ADDRESS}, for co-deployed verticles. */
public final class NamespaceVerticle extends VerticleBase {

  private final PulseConfig config;
  private final MeterRegistry meters;
  private MessageConsumer<JsonObject> consumer;

  public NamespaceVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    consumer = new ServiceBinder(vertx).setAddress(NamespaceService.ADDRESS)
        .registerLocal(NamespaceService.class, NamespaceCore.create(vertx, config, meters));
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }
}
