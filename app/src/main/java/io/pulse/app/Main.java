package io.pulse.app;

import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fat jar's entry point. {@code java -jar pulse.jar} runs the service; {@code java -jar pulse.jar token ...}
 * mints a development bearer token (see {@link TokenCommand}).
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

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
    if (args.length > 0 && args[0].equals("token")) {
      System.exit(TokenCommand.run(config, args));
      return;
    }
    log.info("Starting the Pulse service: {}", config.describe());
    Vertx vertx = Vertx.vertx();
    PulseDeployment deployment;
    try {
      deployment = PulseDeployment.deploy(vertx, config).await(10, TimeUnit.MINUTES);
    } catch (Exception e) {
      log.error("The service could not start: {}", e.getMessage(), e);
      vertx.close();
      System.exit(1);
      return;
    }
    log.info("Pulse service started; REST API on port {}", deployment.httpPort());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("Shutting down");
      try {
        deployment.undeploy().eventually(vertx::close).await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Shutdown did not finish cleanly: {}", e.getMessage());
      }
    }, "pulse-shutdown"));
  }
}
