package io.pulse.config;

import io.vertx.core.Future;

import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one guard in front of every destructive or notifying step (PULSE_DRY_RUN): in a dry run the step is logged as
 * what the service would do, and not done.
 */
public final class DryRun {

  private static final Logger log = LoggerFactory.getLogger(DryRun.class);

  private final boolean on;

  public DryRun(boolean on) {
    this.on = on;
  }

  public boolean isOn() {
    return on;
  }

  /** Runs {@code step}, or in a dry run logs "would {@code what}" and succeeds. */
  public Future<Void> guard(String what, Supplier<Future<Void>> step) {
    if (on) {
      log.info("DRY RUN: would {}", what);
      return Future.succeededFuture();
    }
    return step.get();
  }
}
