package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} as the fat jar serves it (Vert.x's own meters included) stays a few tens of KB whatever callers
 * send, and {@code pulse_claims_total} counts every claim, however it was refused.
 */
class MetricsSizeTest {

  private static final int REQUESTS = 3000;
  private static final int LIMIT_BYTES = 64 * 1024;
  private static final List<HttpMethod> METHODS = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT,
      HttpMethod.DELETE, HttpMethod.PATCH, HttpMethod.OPTIONS, HttpMethod.HEAD, HttpMethod.valueOf("PROPFIND"),
      HttpMethod.valueOf("X-" + TestEnv.unique("m").toUpperCase()));

  @Test
  void metricsStayUnder64KbAfterThousandsOfVariedRequestsAndEveryClaimIsCounted() throws Exception {
    PrometheusMeterRegistry meters = Metering.registry();
    Vertx vertx = Main.createVertx(meters);
    try (RunningService service = RunningService.start(vertx, Map.of(), meters)) {
      Random random = new Random(13);
      String ns = TestEnv.unique("met");
      String goodToken = service.token("pulse:namespace:" + ns);
      String otherToken = service.token("pulse:namespace:someone-else");
      int claims = 0;
      int beforeSize = scrape(service).length();
      for (int i = 0; i < REQUESTS; i++) {
        int kind = random.nextInt(10);
        if (kind < 4) {
          // A claim: refused for one reason or another, now and then answered.
          claims++;
          String body = switch (random.nextInt(5)) {
            case 0 -> "{not json";
            case 1 -> "[1, 2]";
            case 2 -> "{\"contact\": \"" + "x".repeat(70_000) + "\"}";
            default -> "{}";
          };
          String token = switch (random.nextInt(5)) {
            case 0 -> null;
            case 1 -> "eyJhbGciOiJIUzI1NiJ9.t7-not-json.c2ln";
            case 2 -> otherToken;
            default -> goodToken;
          };
          String target = random.nextInt(6) == 0 ? "bad name " + i : ns;
          service.request(HttpMethod.POST, "/namespace/" + TestEnv.encode(target), token)
              .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)).await();
        } else {
          HttpMethod method = METHODS.get(random.nextInt(METHODS.size()));
          int pathKind = random.nextInt(7);
          String path = switch (pathKind) {
            case 4 -> "/api/pulse/v1/ping";
            case 5 -> "/__version__";
            case 6 -> "/__lbheartbeat__";
            case 0 -> "/api/pulse/v1/namespace/" + TestEnv.unique("n");
            case 1 -> "/api/pulse/v1/" + TestEnv.unique("p") + "/" + random.nextInt(1000);
            case 2 -> "/" + TestEnv.unique("q") + "?x=" + random.nextLong();
            default -> "/api/pulse/v1/namespaces?limit=" + random.nextInt(5) + "&continuationToken=" + i;
          };
          HttpRequest<Buffer> request = service.client.request(method, service.deployment.httpPort(), "127.0.0.1",
              path);
          if (method == HttpMethod.POST && pathKind == 0) {
            claims++;
          }
          if (method == HttpMethod.POST || method == HttpMethod.PUT) {
            request.sendBuffer(Buffer.buffer("{}")).await();
          } else {
            request.send().await();
          }
        }
      }
      String metrics = scrape(service);
      System.out.printf("/metrics: %d bytes at start, %d bytes after %d requests (%d claims)%n", beforeSize,
          metrics.length(), REQUESTS, claims);
      java.nio.file.Files.writeString(java.nio.file.Path.of("target", "metrics-after-varied-requests.txt"), metrics);
      assertTrue(metrics.length() < LIMIT_BYTES, "/metrics is " + metrics.length() + " bytes");
      assertTrue(metrics.contains("vertx_http_server_requests_total"), "Vert.x's HTTP meters are served");
      assertTrue(metrics.contains("code=\"4xx\""), "status classes");
      assertFalse(metrics.contains("code=\"404\""), "no status codes");
      assertTrue(metrics.contains("method=\"OTHER\""), "unknown methods are OTHER");
      assertFalse(metrics.contains("PROPFIND"), "no unknown method makes a series");
      assertFalse(metrics.contains("vertx_http_server_response_time_seconds_bucket{code"), "no code in histograms");
      assertEquals(claims, sum(metrics, "pulse_claims_total"), "every claim is counted, whatever its outcome");
      for (String outcome : List.of("ok", "AuthenticationFailed", "InsufficientScopes", "MalformedPayload",
          "InputValidationError", "InvalidNamespace")) {
        assertTrue(sum(metrics, "pulse_claims_total{outcome=\"" + outcome + "\"") > 0, outcome + " is counted");
      }
    } finally {
      vertx.close().await();
    }
  }

  private static String scrape(RunningService service) {
    return service.client.get(service.deployment.httpPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
  }

  /** The sum of the samples whose line starts with {@code prefix}. */
  private static long sum(String metrics, String prefix) {
    Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(prefix) + "[^\\n]* ([0-9.E+]+)$").matcher(metrics);
    double total = 0;
    while (sample.find()) {
      total += Double.parseDouble(sample.group(1));
    }
    return Math.round(total);
  }
}
