package io.pulse.api.impl;

import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.NamespaceStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic maintenance: every PULSE_MAINTENANCE_INTERVAL rotates due passwords and removes expired namespaces;
 * every PULSE_RECONCILE_INTERVAL brings RabbitMQ back in step with the database. Safe with several replicas on one
 * database: they lease rows, so no namespace is rotated or expired twice. A sweep that fails is logged and tried
 * again at the next tick; a sweep still running when the next tick comes is not started twice.
 */
public final class MaintenanceVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MaintenanceVerticle.class);
  /** The first sweeps run soon after start, so a restarted service catches up at once. */
  private static final long FIRST_SWEEP_MS = 1000;

  private final PulseConfig config;
  private Lifecycle lifecycle;
  private boolean sweeping;
  private boolean reconciling;
  private long sweepTimer = -1;
  private long reconcileTimer = -1;

  public MaintenanceVerticle(PulseConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    lifecycle = new Lifecycle(vertx, config,
        NamespaceStore.createProxy(vertx, NamespaceVerticle.storeTimeoutMillis(config)),
        RabbitAdmin.createProxy(vertx, NamespaceVerticle.rabbitTimeoutMillis(config)));
    if (config.dryRun()) {
      log.warn("PULSE_DRY_RUN is on: maintenance logs what it would delete or close and does not do it");
    }
    long every = config.maintenanceInterval().toMillis();
    sweepTimer = vertx.setPeriodic(Math.min(FIRST_SWEEP_MS, every), every, id -> sweep());
    long reconcileEvery = config.reconcileInterval().toMillis();
    reconcileTimer = vertx.setPeriodic(Math.min(FIRST_SWEEP_MS, reconcileEvery), reconcileEvery, id -> reconcile());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(reconcileTimer);
    return Future.succeededFuture();
  }

  private void sweep() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    run("rotation", lifecycle::rotateDue)
        .compose(v -> run("expiry", lifecycle::expireDue))
        .onComplete(ar -> sweeping = false);
  }

  private void reconcile() {
    if (reconciling) {
      return;
    }
    reconciling = true;
    run("reconciliation", lifecycle::reconcile).onComplete(ar -> reconciling = false);
  }

  private Future<Void> run(String what, Supplier<Future<Integer>> sweep) {
    long started = System.nanoTime();
    return sweep.get().transform(ar -> {
      long ms = (System.nanoTime() - started) / 1_000_000;
      if (ar.failed()) {
        log.warn("Maintenance {} sweep failed after {} ms; retrying at the next tick: {}", what, ms,
            ar.cause().getMessage());
      } else if (ar.result() > 0) {
        log.info("Maintenance {} sweep: {} namespace(s) in {} ms", what, ar.result(), ms);
      }
      return Future.succeededFuture();
    });
  }
}
