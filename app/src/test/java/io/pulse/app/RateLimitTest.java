package io.pulse.app;

import static io.pulse.testkit.Responses.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
