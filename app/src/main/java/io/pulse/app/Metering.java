package io.pulse.app;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The registry behind {@code /metrics}, kept small whatever the traffic: Vert.x's HTTP meters are labelled by route,
 * status class ({@code 2xx} ... {@code 5xx}) and a method the service knows (others are {@code OTHER}), so no request
 * can add a series beyond a bounded set; only the REST server's response time (per route and method) has buckets,
 * eight chosen for this service; pool times and GC pauses are count, sum and max; byte sizes are left out.
 */
public final class Metering {

  /**
   * From a reclaim (a few milliseconds) through a first claim (tens) to one waiting out a management-API timeout
   * (seconds): eight buckets, enough for a latency objective such as "99% of claims within 250 ms".
   */
  static final double[] RESPONSE_SECONDS_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
  /** The methods the service serves or calls; any other is counted as {@code OTHER}. */
  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE");
  /** Request and response sizes: this service's are small and fixed, so these meters told nothing. */
  private static final Set<String> DENIED = Set.of("vertx.http.server.request.bytes",
      "vertx.http.server.response.bytes", "vertx.http.client.request.bytes", "vertx.http.client.response.bytes");
  private static final String RESPONSE_TIME = "vertx.http.server.response.time";

  private Metering() {
  }

  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.config().meterFilter(MeterFilter.deny(id -> DENIED.contains(id.getName()))).meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith("vertx.http.")) {
          return id;
        }
        List<Tag> tags = new ArrayList<>();
        for (Tag tag : id.getTagsAsIterable()) {
          if (id.getName().equals(RESPONSE_TIME) && tag.getKey().equals("code")) {
            // A histogram per route and method; vertx_http_server_requests_total has the status classes.
            continue;
          }
          tags.add(switch (tag.getKey()) {
            case "code" -> Tag.of("code", statusClass(tag.getValue()));
            case "method" -> Tag.of("method", METHODS.contains(tag.getValue()) ? tag.getValue() : "OTHER");
            default -> tag;
          });
        }
        return id.replaceTags(tags);
      }

      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER && id.getType() != Meter.Type.DISTRIBUTION_SUMMARY) {
          return config;
        }
        if (id.getName().equals(RESPONSE_TIME)) {
          double[] nanos = new double[RESPONSE_SECONDS_BUCKETS.length];
          for (int i = 0; i < nanos.length; i++) {
            nanos[i] = RESPONSE_SECONDS_BUCKETS[i] * TimeUnit.SECONDS.toNanos(1);
          }
          return DistributionStatisticConfig.builder().percentilesHistogram(false).percentiles()
              .serviceLevelObjectives(nanos).expiry(Duration.ofMinutes(2)).build().merge(config);
        }
        if (id.getName().startsWith("vertx.") || id.getName().startsWith("jvm.")) {
          // Count, sum and max say what these tell; hundreds of buckets each did not.
          return DistributionStatisticConfig.builder().percentilesHistogram(false).percentiles()
              .serviceLevelObjectives().build().merge(config);
        }
        return config;
      }
    });
    return meters;
  }

  /** {@code 404} becomes {@code 4xx}; anything that is not a status is {@code other}. */
  static String statusClass(String code) {
    return code != null && code.length() == 3 && code.charAt(0) >= '1' && code.charAt(0) <= '5'
        ? code.charAt(0) + "xx" : "other";
  }
}
