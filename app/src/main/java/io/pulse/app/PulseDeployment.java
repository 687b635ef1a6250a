package io.pulse.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.api.HttpShared;
import io.pulse.api.HttpVerticle;
import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.pulse.config.RolesConfig.Role;
import io.pulse.core.MaintenanceVerticle;
import io.pulse.core.NamespaceVerticle;
import io.pulse.monitor.MonitorVerticle;
import io.pulse.rabbit.RabbitVerticle;
import io.pulse.store.StoreVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys the service's verticles into a Vert.x instance, in dependency order: storage and RabbitMQ administration
 * always, then the roles of PULSE_ROLES: the namespace service on the event bus, maintenance (rotation, expiry,
 * reconciliation), the monitor and the REST API. Another Vert.x application uses this to run the service beside its
 * own verticles and call {@code NamespaceService} over the event bus (see docs/event-bus.md).
 */
public final class PulseDeployment {

  private static final Logger log = LoggerFactory.getLogger(PulseDeployment.class);

  private final Vertx vertx;
  private final PrometheusMeterRegistry meters;
  private final List<String> deploymentIds = new ArrayList<>();
  /** The deployments of the REST verticle's instances, undeployed together. */
  private final List<String> restIds = new ArrayList<>();
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
      // One instance first, on PULSE_HTTP_PORT; the others on the port it got (PULSE_HTTP_PORT=0 picks one), so that
      // they all share it, with the rate limits and the Hawk replay guard.
      HttpShared shared = new HttpShared(config);
      int instances = config.http().instances();
      // Vert.x shares a port among servers that asked for the same one: with PULSE_HTTP_PORT=0 each instance would get
      // a random port of its own, so a free port is chosen here for all of them (off the event loop: it resolves the
      // host and binds a socket).
      chain = chain.compose(v -> config.http().port() == 0 && instances > 1
          ? vertx.executeBlocking(() -> freePort(config.http().host()))
          : Future.succeededFuture(config.http().port())).compose(port -> {
        deployment.http = new HttpVerticle(config, meters, shared, port);
        return deployment.add(Role.API, deployment.http);
      }).compose(v -> instances == 1 ? Future.<Void>succeededFuture()
          : deployment.addRest(() -> new HttpVerticle(config, meters, shared, deployment.http.actualPort()),
              instances - 1))
          .onSuccess(v -> log.info("REST API listening on {}://{}:{}{} ({} event loop{})",
              config.http().tls() ? "https" : "http", config.http().host(), deployment.http.actualPort(),
              HttpVerticle.BASE, instances, instances == 1 ? "" : "s"));
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
    // The REST instances stop together: the port they share closes only once all of them stop taking connections
    // (each then waits for its own requests in flight); one after another, the port stayed open while the first
    // waited for its requests.
    List<Future<Void>> rest = restIds.stream().map(vertx::undeploy).toList();
    Future<Void> chain = Future.join(rest).transform(ar -> Future.succeededFuture());
    for (int i = deploymentIds.size() - 1; i >= 0; i--) {
      String id = deploymentIds.get(i);
      if (!restIds.contains(id)) {
        chain = chain.eventually(() -> vertx.undeploy(id));
      }
    }
    deploymentIds.clear();
    restIds.clear();
    roles.clear();
    return chain;
  }

  private Future<Void> add(Role role, io.vertx.core.Deployable verticle) {
    return add(verticle).onSuccess(v -> {
      roles.add(role);
      if (role == Role.API) {
        restIds.add(deploymentIds.get(deploymentIds.size() - 1));
      }
    });
  }

  /** A port free on {@code host} now (the REST verticle's instances then bind it together). */
  private static int freePort(String host) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("No free port on " + host + " for the REST API", e);
    }
  }

  /** Deploys {@code instances} more instances of the REST verticle, each on an event loop of its own. */
  private Future<Void> addRest(java.util.function.Supplier<? extends io.vertx.core.Deployable> verticle,
      int instances) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setInstances(instances)).map(id -> {
      deploymentIds.add(id);
      restIds.add(id);
      return null;
    });
  }

  private Future<Void> add(io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle).map(id -> {
      deploymentIds.add(id);
      return null;
    });
  }
}
