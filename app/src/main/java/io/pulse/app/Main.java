package io.pulse.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.EnumSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fat jar's entry point. {@code java -jar pulse.jar} runs the service; {@code java -jar pulse.jar token ...}
 * mints a development bearer token (see {@link TokenCommand}).
 */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    PulseConfig config;
    try {
      config = PulseConfig.load(System.getenv());
    } catch (ConfigException e) {
      System.err.println("Invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Logback reads PULSE_LOG_FORMAT when the first logger is made, so a value from the YAML file counts too.
    System.setProperty("PULSE_LOG_FORMAT", config.operations().logFormat());
    Logger log = LoggerFactory.getLogger(Main.class);
    if (args.length > 0 && args[0].equals("token")) {
      System.exit(TokenCommand.run(config, args));
      return;
    }
    log.info("Starting the Pulse service: {}", config.describe());
    PrometheusMeterRegistry meters = Metering.registry();
    Vertx vertx = createVertx(meters);
    PulseDeployment deployment;
    try {
      deployment = PulseDeployment.deploy(vertx, config, true, meters).await(10, TimeUnit.MINUTES);
    } catch (Exception e) {
      log.error("The service could not start: {}", e.getMessage(), e);
      vertx.close();
      System.exit(1);
      return;
    }
    log.info("Pulse service started (PULSE_ROLES={}){}", config.roles().describe(),
        deployment.httpPort() < 0 ? "" : "; REST API on port " + deployment.httpPort());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutDown(log, vertx, deployment, config), "pulse-shutdown"));
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
    Runtime.getRuntime().halt(status);
  }

  /**
   * A Vert.x instance reporting its own meters (HTTP server requests, client pools, event bus) and the JVM's to
   * {@code meters} (made by {@link Metering#registry()}), beside the service's.
   */
  public static Vertx createVertx(PrometheusMeterRegistry meters) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Every call between the verticles is an event-bus message: metering each cost more CPU than it told.
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.EVENT_BUS)
        // A name of its own: Vert.x keeps registries by name, and tests start several instances in one JVM.
        .setRegistryName("pulse-" + UUID.randomUUID())
        // Routes, not paths, so namespaces do not each make a series; Metering bounds the methods and codes.
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE, Label.POOL_NAME))
        // No percentile histograms (about 280 buckets per series): Metering gives the few meters worth it buckets.
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true).setPublishQuantiles(false));
    return Vertx.builder()
        // epoll where the native library loads (Linux x86_64); NIO elsewhere.
        .with(new VertxOptions().setMetricsOptions(metrics).setPreferNativeTransport(true))
        .withMetrics(new MicrometerMetricsFactory(meters))
        .build();
  }
}
