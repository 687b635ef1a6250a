package io.pulse.rabbit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Latency of the management API's HTTP calls, as {@code pulse_rabbit_api_seconds{method, outcome}}: outcome is the
 * status class ({@code 2xx}, {@code 4xx}, {@code 5xx}) or {@code unreachable} (refused, timed out).
 */
final class CallMetrics {

  static final String NAME = "pulse.rabbit.api";
  private static final List<String> METHODS = List.of("GET", "PUT", "DELETE");
  private static final List<String> OUTCOMES = List.of("2xx", "4xx", "5xx", "unreachable");
  /**
   * Histogram buckets: a local call takes milliseconds; PULSE_RABBIT_TIMEOUT is seconds. Eight, since each is a line
   * per method and outcome in every scrape.
   */
  private static final Duration[] BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 1000, 5000)
      .map(Duration::ofMillis).toArray(Duration[]::new);

  /** For an admin built without metrics: counts into a registry nobody reads. */
  static final CallMetrics NONE = new CallMetrics(new SimpleMeterRegistry());

  private final MeterRegistry meters;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  CallMetrics(MeterRegistry meters) {
    this.meters = meters;
    // Registered up front, so every series is there (at 0) from start-up.
    for (String method : METHODS) {
      for (String outcome : OUTCOMES) {
        timer(method, outcome);
      }
    }
  }

  Future<HttpResponse<Buffer>> time(HttpMethod method, Future<HttpResponse<Buffer>> call) {
    Timer.Sample sample = Timer.start(meters);
    return call.onComplete(ar -> sample.stop(timer(method.name(),
        ar.failed() ? "unreachable" : (ar.result().statusCode() / 100) + "xx")));
  }

  /**
   * Each timer is built once: building and registering one per call was a quarter of the meters' samples in a first
   * claim (JFR).
   */
  private Timer timer(String method, String outcome) {
    return timers.computeIfAbsent(method + ' ' + outcome, key -> Timer.builder(NAME)
        .description("Latency of RabbitMQ management API calls")
        .tags("method", method, "outcome", outcome)
        .serviceLevelObjectives(BUCKETS)
        .register(meters));
  }
}
