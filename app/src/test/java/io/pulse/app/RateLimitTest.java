package io.pulse.app;

import static io.pulse.testkit.Responses.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Per-caller limits on first claims and revocations; renewals are never limited; every outcome is counted. */
@ExtendWith(VertxExtension.class)
class RateLimitTest {

  @Test
  void firstClaimsAndRevocationsAreLimitedPerCallerAndRenewalsAreNot(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_FIRST_CLAIMS_PER_SECOND", "1",
        "PULSE_REVOCATIONS_PER_SECOND", "1", "PULSE_RATE_LIMIT_BURST", "2"))) {
      String stem = TestEnv.unique("rl");
      String token = service.token("pulse:namespace:" + stem + "*");
      assertEquals(200, service.post("/namespace/" + stem + "a", "{}", token).statusCode());
      assertEquals(200, service.post("/namespace/" + stem + "b", "{}", token).statusCode());

      HttpResponse<Buffer> third = service.post("/namespace/" + stem + "c", "{}", token);
      assertError(third, 429, "TooManyRequests", "Too many new namespaces");
      assertNotNull(third.getHeader("Retry-After"));
      assertEquals(404, service.get("/namespace/" + stem + "c").statusCode(), "nothing was made");
      for (int i = 0; i < 5; i++) {
        assertEquals(200, service.post("/namespace/" + stem + "a", "{}", token).statusCode(),
            "renewing an existing namespace is never limited");
      }
      assertEquals(200, service.post("/namespace/" + TestEnv.unique("other"), "{}",
          service.tokenOf("someone-else", "pulse:namespace:*")).statusCode(), "another caller has a bucket of its own");

      assertEquals(204, revoke(service, stem + "a", token).statusCode());
      assertEquals(204, revoke(service, stem + "b", token).statusCode());
      assertError(revoke(service, stem + "a", token), 429, "TooManyRequests", "Too many revocations");

      assertEquals(1.0, service.count("pulse.rate.limited", "action", "claim"));
      assertEquals(1.0, service.count("pulse.rate.limited", "action", "revoke"));
      assertEquals(1.0, service.count("pulse.claims", "outcome", "TooManyRequests"));
    }
  }

  /**
   * With the REST API on three event loops (PULSE_HTTP_INSTANCES) and every request on a connection of its own, the
   * requests spread over the instances (Vert.x hands new connections to them in turn), and a caller still has one
   * bucket: a limit per instance would have let through three times the burst.
   */
  @Test
  void aCallersLimitHoldsAcrossTheEventLoopsThatServeIt(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_HTTP_INSTANCES", "3",
        "PULSE_FIRST_CLAIMS_PER_SECOND", "1", "PULSE_RATE_LIMIT_BURST", "2"))) {
      String stem = TestEnv.unique("rl3");
      String token = service.token("pulse:namespace:" + stem + "*");
      int made = 0;
      int limited = 0;
      long started = System.nanoTime();
      for (int i = 0; i < 6; i++) {
        int status = service.request(HttpMethod.POST, "/namespace/" + stem + i, token).putHeader("Connection", "close")
            .sendBuffer(Buffer.buffer("{}")).await().statusCode();
        if (status == 200) {
          made++;
        } else if (status == 429) {
          limited++;
        }
      }
      // The bucket refills at one a second: a slow machine may earn one more while these run.
      long refilled = (System.nanoTime() - started) / 1_000_000_000L;
      assertTrue(made >= 2 && made <= 2 + refilled, "the burst, once for all event loops: " + made + " made");
      assertEquals(6 - made, limited);
      for (int i = 0; i < 6; i++) {
        assertEquals(200, service.request(HttpMethod.GET, "/namespace/" + stem + (i % 2 == 0 ? 0 : 1), null)
            .putHeader("Connection", "close").send().await().statusCode(), "every instance serves the API");
      }
    }
  }

  @Test
  void refusedCredentialsAndBadBodiesAreCountedToo(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx)) {
      String ns = TestEnv.unique("counted");
      service.post("/namespace/" + ns, "{}", "not.a.token");
      service.post("/namespace/" + ns, "{}", null);
      service.post("/namespace/" + ns, "{not json", service.token("pulse:namespace:" + ns));
      assertEquals(1.0, service.count("pulse.claims", "outcome", "AuthenticationFailed"));
      assertEquals(1.0, service.count("pulse.claims", "outcome", "InsufficientScopes"));
      assertEquals(1.0, service.count("pulse.claims", "outcome", "MalformedPayload"));
    }
  }

  private static HttpResponse<Buffer> revoke(RunningService service, String ns, String token) {
    return service.request(HttpMethod.DELETE, "/namespace/" + ns, token).send().await();
  }
}
