package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.core.fakes.FakeHistory;
import io.pulse.core.fakes.FakeQueueStates;
import io.pulse.core.fakes.FakeRabbit;
import io.pulse.core.fakes.FakeStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.serviceproxy.ServiceException;

import java.util.HashMap;
import java.util.Map;

/** The namespace core over in-memory fakes of storage and RabbitMQ: every branch in milliseconds. */
final class CoreFixture implements AutoCloseable {

  static final String VHOST = "/";

  final Vertx vertx = Vertx.vertx();
  final FakeStore store = new FakeStore();
  final FakeRabbit rabbit = new FakeRabbit();
  final FakeQueueStates queueStates = new FakeQueueStates();
  final FakeHistory history = new FakeHistory();
  final PulseConfig config;
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final NamespaceCore core;
  final Leases leases;

  CoreFixture(String... settings) {
    Map<String, String> values = new HashMap<>(Map.of("PULSE_USERNAME_PREFIX", "u-", "PULSE_EXPIRY_DELAY", "0s"));
    for (int i = 0; i < settings.length; i += 2) {
      values.put(settings[i], settings[i + 1]);
    }
    config = PulseConfig.fromMap(values);
    core = NamespaceCore.create(vertx, config, store, rabbit, queueStates, history, meters);
    leases = new Leases(vertx, store);
  }

  Rotation rotation() {
    return new Rotation(config, store, rabbit, leases);
  }

  Removal removal() {
    return new Removal(vertx, config, store, rabbit, leases);
  }

  Removal removalWaiting(long revocationWaitMillis) {
    return new Removal(vertx, config, store, rabbit, leases, revocationWaitMillis);
  }

  /** Awaits a call, its failure coded as callers see it. */
  static <T> T coded(Future<T> call) {
    return call.recover(e -> Future.failedFuture(io.pulse.client.PulseError.coded(e))).await();
  }

  Reconciliation reconciliation() {
    return new Reconciliation(config, store, rabbit, leases, history);
  }

  String user(String namespace, int n) {
    return config.naming().username(namespace, n);
  }

  /** The failure of a call that must fail, checked for its code. */
  static ServiceException failure(Future<?> call, String code) {
    ServiceException e = assertThrows(ServiceException.class, call::await);
    assertEquals(code, e.getDebugInfo().getString("code"), e.getMessage());
    return e;
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
