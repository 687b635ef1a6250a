package io.pulse.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.api.HttpVerticle;
import io.pulse.config.PulseConfig;
import io.pulse.core.MaintenanceVerticle;
import io.pulse.core.NamespaceVerticle;
import io.pulse.monitor.MonitorVerticle;
import io.pulse.rabbit.RabbitVerticle;
import io.pulse.store.StoreVerticle;
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
  private final PrometheusMeterRegistry meters;
  private final List<String> deploymentIds = new ArrayList<>();
  private HttpVerticle http;

  private PulseDeployment(Vertx vertx, PrometheusMeterRegistry meters) {
    this.vertx = vertx;
    this.meters = meters;
  }

  /** Deploys every verticle, the REST API included. */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config) {
    return deploy(vertx, config, true);
  }

  /**
   * Deploys every verticle; without {@code withHttp} the service is reachable over the event bus only. Its meters go
   * to a registry of its own, served at {@code /metrics}.
   */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config, boolean withHttp) {
    return deploy(vertx, config, withHttp, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /**
   * Deploys every verticle with its meters in {@code meters}: give the registry the Vert.x instance reports to (see
   * {@link Main#createVertx}) and {@code /metrics} shows Vert.x's own meters (HTTP server, pools, event bus) too.
   */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config, boolean withHttp,
      PrometheusMeterRegistry meters) {
    PulseDeployment deployment = new PulseDeployment(vertx, meters);
    Future<Void> chain = deployment.add(new StoreVerticle(config, meters))
        .compose(v -> deployment.add(new RabbitVerticle(config, meters)))
        .compose(v -> deployment.add(new NamespaceVerticle(config, meters)))
        .compose(v -> deployment.add(new MaintenanceVerticle(config, meters)))
        .compose(v -> deployment.add(new MonitorVerticle(config, meters)));
    if (withHttp) {
      chain = chain.compose(v -> {
        deployment.http = new HttpVerticle(config, meters);
        return deployment.add(deployment.http);
      });
    }
    return chain
        .map(v -> deployment)
        .recover(e -> deployment.undeploy().transform(ar -> Future.failedFuture(e)));
  }

  /** The meters of this deployment, as served at {@code /metrics}. */
  public PrometheusMeterRegistry meters() {
    return meters;
  }

  /** The REST verticle, or null when it was left out. */
  HttpVerticle http() {
    return http;
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
