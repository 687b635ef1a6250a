package io.pulse.app;

import io.pulse.config.PulseConfig;
import io.pulse.rabbit.RabbitVerticle;
import io.pulse.store.StoreVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;

/**
 * {@code check-config}: validates the configuration, then reaches PostgreSQL and the RabbitMQ management API with it,
 * as the service would; prints one line per check and exits 0 when all pass, 1 when one fails, 2 when the
 * configuration does not validate. Prints no secret.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
    description = {"Validate the configuration and reach PostgreSQL and the RabbitMQ management API with it.",
        "Exits 0 when every check passes, 1 when one fails, 2 when the configuration is invalid."})
final class CheckConfigCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    PulseConfig config = Main.loadConfig();
    if (config == null) {
      return 2;
    }
    System.out.println("configuration: ok (" + config.roles().describe() + ")");
    Vertx vertx = Vertx.vertx();
    try {
      long timeoutMs = 2 * Math.max(config.database().timeout().toMillis(), config.rabbit().timeout().toMillis()) + 1000;
      boolean database = report("PostgreSQL", StoreVerticle.check(vertx, config), timeoutMs);
      boolean broker = report("RabbitMQ management API", RabbitVerticle.check(vertx, config), timeoutMs);
      return database && broker ? 0 : 1;
    } finally {
      vertx.close();
    }
  }

  private static boolean report(String what, Future<String> check, long timeoutMs) {
    try {
      System.out.println(what + ": ok: " + check.await(timeoutMs, TimeUnit.MILLISECONDS));
      return true;
    } catch (Exception e) {
      System.out.println(what + ": FAILED: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return false;
    }
  }
}
