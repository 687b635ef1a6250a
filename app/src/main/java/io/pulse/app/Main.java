package io.pulse.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.UUID;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The fat jar's command line: {@code serve} (the default) runs the service, {@code token} mints a development bearer
 * token, {@code check-config} checks the configuration and reaches PostgreSQL and the management API. Unknown
 * arguments are refused with the usage and exit code 2, as is a configuration that does not validate.
 */
@Command(name = "java -jar pulse.jar", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"The Pulse management service: short-lived, namespace-scoped RabbitMQ credentials.",
        "Configured by PULSE_* environment variables and the YAML file PULSE_CONFIG names (docs/configuration.md).",
        "Without a command, serves."},
    subcommands = {ServeCommand.class, TokenCommand.class, CheckConfigCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the service could not start, or check-config found a problem",
        "2:unknown arguments or an invalid configuration"})
public final class Main implements Callable<Integer> {

  /** What {@code serve} answers once the service runs: the process keeps running, so no exit code yet. */
  static final int SERVING = Integer.MIN_VALUE;

  public static void main(String[] args) {
    int status = commandLine().execute(args);
    if (status != SERVING) {
      System.exit(status);
    }
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  @Override
  public Integer call() {
    return new ServeCommand().call();
  }

  /**
   * The configuration from the environment (and PULSE_CONFIG), or {@code null} after telling why on stderr. Logback
   * reads PULSE_LOG_FORMAT when the first logger is made, so this comes before any logging.
   */
  static PulseConfig loadConfig() {
    try {
      PulseConfig config = PulseConfig.load(System.getenv());
      System.setProperty("PULSE_LOG_FORMAT", config.operations().logFormat());
      return config;
    } catch (ConfigException e) {
      System.err.println("Invalid configuration: " + e.getMessage());
      return null;
    }
  }

  /**
   * A Vert.x instance reporting its own meters (HTTP server requests, client pools, event bus) and the JVM's to
   * {@code meters} (made by {@link Metering#registry()}), beside the service's.
   */
  public static Vertx createVertx(PrometheusMeterRegistry meters) {
    return createVertx(meters, VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
  }

  /**
   * Event loops for a deployment with {@code httpInstances} REST verticles: one for each verticle (storage, RabbitMQ,
   * namespaces, maintenance, monitor, each REST instance) and one to spare, and at least Vert.x's default (twice the
   * processors). Vert.x hands loops out in turn to every context and connection pool it makes, so which verticles
   * share a loop is not fixed; the REST API runs on two loops per processor so that the one that shares its loop with
   * storage carries a small part of the requests (JFR, 2 REST instances on 2 cores: the loop storage shared with one
   * of them had 57% of the samples, and held the rest back).
   */
  public static int eventLoops(int httpInstances) {
    return Math.max(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, 6 + httpInstances);
  }

  /** A Vert.x instance like {@link #createVertx(PrometheusMeterRegistry)}, with {@code eventLoops} event loops. */
  public static Vertx createVertx(PrometheusMeterRegistry meters, int eventLoops) {
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
        .with(new VertxOptions().setMetricsOptions(metrics).setPreferNativeTransport(true)
            .setEventLoopPoolSize(eventLoops))
        .withMetrics(new MicrometerMetricsFactory(meters))
        .build();
  }

  /** {@code --version}: the version and commit written into the jar at build time. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      try (InputStream in = Main.class.getResourceAsStream("/io/pulse/api/version.json")) {
        JsonObject built = in == null ? new JsonObject()
            : new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        return new String[] {"pulse " + known(built.getString("version")) + " (commit " + known(built.getString("commit"))
            + ")"};
      }
    }

    private static String known(String value) {
      // A build outside a git checkout leaves the placeholder unfilled.
      return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
    }
  }
}
