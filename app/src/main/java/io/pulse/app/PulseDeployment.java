package io.pulse.app;

import io.pulse.api.impl.HttpVerticle;
import io.pulse.api.impl.MaintenanceVerticle;
import io.pulse.api.impl.NamespaceVerticle;
import io.pulse.config.PulseConfig;
import io.pulse.monitor.MonitorVerticle;
import io.pulse.rabbit.impl.RabbitVerticle;
import io.pulse.store.impl.StoreVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;

/**
 * Deploys the service's verticles into a Vert.x instance, in dependency order: storage, RabbitMQ administration,
 * the namespace service, maintenance (rotation, expiry, reconciliation), the monitor and, unless left out, the REST
 * API. Another Vert.x application uses this to
 * run the service beside its own verticles and call {@code NamespaceService} over the event bus.
 */
public final class PulseDeployment {

  private final Vertx vertx;
  private final List<String> deploymentIds = new ArrayList<>();
  private HttpVerticle http;

  private PulseDeployment(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Deploys every verticle, the REST API included. */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config) {
    return deploy(vertx, config, true);
  }

  /** Deploys every verticle; without {@code withHttp} the service is reachable over the event bus only. */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config, boolean withHttp) {
    PulseDeployment deployment = new PulseDeployment(vertx);
    Future<Void> chain = deployment.add(new StoreVerticle(config))
        .compose(v -> deployment.add(new RabbitVerticle(config)))
        .compose(v -> deployment.add(new NamespaceVerticle(config)))
        .compose(v -> deployment.add(new MaintenanceVerticle(config)))
        .compose(v -> deployment.add(new MonitorVerticle(config)));
    if (withHttp) {
      chain = chain.compose(v -> {
        deployment.http = new HttpVerticle(config);
        return deployment.add(deployment.http);
      });
    }
    return chain
        .map(v -> deployment)
        .recover(e -> deployment.undeploy().transform(ar -> Future.failedFuture(e)));
  }

  /** The port the REST API listens on, or -1 when it was left out. */
  public int httpPort() {
    return http == null ? -1 : http.actualPort();
  }

  /** Undeploys in reverse order: the REST API stops taking requests first, storage closes last. */
  public Future<Void> undeploy() {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deploymentIds.size() - 1; i >= 0; i--) {
      String id = deploymentIds.get(i);
      chain = chain.eventually(() -> vertx.undeploy(id));
    }
    deploymentIds.clear();
    return chain;
  }

  private Future<Void> add(io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle).map(id -> {
      deploymentIds.add(id);
      return null;
    });
  }
}
