package io.pulse.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.api.HttpVerticle;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;

/** {@code serve}: runs the service until SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the service (the default command) until SIGTERM.")
final class ServeCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    PulseConfig config = Main.loadConfig();
    if (config == null) {
      return 2;
    }
    Logger log = LoggerFactory.getLogger(Main.class);
    log.info("Starting the Pulse service: {}", config.describe());
    PrometheusMeterRegistry meters = Metering.registry();
    Vertx vertx = Main.createVertx(meters, Main.eventLoops(config.http().instances()));
    PulseDeployment deployment;
    try {
      deployment = PulseDeployment.deploy(vertx, config, true, meters).await(10, TimeUnit.MINUTES);
    } catch (Exception e) {
      log.error("The service could not start: {}", e.getMessage(), e);
      vertx.close();
      return 1;
    }
    log.info("Pulse service started (PULSE_ROLES={}){}", config.roles().describe(),
        deployment.httpPort() < 0 ? "" : "; REST API on port " + deployment.httpPort());
    if (config.http().tls()) {
      reloadCertificateOnSighup(log, vertx);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutDown(log, vertx, deployment, config), "pulse-shutdown"));
    return Main.SERVING;
  }

  /** {@code kill -HUP}: the REST server reads PULSE_TLS_CERT and PULSE_TLS_KEY again (a renewed certificate). */
  @SuppressWarnings("sunapi")
  private static void reloadCertificateOnSighup(Logger log, Vertx vertx) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"),
          signal -> vertx.eventBus().publish(HttpVerticle.TLS_RELOAD_ADDRESS, null));
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      log.info("SIGHUP cannot be handled here ({}); the certificate files are still checked every"
          + " PULSE_TLS_RELOAD_INTERVAL", e.getMessage());
    }
  }

  /**
   * On SIGTERM: the REST server stops taking connections and finishes the requests in flight, maintenance and the
   * monitor finish their current sweep, pools close; then the process exits 0 (1 when that took longer than
   * PULSE_SHUTDOWN_TIMEOUT). Halting is what makes the exit code 0: a JVM ended by a signal exits 143.
   */
  private static void shutDown(Logger log, Vertx vertx, PulseDeployment deployment, PulseConfig config) {
    long timeoutMs = config.operations().shutdownTimeout().toMillis();
    log.info("Shutting down: finishing the requests in flight and the current maintenance step (at most {} ms)",
        timeoutMs);
    int status = 0;
    try {
      deployment.undeploy().eventually(vertx::close).await(timeoutMs, TimeUnit.MILLISECONDS);
      log.info("Shut down cleanly");
    } catch (Exception e) {
      log.warn("Shutdown did not finish within {} ms: {}", timeoutMs, e.toString());
      status = 1;
    }
    StdoutAppender.flushAll();
    Runtime.getRuntime().halt(status);
  }
}
