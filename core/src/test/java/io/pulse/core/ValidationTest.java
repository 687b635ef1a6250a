package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ValidationTest {

  private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  private static final Duration DEFAULT = Duration.ofHours(4);
  /** Far enough for the far-future dates of these tests; capping has tests of its own. */
  private static final Duration MAX = Duration.ofDays(36_500);

  private static ServiceException fails(String code, String mentions, Executable call) {
    ServiceException e = assertThrows(ServiceException.class, call);
    assertEquals(400, e.failureCode());
    assertEquals(code, e.getDebugInfo().getString("code"));
    assertTrue(e.getMessage().contains(mentions), "message should mention " + mentions + ": " + e.getMessage());
    return e;
  }

  private static void invalidClaim(String field, JsonObject payload) {
    fails("InputValidationError", "'" + field + "'", () -> Validation.claim(payload, NOW, DEFAULT, MAX));
  }

  private static void invalidList(String field, JsonObject query) {
    fails("InvalidRequestArguments", "'" + field + "'", () -> Validation.list(query));
  }

  // namespace

  @Test
  void namespaceAcceptsOneToSixtyFourSafeCharacters() {
    assertEquals("a", Validation.namespace("a", ""));
    assertEquals("Foo_bar-09", Validation.namespace("Foo_bar-09", ""));
    String max = "x".repeat(64);
    assertEquals(max, Validation.namespace(max, ""));
  }

  @Test
  void namespaceRejectsBadNamesStatingTheRule() {
    for (String bad : new String[] {"", "x".repeat(65), "a.b", "a/b", "ä", "a b", "a\n"}) {
      ServiceException e = fails("InvalidNamespace", "1 to 64", () -> Validation.namespace(bad, ""));
      assertTrue(e.getMessage().contains("A-Z"), e.getMessage());
    }
    fails("InvalidNamespace", "1 to 64", () -> Validation.namespace(null, ""));
  }

  @Test
  void namespaceMustStartWithConfiguredPrefix() {
    assertEquals("team-foo", Validation.namespace("team-foo", "team-"));
    fails("InvalidNamespace", "team-", () -> Validation.namespace("foo", "team-"));
  }

  // claim

  @Test
  void claimWithoutPayloadUsesDefaultDuration() {
    Validation.Claim fromNull = Validation.claim(null, NOW, DEFAULT, MAX);
    assertEquals(NOW.plus(DEFAULT), fromNull.expires());
    assertNull(fromNull.contact());
    Validation.Claim fromEmpty = Validation.claim(new JsonObject(), NOW, DEFAULT, MAX);
    assertEquals(NOW.plus(DEFAULT), fromEmpty.expires());
    assertNull(fromEmpty.contact());
  }

  @Test
  void claimParsesExpiresAndContact() {
    Validation.Claim claim = Validation.claim(
        new JsonObject().put("expires", "2030-01-01T00:00:00Z").put("contact", "ops@example.com"), NOW, DEFAULT, MAX);
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), claim.expires());
    assertEquals("ops@example.com", claim.contact());
  }

  @Test
  void claimAcceptsOffsetsOtherThanUtc() {
    Validation.Claim claim = Validation.claim(new JsonObject().put("expires", "2030-01-01T02:00:00+02:00"), NOW, DEFAULT, MAX);
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), claim.expires());
  }

  @Test
  void anExpiryBeyondTheMaximumIsCappedToIt() {
    Duration max = Duration.ofDays(30);
    Validation.Claim claim = Validation.claim(new JsonObject().put("expires", "2030-01-01T00:00:00Z"), NOW, DEFAULT,
        max);
    assertEquals(NOW.plus(max), claim.expires());
    assertEquals(NOW.plus(Duration.ofDays(1)), Validation.claim(new JsonObject().put("expires",
        NOW.plus(Duration.ofDays(1)).toString()), NOW, DEFAULT, max).expires(), "within the maximum: as asked");
  }

  @Test
  void anExpiryWithAYearOfMoreThanFourDigitsIsRefused() {
    invalidClaim("expires", new JsonObject().put("expires", "+300000-01-01T00:00:00Z"));
    invalidClaim("expires", new JsonObject().put("expires", "+10000-01-01T00:00:00Z"));
  }

  @Test
  void aContactWithControlCharactersOrSpacesIsRefused() {
    invalidClaim("contact", new JsonObject().put("contact", "a\u0000b@example.org"));
    invalidClaim("contact", new JsonObject().put("contact", "a b@example.org"));
    invalidClaim("contact", new JsonObject().put("contact", "a\nb@example.org"));
    invalidClaim("contact", new JsonObject().put("contact", "x".repeat(250) + "@example.org"));
  }

  @Test
  void claimRejectsUnknownFieldNamingIt() {
    invalidClaim("owner", new JsonObject().put("owner", "me"));
  }

  @Test
  void claimRejectsBadExpires() {
    invalidClaim("expires", new JsonObject().put("expires", 1893456000));
    invalidClaim("expires", new JsonObject().put("expires", "tomorrow"));
    invalidClaim("expires", new JsonObject().put("expires", "2030-01-01T00:00:00"));
    invalidClaim("expires", new JsonObject().put("expires", "2020-01-01T00:00:00Z"));
    invalidClaim("expires", new JsonObject().put("expires", NOW.toString()));
    invalidClaim("expires", new JsonObject().putNull("expires"));
  }

  @Test
  void claimRejectsBadContact() {
    invalidClaim("contact", new JsonObject().put("contact", 42));
    invalidClaim("contact", new JsonObject().put("contact", "nobody"));
    invalidClaim("contact", new JsonObject().put("contact", "a@b"));
    invalidClaim("contact", new JsonObject().put("contact", "a b@c.com"));
    invalidClaim("contact", new JsonObject().putNull("contact"));
  }

  // list

  @Test
  void listDefaultsToMaxLimitFromTheStart() {
    Validation.ListQuery q = Validation.list(new JsonObject());
    assertEquals(1000, q.limit());
    assertNull(q.after());
    assertEquals(1000, Validation.list(null).limit());
  }

  @Test
  void listCapsLimitAtMax() {
    assertEquals(1000, Validation.list(new JsonObject().put("limit", 5000)).limit());
    assertEquals(1000, Validation.list(new JsonObject().put("limit", "5000")).limit());
  }

  @Test
  void listAcceptsLimitAsStringOrNumber() {
    assertEquals(5, Validation.list(new JsonObject().put("limit", "5")).limit());
    assertEquals(5, Validation.list(new JsonObject().put("limit", 5)).limit());
    assertEquals(5, Validation.list(new JsonObject().put("limit", 5L)).limit());
    assertEquals(5, Validation.list(new JsonObject().put("limit", 5.0)).limit());
  }

  @Test
  void listRejectsBadLimits() {
    invalidList("limit", new JsonObject().put("limit", 0));
    invalidList("limit", new JsonObject().put("limit", -1));
    invalidList("limit", new JsonObject().put("limit", "0"));
    invalidList("limit", new JsonObject().put("limit", "-1"));
    invalidList("limit", new JsonObject().put("limit", "abc"));
    invalidList("limit", new JsonObject().put("limit", 1.5));
    invalidList("limit", new JsonObject().put("limit", ""));
  }

  @Test
  void listRejectsUnknownQueryKey() {
    invalidList("offset", new JsonObject().put("offset", 10));
  }

  @Test
  void continuationTokenRoundTrips() {
    for (String name : new String[] {"a", "team-foo_1", "z".repeat(64)}) {
      String token = Validation.token(name);
      assertEquals(name, Validation.list(new JsonObject().put("continuationToken", token)).after());
    }
  }

  @Test
  void continuationTokenIsOpaqueAndUrlSafe() {
    String token = Validation.token("team-foo");
    assertTrue(token.matches("[A-Za-z0-9_-]+"), token);
    assertTrue(!token.contains("team-foo"), token);
  }

  @Test
  void garbageContinuationTokensAreRejected() {
    String otherBase64 = Base64.getUrlEncoder().encodeToString("hello world".getBytes(StandardCharsets.UTF_8));
    String wrongName = Base64.getUrlEncoder().encodeToString("v1:a.b".getBytes(StandardCharsets.UTF_8));
    for (String bad : new String[] {"!!!", otherBase64, wrongName, ""}) {
      invalidList("continuationToken", new JsonObject().put("continuationToken", bad));
    }
    invalidList("continuationToken", new JsonObject().put("continuationToken", 12));
  }
}
