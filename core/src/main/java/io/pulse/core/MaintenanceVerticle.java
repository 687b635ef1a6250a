package io.pulse.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic maintenance: every PULSE_MAINTENANCE_INTERVAL rotates due passwords and removes expired namespaces;
 * every PULSE_RECONCILE_INTERVAL brings RabbitMQ back in step with the database, then deletes history older than
 * PULSE_HISTORY_RETENTION and exemptions that expired. Safe with several replicas on one
 * database: they lease rows, so no namespace is rotated or expired twice. A sweep that fails is logged and tried
 * again at the next tick; a sweep still running when the next tick comes is not started twice.
 */
public final class MaintenanceVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MaintenanceVerticle.class);
  /**
   * The first sweep runs as soon as maintenance is deployed (while the rest of the service starts), so a restarted
   * service catches up on due rotations at once.
   */
  private static final long FIRST_SWEEP_MS = 1;
  /** The first reconciliation follows a few seconds later, out of the way of that catching up. */
  private static final long FIRST_RECONCILE_MS = 5000;
  /** The longest a stop spends making the last standby users. */
  static final long LAST_STANDBYS_MS = 5000;
  /** History events deleted per statement, and statements per sweep: a backlog is worked off over several sweeps. */
  private static final int PRUNE_BATCH = 1000;
  private static final int PRUNE_BATCHES = 100;

  private final PulseConfig config;
  private final MeterRegistry meters;
  private Counter rotations;
  private Counter expirations;
  private SweepCounters sweeps;
  private Rotation rotation;
  private Removal removal;
  private Reconciliation reconciliation;
  private History history;
  private QueueStates queueStates;
  /** The sweeps in progress (complete when none runs), which stop() lets finish. */
  private Future<Void> sweeping;
  private Future<Void> reconciling;
  private final StandbyHold standbyHold = new StandbyHold();
  private long sweepTimer = -1;
  private long reconcileTimer = -1;

  public MaintenanceVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    rotations = Counter.builder("pulse.rotations").description("Password rotations done by this instance")
        .register(meters);
    expirations = Counter.builder("pulse.expirations")
        .description("Expired namespaces removed by this instance (revocations not included)").register(meters);
    sweeps = new SweepCounters(meters);
    NamespaceStore store = NamespaceStore.createProxy(vertx, config.database().busTimeoutMillis());
    RabbitAdmin rabbit = RabbitAdmin.createProxy(vertx, config.rabbit().busTimeoutMillis());
    Leases leases = new Leases(vertx, store);
    rotation = new Rotation(config, store, rabbit, leases);
    removal = new Removal(vertx, config, store, rabbit, leases);
    history = History.createProxy(vertx, config.database().busTimeoutMillis());
    queueStates = QueueStates.createProxy(vertx, config.database().busTimeoutMillis());
    reconciliation = new Reconciliation(config, store, rabbit, leases, history);
    if (config.operations().dryRun()) {
      log.warn("PULSE_DRY_RUN is on: maintenance logs what it would delete or close and does not do it");
    }
    long every = config.lifecycle().maintenanceInterval().toMillis();
    sweepTimer = vertx.setPeriodic(Math.min(FIRST_SWEEP_MS, every), every, id -> sweep());
    long reconcileEvery = config.lifecycle().reconcileInterval().toMillis();
    reconcileTimer = vertx.setPeriodic(Math.min(FIRST_RECONCILE_MS, reconcileEvery), reconcileEvery, id -> reconcile());
    return Future.succeededFuture();
  }

  /**
   * Starts no new sweep and lets those in progress finish, so no rotation or removal is cut half-way; then makes the
   * standby users of namespaces claimed since the last sweep (for at most {@link #LAST_STANDBYS_MS}), so that their
   * first rotation after a restart is a password change rather than a lookup and a creation.
   */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(reconcileTimer);
    return Future.join(idle(sweeping), idle(reconciling))
        .transform(ar -> run("standby", rotation::prepareStandbys, null, "standby user(s)")
            .timeout(LAST_STANDBYS_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
            .otherwiseEmpty());
  }

  private static Future<Void> idle(Future<Void> sweep) {
    return sweep == null ? Future.succeededFuture() : sweep;
  }

  private void sweep() {
    if (sweeping != null && !sweeping.isComplete()) {
      return;
    }
    sweeping = run("rotation", rotation::rotateDue, rotations, "namespace(s)")
        .compose(v -> run("expiry", removal::expireDue, config.operations().dryRun() ? null : expirations,
            "namespace(s)"))
        .compose(v -> standbyHold.hold() ? Future.<Void>succeededFuture()
            : run("standby", rotation::prepareStandbys, null, "standby user(s)"));
  }

  private void reconcile() {
    if (reconciling != null && !reconciling.isComplete()) {
      return;
    }
    reconciling = run("reconciliation", reconciliation::reconcile, null, "namespace(s)")
        .compose(v -> run("history", this::prune, null, "event(s)"));
  }

  /**
   * Deletes history events older than PULSE_HISTORY_RETENTION, a batch at a time (each a short statement, so reclaims
   * are not held up), then the exemptions that expired; answers how many events went.
   */
  private Future<Integer> prune() {
    return pruneHistory(config.lifecycle().historyRetention().toSeconds(), 0, 0)
        .compose(events -> queueStates.pruneExemptions().map(exemptions -> {
          if (exemptions > 0) {
            log.info("Maintenance: {} expired exemption(s) deleted", exemptions);
          }
          return events;
        }));
  }

  private Future<Integer> pruneHistory(long retentionSeconds, int batches, int pruned) {
    return history.prune(retentionSeconds, PRUNE_BATCH).compose(n -> n < PRUNE_BATCH || batches + 1 >= PRUNE_BATCHES
        ? Future.succeededFuture(pruned + n) : pruneHistory(retentionSeconds, batches + 1, pruned + n));
  }

  private Future<Void> run(String what, Supplier<Future<Integer>> sweep, Counter done, String unit) {
    long started = System.nanoTime();
    return sweep.get().transform(ar -> {
      sweeps.count(what, ar.succeeded());
      if (ar.succeeded() && done != null) {
        done.increment(ar.result());
      }
      long ms = (System.nanoTime() - started) / 1_000_000;
      if (ar.failed()) {
        log.warn("Maintenance {} sweep failed after {} ms; retrying at the next tick: {}", what, ms,
            ar.cause().getMessage());
      } else if (ar.result() > 0) {
        log.info("Maintenance {} sweep: {} {} in {} ms", what, ar.result(), unit, ms);
      }
      return Future.succeededFuture();
    });
  }
}
