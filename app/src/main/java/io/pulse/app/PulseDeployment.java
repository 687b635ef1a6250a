package io.pulse.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.api.HttpVerticle;
import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.pulse.config.RolesConfig.Role;
import io.pulse.core.MaintenanceVerticle;
import io.pulse.core.NamespaceVerticle;
import io.pulse.monitor.MonitorVerticle;
import io.pulse.rabbit.RabbitVerticle;
import io.pulse.store.StoreVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Deploys the service's verticles into a Vert.x instance, in dependency order: storage and RabbitMQ administration
 * always, then the roles of PULSE_ROLES: the namespace service on the event bus, maintenance (rotation, expiry,
 * reconciliation), the monitor and the REST API. Another Vert.x application uses this to run the service beside its
 * own verticles and call {@code NamespaceService} over the event bus (see docs/event-bus.md).
 */
public final class PulseDeployment {

  private final Vertx vertx;
  private final PrometheusMeterRegistry meters;
  private final List<String> deploymentIds = new ArrayList<>();
  private final Set<Role> roles = EnumSet.noneOf(Role.class);
  private HttpVerticle http;

  private PulseDeployment(Vertx vertx, PrometheusMeterRegistry meters) {
    this.vertx = vertx;
    this.meters = meters;
  }

  /** Deploys storage, RabbitMQ administration and the roles of PULSE_ROLES (by default all, the REST API included). */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config) {
    return deploy(vertx, config, true);
  }

  /**
   * Deploys with these settings (the keys of docs/configuration.md, such as {@code PULSE_DB_URL} and
   * {@code PULSE_ROLES}; the others take their defaults). A setting that is wrong fails the future with a message
   * naming its key.
   */
  public static Future<PulseDeployment> deploy(Vertx vertx, Map<String, String> settings) {
    PulseConfig config;
    try {
      config = PulseConfig.fromMap(settings);
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    return deploy(vertx, config);
  }

  /**
   * Deploys the roles of PULSE_ROLES; without {@code withHttp} the REST API is left out whatever PULSE_ROLES says. Its
   * meters go to a registry of its own, served at {@code /metrics}.
   */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config, boolean withHttp) {
    return deploy(vertx, config, withHttp, Metering.registry());
  }

  /**
   * Deploys the roles of PULSE_ROLES with their meters in {@code meters}: give the registry the Vert.x instance
   * reports to (see {@link Main#createVertx}) and {@code /metrics} shows Vert.x's own meters (HTTP server, pools, event
   * bus) too.
   */
  public static Future<PulseDeployment> deploy(Vertx vertx, PulseConfig config, boolean withHttp,
      PrometheusMeterRegistry meters) {
    PulseDeployment deployment = new PulseDeployment(vertx, meters);
    // Every role reaches PostgreSQL and the broker through these two, over the event bus.
    Future<Void> chain = deployment.add(new StoreVerticle(config, meters))
        .compose(v -> deployment.add(new RabbitVerticle(config, meters)));
    if (config.roles().has(Role.NAMESPACES)) {
      chain = chain.compose(v -> deployment.add(Role.NAMESPACES, new NamespaceVerticle(config, meters)));
    }
    if (config.roles().has(Role.MAINTENANCE)) {
      chain = chain.compose(v -> deployment.add(Role.MAINTENANCE, new MaintenanceVerticle(config, meters)));
    }
    if (config.roles().has(Role.MONITOR)) {
      chain = chain.compose(v -> deployment.add(Role.MONITOR, new MonitorVerticle(config, meters)));
    }
    if (withHttp && config.roles().has(Role.API)) {
      chain = chain.compose(v -> {
        deployment.http = new HttpVerticle(config, meters);
        return deployment.add(Role.API, deployment.http);
      });
    }
    return chain
        .map(v -> deployment)
        .recover(e -> deployment.undeploy().transform(ar -> Future.failedFuture(e)));
  }

  /** The roles this deployment runs. */
  public Set<Role> roles() {
    return EnumSet.copyOf(roles);
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
    roles.clear();
    return chain;
  }

  private Future<Void> add(Role role, io.vertx.core.Deployable verticle) {
    return add(verticle).onSuccess(v -> roles.add(role));
  }

  private Future<Void> add(io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle).map(id -> {
      deploymentIds.add(id);
      return null;
    });
  }
}
