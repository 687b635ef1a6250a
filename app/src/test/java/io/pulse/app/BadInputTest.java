package io.pulse.app;

import static io.pulse.testkit.Responses.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every kind of bad input is a 400 naming the problem and leaves nothing behind: no row, no broker user. The caller
 * holds {@code pulse:namespace:*}, so authorization is never the reason.
 */
@ExtendWith(VertxExtension.class)
class BadInputTest {

  private static final String RULE = "1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'";

  private static RunningService service;
  private static RunningService prefixed;
  /** The prefixed service runs in a Vert.x of its own: every deployment serves the same event-bus addresses. */
  private static Vertx prefixedVertx;

  @BeforeAll
  static void start(Vertx vertx) {
    service = RunningService.start(vertx);
    try {
      prefixedVertx = Vertx.vertx();
      prefixed = RunningService.start(prefixedVertx, Map.of("PULSE_NAMESPACE_PREFIX", "team-"));
    } catch (RuntimeException e) {
      service.close();
      if (prefixedVertx != null) {
        prefixedVertx.close().await();
      }
      throw e;
    }
  }

  @AfterAll
  static void stop() {
    try {
      if (prefixed != null) {
        prefixed.close();
      }
    } finally {
      try {
        service.close();
      } finally {
        if (prefixedVertx != null) {
          prefixedVertx.close().await();
        }
      }
    }
  }

  // --- the body ---------------------------------------------------------------------------------------------

  @Test
  void theNamespaceOwningTheEventsExchangeCannotBeClaimed() {
    // The default PULSE_EVENTS_EXCHANGE is exchange/pulse/v1/queue-events: a namespace 'pulse' could write to it.
    assertError(claimRaw(service, "pulse", "{}"), 400, "InvalidNamespace", "reserved");
    assertNothingLeft(service, "pulse");
  }

  @Test
  void malformedJsonIsMalformedPayload() {
    String ns = TestEnv.unique("malformed");
    JsonObject body = assertError(claimRaw(service, ns, "{\"expires\": "), 400, "MalformedPayload", "JSON");
    assertClaimInfo(body, ns);
    assertNothingLeft(service, ns);
  }

  @Test
  void bodyThatIsNotAnObjectIsInputValidationError() {
    for (String payload : List.of("[]", "[{\"contact\": \"a@example.com\"}]", "\"a string\"", "42", "true", "null")) {
      String ns = TestEnv.unique("notobj");
      JsonObject body = assertError(claimRaw(service, ns, payload), 400, "InputValidationError", "JSON object");
      assertClaimInfo(body, ns);
      assertNothingLeft(service, ns);
    }
  }

  @Test
  void unknownFieldIsNamed() {
    String ns = TestEnv.unique("unknown");
    JsonObject body = assertError(claimRaw(service, ns, "{\"foo\": 1}"), 400, "InputValidationError", "foo");
    assertClaimInfo(body, ns);
    assertNothingLeft(service, ns);
  }

  @Test
  void badExpiresIsNamed() {
    String past = Instant.now().minusSeconds(3600).toString();
    for (String value : List.of("12345", "\"tomorrow\"", "\"2030-01-01T00:00:00\"", "\"2030-01-01\"",
        "\"" + past + "\"", "\"2000-01-01T00:00:00Z\"", "null", "{}", "[]")) {
      String ns = TestEnv.unique("expires");
      HttpResponse<Buffer> response = claimRaw(service, ns, "{\"expires\": " + value + "}");
      JsonObject body = assertError(response, 400, "InputValidationError", "expires");
      assertClaimInfo(body, ns);
      assertNothingLeft(service, ns);
    }
  }

  @Test
  void valuesPostgresqlOrInstantCannotHoldAre400NotACrash() {
    String nul = TestEnv.unique("nul");
    assertClaimInfo(assertError(claimRaw(service, nul, "{\"contact\": \"a\\u0000b@example.org\"}"), 400,
        "InputValidationError", "contact"), nul);
    assertNothingLeft(service, nul);
    String far = TestEnv.unique("far");
    assertClaimInfo(assertError(claimRaw(service, far, "{\"expires\": \"+300000-01-01T00:00:00Z\"}"), 400,
        "InputValidationError", "expires"), far);
    assertNothingLeft(service, far);
  }

  @Test
  void anExpiryBeyondTheMaximumIsCappedAndTheAnswerSaysSo() {
    String ns = TestEnv.unique("capped");
    HttpResponse<Buffer> response = claimRaw(service, ns, "{\"expires\": \"2999-01-01T00:00:00Z\"}");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    Instant expires = Instant.parse(response.bodyAsJsonObject().getString("expires"));
    assertTrue(expires.isBefore(Instant.now().plus(java.time.Duration.ofDays(30)).plusSeconds(60)),
        "capped to PULSE_MAX_CLAIM_DURATION (30 days): " + expires);
  }

  @Test
  void badContactIsNamed() {
    for (String value : List.of("12345", "\"nobody\"", "\"a@b\"", "null", "\"\"", "\"two@at@example.com\"",
        "\"with space@example.com\"", "[\"a@example.com\"]")) {
      String ns = TestEnv.unique("contact");
      HttpResponse<Buffer> response = claimRaw(service, ns, "{\"contact\": " + value + "}");
      JsonObject body = assertError(response, 400, "InputValidationError", "contact");
      assertClaimInfo(body, ns);
      assertNothingLeft(service, ns);
    }
  }

  @Test
  void aBodyOverTheLimitIsAJsonError() {
    String ns = TestEnv.unique("huge");
    String payload = "{\"contact\": \"" + "x".repeat(70 * 1024) + "@example.com\"}";
    HttpResponse<Buffer> response = claimRaw(service, ns, payload);
    int status = response.statusCode();
    assertTrue(status == 400 || status == 413, "status " + status + ": " + response.bodyAsString());
    assertTrue(response.getHeader("Content-Type").startsWith("application/json"), response.getHeader("Content-Type"));
    JsonObject body = response.bodyAsJsonObject();
    assertNotNull(body.getString("code"), body.encode());
    assertNotNull(body.getString("message"), body.encode());
    assertNothingLeft(service, ns);
  }

  @Test
  void errorRequestInfoCarriesTheMethodParamsAndPayload() {
    String ns = TestEnv.unique("info");
    JsonObject body = assertError(claimRaw(service, ns, "{\"foo\": 1}"), 400, "InputValidationError", "foo");
    JsonObject info = body.getJsonObject("requestInfo");
    assertNotNull(info, body.encode());
    assertEquals("claimNamespace", info.getString("method"));
    assertEquals(ns, info.getJsonObject("params").getString("namespace"));
    assertEquals(new JsonObject().put("foo", 1), info.getJsonObject("payload"));
    assertNotNull(info.getString("time"));
    Instant.parse(info.getString("time"));
  }

  // --- namespace names --------------------------------------------------------------------------------------

  @Test
  void namespaceNameOf64IsFineAnd65IsNot() {
    String ok = (TestEnv.unique("l") + "x".repeat(64)).substring(0, 64);
    HttpResponse<Buffer> claimed = claimRaw(service, ok, "{}");
    assertEquals(200, claimed.statusCode(), claimed.bodyAsString());

    String tooLong = (TestEnv.unique("l") + "x".repeat(65)).substring(0, 65);
    assertBadName(tooLong, tooLong);
  }

  @Test
  void namespaceWithADotIsInvalid() {
    String ns = TestEnv.unique("has") + ".dot";
    assertBadName(ns, ns);
  }

  @Test
  void namespaceWithASpaceIsInvalid() {
    String ns = TestEnv.unique("has");
    assertBadName(ns + "%20space", ns + " space");
  }

  @Test
  void namespaceWithANonAsciiLetterIsInvalid() {
    String ns = TestEnv.unique("u");
    assertBadName(ns + "%C3%A4", ns + "\u00e4");
  }

  @Test
  void namespaceWithAnEncodedSlashIsInvalid() {
    String ns = TestEnv.unique("a");
    assertBadName(ns + "%2Fb", ns + "/b");
  }

  @Test
  void emptyNamespaceIsAJson4xx() {
    HttpResponse<Buffer> response = service.post("/namespace/", "{}", service.token("pulse:namespace:*"));
    assertTrue(response.statusCode() >= 400 && response.statusCode() < 500,
        response.statusCode() + " " + response.bodyAsString());
    assertTrue(response.getHeader("Content-Type").startsWith("application/json"), response.getHeader("Content-Type"));
    assertNotNull(response.bodyAsJsonObject().getString("code"), response.bodyAsString());
  }

  @Test
  void prefixedServiceRefusesNamespacesWithoutItsPrefix() {
    String ns = TestEnv.unique("other-");
    HttpResponse<Buffer> response = claimRaw(prefixed, ns, "{}");
    JsonObject body = assertError(response, 400, "InvalidNamespace", "team-");
    assertClaimInfo(body, ns);
    assertNothingLeft(prefixed, ns);

    HttpResponse<Buffer> get = prefixed.get("/namespace/" + ns);
    assertError(get, 400, "InvalidNamespace", "team-");

    String good = TestEnv.unique("team-");
    HttpResponse<Buffer> claimed = claimRaw(prefixed, good, "{}");
    assertEquals(200, claimed.statusCode(), claimed.bodyAsString());
    assertEquals(good, claimed.bodyAsJsonObject().getString("namespace"));
  }

  // --- list query arguments ---------------------------------------------------------------------------------

  @Test
  void badLimitIsNamed() {
    for (String limit : List.of("abc", "0", "-3", "1.5", "")) {
      HttpResponse<Buffer> response = service.get("/namespaces?limit=" + limit);
      JsonObject body = assertError(response, 400, "InvalidRequestArguments", "limit");
      assertEquals("listNamespaces", body.getJsonObject("requestInfo").getString("method"), body.encode());
    }
  }

  @Test
  void largeLimitIsCapped() {
    HttpResponse<Buffer> response = service.get("/namespaces?limit=5000");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertNotNull(response.bodyAsJsonObject().getJsonArray("namespaces"));
  }

  @Test
  void garbageContinuationTokenIsNamed() {
    for (String token : List.of("garbage", "!!!", TestEnv.encode("v1:has.dot"))) {
      assertError(service.get("/namespaces?continuationToken=" + token), 400, "InvalidRequestArguments",
          "continuationToken");
    }
  }

  @Test
  void unknownQueryArgumentIsNamed() {
    assertError(service.get("/namespaces?foo=1"), 400, "InvalidRequestArguments", "foo");
  }

  @Test
  void repeatedQueryArgumentIsRefused() {
    assertError(service.get("/namespaces?limit=1&limit=2"), 400, "InvalidRequestArguments", "limit");
  }

  // --- helpers ----------------------------------------------------------------------------------------------

  /** POST /namespace/{rawName} (already URL-encoded as needed) with the raw body and a pulse:namespace:* token. */
  private static HttpResponse<Buffer> claimRaw(RunningService on, String rawName, String body) {
    return on.post("/namespace/" + rawName, body, on.token("pulse:namespace:*"));
  }

  private void assertBadName(String rawName, String decoded) {
    HttpResponse<Buffer> response = claimRaw(service, rawName, "{\"contact\": \"a@example.com\"}");
    JsonObject body = assertError(response, 400, "InvalidNamespace", RULE);
    JsonObject info = body.getJsonObject("requestInfo");
    assertNotNull(info, body.encode());
    assertEquals("claimNamespace", info.getString("method"));
    assertEquals(decoded, info.getJsonObject("params").getString("namespace"), body.encode());
    assertNothingLeft(service, decoded);

    HttpResponse<Buffer> get = service.request(HttpMethod.GET, "/namespace/" + rawName, null).send().await();
    assertError(get, 400, "InvalidNamespace", RULE);
  }

  private static void assertClaimInfo(JsonObject body, String ns) {
    JsonObject info = body.getJsonObject("requestInfo");
    assertNotNull(info, body.encode());
    assertEquals("claimNamespace", info.getString("method"), body.encode());
    assertEquals(ns, info.getJsonObject("params").getString("namespace"), body.encode());
  }

  private static void assertNothingLeft(RunningService on, String ns) {
    assertTrue(TestEnv.sql(on.vertx, on.database, "SELECT 1 FROM namespaces WHERE name = $1", ns).isEmpty(),
        "no row for " + ns);
    assertEquals(List.of(), TestEnv.users(on.client, on.userPrefix + ns + "-"), "no broker users for " + ns);
  }
}
