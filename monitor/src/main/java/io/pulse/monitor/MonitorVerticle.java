package io.pulse.monitor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.config.Retry;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.store.api.History;
import io.pulse.store.api.NamespaceStore;
import io.pulse.store.api.QueueStates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Protects the shared broker from namespaces that stop consuming: every PULSE_MONITOR_INTERVAL it sweeps the managed
 * space (see {@link QueueMonitor}), warns owners of queues above PULSE_MONITOR_ALERT_THRESHOLD, deletes queues above
 * PULSE_MONITOR_DELETE_THRESHOLD, removes orphans and closes connections of vanished namespaces or older than
 * PULSE_CONNECTION_MAX_LIFETIME. A failed sweep (broker down) is logged and retried with backoff, up to eight
 * intervals apart; it never stops the verticle.
 */
public final class MonitorVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MonitorVerticle.class);
  private static final int MAX_BACKOFF = 8;
  /** Measured here: at 100,000 queues a loaded broker took over a minute before the listing's first byte. */
  private static final long MIN_READ_TIMEOUT_MS = 300_000;

  private final PulseConfig config;
  private final MeterRegistry meters;
  /** Seconds the last completed sweep took, as a double's bits (pulse_monitor_sweep_seconds). */
  private final AtomicLong lastSweepSeconds = new AtomicLong(Double.doubleToLongBits(0));
  private final Map<String, AtomicLong> queuesByState = new ConcurrentHashMap<>();
  private final Map<String, Counter> sweeps = new HashMap<>();
  /** The sweep in progress, which stop() lets finish; complete when none runs. */
  private Future<Void> running = Future.succeededFuture();
  private Notifier notifier;
  private HttpClient depthClient;
  private QueueMonitor monitor;
  private long timer = -1;
  private int failures;
  private boolean stopped;

  public MonitorVerticle(PulseConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    registerMeters();
    notifier = new Notifier(vertx, config, meters);
    // The depths are streamed straight from the broker, not through the rabbit verticle: a listing of 100,000 queues
    // as one JSON message on the bus would be held whole, twice. The broker computes a listing before it sends the
    // first byte (seconds at tens of thousands of queues, over a minute at 100,000), so it may take the longest of a
    // call's timeout, an interval and five minutes before it is given up.
    long listingTimeout = Math.max(MIN_READ_TIMEOUT_MS,
        Math.max(config.rabbit().timeout().toMillis(), config.monitor().interval().toMillis()));
    depthClient = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setConnectTimeout((int) config.rabbit().timeout().toMillis()), new PoolOptions().setHttp1MaxSize(2));
    DepthSource listing = new ManagementListing(depthClient, config.rabbit().api(), config.rabbit().user(),
        config.rabbit().password(), config.rabbit().vhost(), listingTimeout);
    DepthSource depths = config.monitor().prometheusUrl() == null ? listing
        : new PrometheusDepths(depthClient, config.monitor().prometheusUrl(), config.rabbit().vhost(), listingTimeout);
    log.info("Monitor reads queue depths from {}", depths.describe());
    // Exchange names are still listed page by page: one call per 500 exchanges.
    monitor = new QueueMonitor(config,
        RabbitAdmin.createProxy(vertx, 4 * config.rabbit().busTimeoutMillis()),
        depths, listing,
        NamespaceStore.createProxy(vertx, config.database().busTimeoutMillis()),
        QueueStates.createProxy(vertx, config.database().busTimeoutMillis()),
        History.createProxy(vertx, config.database().busTimeoutMillis()),
        notifier);
    if (config.namespaces().namespacePrefix().isEmpty() && config.namespaces().usernamePrefix().isEmpty()) {
      log.info("Monitor: with no PULSE_NAMESPACE_PREFIX or PULSE_USERNAME_PREFIX, every queue/..., exchange/... and"
          + " *-1/*-2 user of vhost {} counts as managed", config.rabbit().vhost());
    }
    // The first sweep waits one interval: a service restarted in a loop does not sweep (or mail) each time.
    schedule(config.monitor().interval().toMillis());
    return Future.succeededFuture();
  }

  private void registerMeters() {
    for (String outcome : List.of("ok", "failed")) {
      sweeps.put(outcome, Counter.builder("pulse.monitor.sweeps")
          .description("Monitor sweeps completed by this instance, by outcome").tag("outcome", outcome)
          .register(meters));
    }
    Gauge.builder("pulse.monitor.sweep", lastSweepSeconds, bits -> Double.longBitsToDouble(bits.get()))
        .description("Duration of the last completed monitor sweep")
        .baseUnit("seconds")
        .register(meters);
    for (String state : QueueMonitor.QUEUE_STATES) {
      AtomicLong count = queuesByState.computeIfAbsent(state, s -> new AtomicLong());
      Gauge.builder("pulse.monitor.queues", count, AtomicLong::get)
          .description("Managed queues by state at the last completed monitor sweep (deleted: by that sweep)")
          .tag("state", state)
          .register(meters);
    }
  }

  /**
   * Lets a sweep in progress finish (its deletions and notices are not cut half-way), then closes the notifier. A
   * reading in progress is cut: it changes nothing, and a hung broker must not hold the shutdown.
   */
  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    Future<Void> closed = depthClient.close();
    return running.eventually(notifier::close).eventually(() -> closed);
  }

  private void schedule(long delay) {
    if (!stopped) {
      timer = vertx.setTimer(delay, id -> sweep());
    }
  }

  private void sweep() {
    long started = System.nanoTime();
    running = monitor.sweep().onComplete(ar -> {
      long ms = (System.nanoTime() - started) / 1_000_000;
      long interval = config.monitor().interval().toMillis();
      sweeps.get(ar.succeeded() ? "ok" : "failed").increment();
      if (ar.succeeded()) {
        failures = 0;
        QueueMonitor.Report r = ar.result();
        lastSweepSeconds.set(Double.doubleToLongBits((System.nanoTime() - started) / 1e9));
        r.queueStates().forEach((state, n) -> queuesByState.get(state).set(n));
        log.debug("Monitor sweep in {} ms: {}", ms, r);
        if (r.warned() + r.deleted() + r.orphans() + r.closed() > 0) {
          log.info("Monitor sweep in {} ms: {} queues, {} exchanges, {} connections; {} warned, {} deleted,"
              + " {} orphans, {} connections closed", ms, r.queues(), r.exchanges(), r.connections(), r.warned(),
              r.deleted(), r.orphans(), r.closed());
        }
        schedule(interval);
      } else {
        failures++;
        long delay = Retry.backoff(interval, failures, MAX_BACKOFF * interval);
        log.warn("Monitor sweep failed after {} ms ({} in a row); next try in {} ms: {}", ms, failures, delay,
            ar.cause().getMessage());
        schedule(delay);
      }
    }).transform(ar -> Future.succeededFuture());
  }
}
