package io.pulse.monitor;

import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker monitor's place in the deployment. It does not sweep yet: queue, orphan and connection monitoring
 * come with their own issue. It is deployed already so that the deployment's shape does not change then.
 */
public final class MonitorVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MonitorVerticle.class);

  @SuppressWarnings("unused")
  private final PulseConfig config;

  public MonitorVerticle(PulseConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    log.info("Monitor deployed (no sweeps yet)");
    return Future.succeededFuture();
  }
}
