package io.pulse.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.client.NamespaceService;
import io.pulse.client.NamespaceServiceVertxProxyHandler;
import io.pulse.client.PulseAdminService;
import io.pulse.client.PulseAdminServiceVertxProxyHandler;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Serves {@link NamespaceService} on the event bus at {@link NamespaceService#ADDRESS} (and the operators'
 * {@link PulseAdminService} at {@link PulseAdminService#ADDRESS}), for co-deployed verticles, on
 * this Vert.x instance only (answers carry passwords); messages that break its wire contract are refused with a 400
 * before they reach the service ({@link ServiceEndpoint}).
 */
public final class NamespaceVerticle extends VerticleBase {

  private final PulseConfig config;
  private final MeterRegistry meters;
  private MessageConsumer<Object> consumer;
  private MessageConsumer<Object> adminConsumer;

  public NamespaceVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    NamespaceService service = NamespaceCore.create(vertx, config, meters);
    consumer = ServiceEndpoint.registerLocal(vertx, NamespaceService.ADDRESS, NamespaceService.class,
        new NamespaceServiceVertxProxyHandler(vertx, service, true,
            NamespaceServiceVertxProxyHandler.DEFAULT_CONNECTION_TIMEOUT));
    adminConsumer = ServiceEndpoint.registerLocal(vertx, PulseAdminService.ADDRESS, PulseAdminService.class,
        new PulseAdminServiceVertxProxyHandler(vertx, OperatorCore.create(vertx, config), true,
            PulseAdminServiceVertxProxyHandler.DEFAULT_CONNECTION_TIMEOUT));
    return Future.all(consumer.completion(), adminConsumer.completion());
  }

  @Override
  public Future<?> stop() {
    return Future.all(consumer.unregister(), adminConsumer.unregister());
  }
}
