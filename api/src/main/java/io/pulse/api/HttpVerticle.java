package io.pulse.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.api.auth.Authenticator;
import io.pulse.client.PulseError;
import io.pulse.config.PulseConfig;
import io.pulse.core.NamespaceCore;
import io.pulse.core.OperatorCore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.serviceproxy.ServiceException;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST server: the API of Taskcluster's pulse service under {@link #BASE} ({@link NamespaceRoutes}), and the
 * operational routes ({@link OperationsRoutes}). Calls the namespace service in process, on this verticle's event
 * loop; storage and RabbitMQ are reached over the event bus.
 */
public final class HttpVerticle extends VerticleBase {

  public static final String BASE = "/api/pulse/v1";
  /** A message here (any body, local) makes the server read PULSE_TLS_CERT and PULSE_TLS_KEY again: SIGHUP sends one. */
  public static final String TLS_RELOAD_ADDRESS = "pulse.http.tls-reload";
  private static final Logger log = LoggerFactory.getLogger(HttpVerticle.class);
  private static final int MAX_HEADER_BYTES = 32 * 1024;

  private final PulseConfig config;
  private final PrometheusMeterRegistry meters;
  private final HttpShared shared;
  private final int port;
  private Authenticator authenticator;
  private HttpServer server;
  private Router router;
  private ServerCertificate certificate;
  private long tlsTimer = -1;
  private io.vertx.core.eventbus.MessageConsumer<Object> tlsReloads;

  /** One instance on PULSE_HTTP_PORT, with state of its own. */
  public HttpVerticle(PulseConfig config, PrometheusMeterRegistry meters) {
    this(config, meters, new HttpShared(config), config.http().port());
  }

  /**
   * One of several instances listening on {@code port} (Vert.x binds it once and spreads connections over the
   * instances' event loops), sharing {@code shared} with the others.
   */
  public HttpVerticle(PulseConfig config, PrometheusMeterRegistry meters, HttpShared shared, int port) {
    this.config = config;
    this.meters = meters;
    this.shared = shared;
    this.port = port;
  }

  /** The routes served, for checking them against the OpenAPI document. */
  public Router router() {
    return router;
  }

  /** The port the server listens on (useful with PULSE_HTTP_PORT=0). */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    if (!config.http().tls()) {
      return start(null);
    }
    certificate = new ServerCertificate(vertx, config.http().tlsCert(), config.http().tlsKey());
    return certificate.load().compose(loaded -> {
      log.info("HTTPS with the certificate of {}", loaded.description());
      return start(loaded.options());
    }).onSuccess(v -> watchCertificate());
  }

  private Future<?> start(PemKeyCertOptions tls) {
    return vertx.executeBlocking(() -> OperationsRoutes.load(vertx, meters)).compose(operations -> {
      authenticator = Authenticator.create(vertx, config, shared.replays);
      router = Router.router(vertx);
      router.route().handler(new AccessLog());
      operations.mount(router);
      Access access = new Access(authenticator);
      NamespaceCore namespaces = NamespaceCore.create(vertx, config, meters);
      new NamespaceRoutes(namespaces, access, config, meters, shared).mount(router);
      new SelfServiceRoutes(namespaces, OperatorCore.create(vertx, config), access, config).mount(router);
      new DashboardRoutes().mount(router);
      routeErrors(router);
      HttpServerOptions options = new HttpServerOptions()
          .setHost(config.http().host())
          .setPort(port)
          .setMaxHeaderSize(MAX_HEADER_BYTES)
          // Without h2c (HTTP/2 upgraded from cleartext HTTP/1.1), a connection is known from its first byte, so
          // HeaderDeadline can time its headers; HTTP/2 remains available over TLS.
          .setHttp2ClearTextEnabled(false)
          .setIdleTimeout((int) config.http().idleTimeout().toMillis())
          .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
      if (tls != null) {
        // HTTP/2 is offered over TLS by ALPN; HTTP/1.1 clients and load balancers are served as before.
        options.setSsl(true).setKeyCertOptions(tls).setUseAlpn(true);
      }
      server = vertx.createHttpServer(options);
      HeaderDeadline deadline = new HeaderDeadline(vertx, config.http().headerTimeout().toMillis(),
          config.http().idleTimeout().toMillis());
      return server.connectionHandler(deadline::opened).requestHandler(deadline.guard(router)).listen();
    }).onSuccess(s -> log.debug("REST API instance listening on {}://{}:{}{}", tls == null ? "http" : "https",
        config.http().host(), s.actualPort(), BASE));
  }

  /**
   * Certificates are renewed without a restart: the files are checked every PULSE_TLS_RELOAD_INTERVAL, and read at once
   * on a message to {@link #TLS_RELOAD_ADDRESS} (SIGHUP). New connections get the new certificate; a pair that does not
   * load (half-written, wrong file) is logged and the current one kept.
   */
  private void watchCertificate() {
    tlsTimer = vertx.setPeriodic(config.http().tlsReloadInterval().toMillis(), id -> certificate.changed()
        .onSuccess(changed -> {
          if (changed) {
            reloadCertificate("its files changed");
          }
        }));
    tlsReloads = vertx.eventBus().localConsumer(TLS_RELOAD_ADDRESS, message -> reloadCertificate("asked (SIGHUP)"));
  }

  private void reloadCertificate(String why) {
    certificate.load()
        .compose(loaded -> server.updateSSLOptions(new ServerSSLOptions().setKeyCertOptions(loaded.options()), true)
            .map(updated -> loaded))
        .onSuccess(loaded -> log.info("Reloaded the HTTPS certificate ({}): {}", why, loaded.description()))
        .onFailure(e -> log.warn("Could not reload the HTTPS certificate ({}); keeping the current one: {}", why,
            e.getMessage()));
  }

  private static void routeErrors(Router router) {
    router.errorHandler(404, ctx -> Errors.send(ctx, null, PulseError.RESOURCE_NOT_FOUND.exception(
        "No such route: " + ctx.request().method() + " " + ctx.request().path())));
    router.errorHandler(405, ctx -> Errors.send(ctx, null, new ServiceException(405,
        "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path(),
        new JsonObject().put("code", "MethodNotAllowed"))));
    router.errorHandler(413, ctx -> Errors.send(ctx, null, NamespaceRoutes.tooLarge()));
    router.errorHandler(500, ctx -> Errors.send(ctx, null, ctx.failure() == null
        ? PulseError.INTERNAL.exception("Internal error") : ctx.failure()));
  }

  /**
   * Stops taking connections and lets the requests in flight finish (within PULSE_SHUTDOWN_TIMEOUT) before the
   * verticles they call are undeployed.
   */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(tlsTimer);
    if (tlsReloads != null) {
      tlsReloads.unregister();
    }
    Future<Void> closed = server == null ? Future.succeededFuture()
        : server.shutdown(config.operations().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
    return authenticator == null ? closed : closed.eventually(authenticator::close);
  }
}
