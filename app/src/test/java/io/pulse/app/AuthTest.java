package io.pulse.app;

import static io.pulse.testkit.Responses.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bearer-token authentication and Taskcluster scope checks on the claim route, with HS256, RS256, ES256 and the
 * issuer/audience checks; routes that need no scopes never look at credentials.
 */
@ExtendWith(VertxExtension.class)
class AuthTest {

  private static final String ISSUER = "pulse-test-issuer";
  private static final String AUDIENCE = "pulse-test-aud";

  private static Vertx vertx;
  private static RunningService service;
  private static RunningService rsaService;
  private static RunningService ecService;
  private static RunningService issuerService;
  private static final List<RunningService> started = new ArrayList<>();
  /** Each differently configured service runs in a Vert.x of its own: all deployments serve the same bus addresses. */
  private static final List<Vertx> ownVertx = new ArrayList<>();

  private static KeyPair rsaKeys;
  private static KeyPair otherRsaKeys;
  private static KeyPair ecKeys;
  private static KeyPair otherEcKeys;

  @BeforeAll
  static void start(Vertx v) throws Exception {
    vertx = v;
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    rsaKeys = rsa.generateKeyPair();
    otherRsaKeys = rsa.generateKeyPair();
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    ecKeys = ec.generateKeyPair();
    otherEcKeys = ec.generateKeyPair();

    service = started(RunningService.start(vertx));
    rsaService = started(RunningService.start(ownVertx(),
        Map.of("PULSE_JWT_PUBLIC_KEY", pem("PUBLIC KEY", rsaKeys.getPublic().getEncoded()))));
    ecService = started(RunningService.start(ownVertx(),
        Map.of("PULSE_JWT_PUBLIC_KEY", pem("PUBLIC KEY", ecKeys.getPublic().getEncoded()))));
    issuerService = started(RunningService.start(ownVertx(),
        Map.of("PULSE_JWT_ISSUER", ISSUER, "PULSE_JWT_AUDIENCE", AUDIENCE)));
  }

  @AfterAll
  static void stop() {
    RuntimeException failure = null;
    for (RunningService s : started) {
      try {
        s.close();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    for (Vertx v : ownVertx) {
      v.close().await();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static Vertx ownVertx() {
    Vertx v = Vertx.vertx();
    ownVertx.add(v);
    return v;
  }

  private static RunningService started(RunningService s) {
    started.add(s);
    return s;
  }

  // --- scopes -----------------------------------------------------------------------------------------------

  @Test
  void claimWithoutCredentialsIs403NamingTheRequiredScope() {
    String ns = TestEnv.unique("anon");
    HttpResponse<Buffer> response = service.post("/namespace/" + ns, "{}", null);
    assertError(response, 403, "InsufficientScopes", "pulse:namespace:" + ns);
    assertNothingCreated(service, ns);
  }

  @Test
  void tokenForAnotherNamespaceIs403NamingTheMissingScope() {
    String ns = TestEnv.unique("mine");
    String other = TestEnv.unique("theirs");
    HttpResponse<Buffer> response = service.post("/namespace/" + ns, "{}",
        service.token("pulse:namespace:" + other, "pulse:other:thing"));
    JsonObject body = assertError(response, 403, "InsufficientScopes", "pulse:namespace:" + ns);
    assertTrue(body.getString("message").contains("missing pulse:namespace:" + ns), body.encode());
    assertNothingCreated(service, ns);
  }

  @Test
  void namespaceStarScopeIsEnough() {
    String ns = TestEnv.unique("star");
    assertClaimed(service.post("/namespace/" + ns, "{}", service.token("pulse:namespace:*")), ns);
  }

  @Test
  void pulseStarScopeIsEnough() {
    String ns = TestEnv.unique("pstar");
    assertClaimed(service.post("/namespace/" + ns, "{}", service.token("pulse:*")), ns);
  }

  @Test
  void namespacePrefixStarScopeIsEnough() {
    String ns = TestEnv.unique("pfx");
    // ns is "pfx" + 8 characters: a scope ending in '*' after the first 5 covers it.
    assertClaimed(service.post("/namespace/" + ns, "{}",
        service.token("pulse:namespace:" + ns.substring(0, 5) + "*")), ns);
  }

  @Test
  void scopeWithExtraCharactersIsNotEnough() {
    String ns = TestEnv.unique("extra");
    HttpResponse<Buffer> response = service.post("/namespace/" + ns, "{}",
        service.token("pulse:namespace:" + ns + "extra"));
    assertError(response, 403, "InsufficientScopes", "pulse:namespace:" + ns);
    assertNothingCreated(service, ns);
  }

  @Test
  void scopeForAShorterNamespaceIsNotEnough() {
    String ns = TestEnv.unique("lit");
    // A scope for a namespace that ns merely extends is no scope for ns.
    HttpResponse<Buffer> response = service.post("/namespace/" + ns, "{}",
        service.token("pulse:namespace:" + ns.substring(0, ns.length() - 1)));
    assertError(response, 403, "InsufficientScopes", "pulse:namespace:" + ns);
    assertNothingCreated(service, ns);
  }

  // --- bad tokens -------------------------------------------------------------------------------------------

  @Test
  void expiredTokenIs401WithWwwAuthenticate() {
    String ns = TestEnv.unique("expired");
    long past = Instant.now().minusSeconds(3600).getEpochSecond();
    JWTAuth signer = hs256(TestEnv.JWT_SECRET);
    String token = signer.generateToken(new JsonObject()
            .put("scopes", new JsonArray().add("pulse:namespace:*")).put("exp", past),
        new JWTOptions().setSubject("test"));
    assertEquals(past, decodePayload(token).getLong("exp"), "the minted token carries the past exp");
    HttpResponse<Buffer> response = service.post("/namespace/" + ns, "{}", token);
    assertAuthFailed(response, token);
    assertNothingCreated(service, ns);
  }

  @Test
  void tokenSignedWithAnotherSecretIs401() {
    String ns = TestEnv.unique("othersecret");
    String token = hs256("some-other-secret-entirely-different").generateToken(
        new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")),
        new JWTOptions().setSubject("test").setExpiresInMinutes(10));
    assertAuthFailed(service.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(service, ns);
  }

  @Test
  void garbageTokenIs401() {
    String ns = TestEnv.unique("garbage");
    assertAuthFailed(service.post("/namespace/" + ns, "{}", "abc.def.ghi"), "abc.def.ghi");
    assertNothingCreated(service, ns);
  }

  @Test
  void aTokenWithoutAnExpiryIs401() {
    String ns = TestEnv.unique("noexp");
    String token = hs256(TestEnv.JWT_SECRET).generateToken(
        new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")),
        new JWTOptions().setSubject("test"));
    assertNull(decodePayload(token).getValue("exp"), "the minted token has no exp");
    JsonObject body = assertAuthFailed(service.post("/namespace/" + ns, "{}", token), token);
    assertTrue(body.getString("message").contains("'exp'"), body.encode());
    assertNothingCreated(service, ns);
  }

  @Test
  void aMalformedTokenIsCalledMalformedWithoutTheParsersWords() {
    String ns = TestEnv.unique("garbled");
    String token = "eyJhbGciOiJIUzI1NiJ9.t7-not-json.c2ln";
    JsonObject body = assertAuthFailed(service.post("/namespace/" + ns, "{}", token), token);
    assertTrue(body.getString("message").endsWith("malformed bearer token"), body.encode());
  }

  @Test
  void aRememberedTokenIsNeverAcceptedPastItsExpiry(Vertx vertx) {
    Vertx own = Vertx.vertx();
    try (RunningService strict = RunningService.start(own, Map.of("PULSE_JWT_LEEWAY", "0s"))) {
      String ns = TestEnv.unique("short");
      long exp = Instant.now().plusSeconds(2).getEpochSecond();
      String token = hs256(TestEnv.JWT_SECRET).generateToken(new JsonObject()
          .put("scopes", new JsonArray().add("pulse:namespace:" + ns)).put("exp", exp),
          new JWTOptions().setSubject("short"));
      assertEquals(200, strict.post("/namespace/" + ns, "{}", token).statusCode(), "valid, and now remembered");
      TestEnv.eventually(10, "the token's expiry passes", () -> Instant.now().getEpochSecond() > exp);
      assertAuthFailed(strict.post("/namespace/" + ns, "{}", token), token);
    } finally {
      own.close().await();
    }
  }

  @Test
  void basicAuthorizationIs401() {
    String ns = TestEnv.unique("basic");
    HttpResponse<Buffer> response = service.request(HttpMethod.POST, "/namespace/" + ns, null)
        .putHeader("Content-Type", "application/json")
        .putHeader("Authorization", "Basic xxx")
        .sendBuffer(Buffer.buffer("{}")).await();
    JsonObject body = assertAuthFailed(response, "xxx");
    assertTrue(body.getString("message").contains("Bearer"), body.encode());
    assertNothingCreated(service, ns);
  }

  @Test
  void bearerWithoutTokenIs401() {
    String ns = TestEnv.unique("empty");
    HttpResponse<Buffer> response = service.request(HttpMethod.POST, "/namespace/" + ns, null)
        .putHeader("Content-Type", "application/json")
        .putHeader("Authorization", "Bearer")
        .sendBuffer(Buffer.buffer("{}")).await();
    assertAuthFailed(response, null);
    assertNothingCreated(service, ns);
  }

  @Test
  void scopesClaimThatIsAStringIs401() {
    String ns = TestEnv.unique("strscopes");
    String token = hs256(TestEnv.JWT_SECRET).generateToken(
        new JsonObject().put("scopes", "pulse:namespace:*"),
        new JWTOptions().setSubject("test").setExpiresInMinutes(10));
    JsonObject body = assertAuthFailed(service.post("/namespace/" + ns, "{}", token), token);
    assertTrue(body.getString("message").contains("scopes"), body.encode());
    assertNothingCreated(service, ns);
  }

  @Test
  void scopesClaimWithANonStringIs401() {
    String ns = TestEnv.unique("numscopes");
    String token = hs256(TestEnv.JWT_SECRET).generateToken(
        new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*").add(42)),
        new JWTOptions().setSubject("test").setExpiresInMinutes(10));
    assertAuthFailed(service.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(service, ns);
  }

  @Test
  void unsignedTokenIs401() {
    String ns = TestEnv.unique("none");
    String header = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    String payload = base64Url(new JsonObject().put("sub", "x")
        .put("scopes", new JsonArray().add("pulse:namespace:*"))
        .put("exp", Instant.now().plusSeconds(600).getEpochSecond()).encode());
    String token = header + "." + payload + ".";
    assertAuthFailed(service.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(service, ns);
  }

  // --- RS256 / ES256 ----------------------------------------------------------------------------------------

  @Test
  void rs256TokenFromTheConfiguredKeyIsAccepted() {
    String ns = TestEnv.unique("rsa");
    String token = signed("RS256", rsaKeys, new JWTOptions().setSubject("rsa").setExpiresInMinutes(10));
    assertClaimed(rsaService.post("/namespace/" + ns, "{}", token), ns, rsaService);
  }

  @Test
  void rs256TokenFromAnotherKeyIsRefused() {
    String ns = TestEnv.unique("rsabad");
    String token = signed("RS256", otherRsaKeys, new JWTOptions().setSubject("rsa").setExpiresInMinutes(10));
    assertAuthFailed(rsaService.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(rsaService, ns);
  }

  @Test
  void es256TokenFromTheConfiguredKeyIsAccepted() {
    String ns = TestEnv.unique("ec");
    String token = signed("ES256", ecKeys, new JWTOptions().setSubject("ec").setExpiresInMinutes(10));
    assertClaimed(ecService.post("/namespace/" + ns, "{}", token), ns, ecService);
  }

  @Test
  void es256TokenFromAnotherKeyIsRefused() {
    String ns = TestEnv.unique("ecbad");
    String token = signed("ES256", otherEcKeys, new JWTOptions().setSubject("ec").setExpiresInMinutes(10));
    assertAuthFailed(ecService.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(ecService, ns);
  }

  // --- issuer / audience ------------------------------------------------------------------------------------

  @Test
  void tokenWithTheRightIssuerAndAudienceIsAccepted() {
    String ns = TestEnv.unique("iss");
    String token = issued(new JWTOptions().setSubject("t").setExpiresInMinutes(10)
        .setIssuer(ISSUER).setAudience(List.of(AUDIENCE)));
    assertClaimed(issuerService.post("/namespace/" + ns, "{}", token), ns, issuerService);
  }

  @Test
  void tokenWithTheWrongIssuerIsRefused() {
    String ns = TestEnv.unique("wrongiss");
    String token = issued(new JWTOptions().setSubject("t").setExpiresInMinutes(10)
        .setIssuer("someone-else").setAudience(List.of(AUDIENCE)));
    assertAuthFailed(issuerService.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(issuerService, ns);
  }

  @Test
  void tokenWithoutIssuerIsRefused() {
    String ns = TestEnv.unique("noiss");
    String token = issued(new JWTOptions().setSubject("t").setExpiresInMinutes(10)
        .setAudience(List.of(AUDIENCE)));
    assertAuthFailed(issuerService.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(issuerService, ns);
  }

  @Test
  void tokenWithTheWrongAudienceIsRefused() {
    String ns = TestEnv.unique("wrongaud");
    String token = issued(new JWTOptions().setSubject("t").setExpiresInMinutes(10)
        .setIssuer(ISSUER).setAudience(List.of("another-service")));
    assertAuthFailed(issuerService.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(issuerService, ns);
  }

  @Test
  void tokenWithoutAudienceIsRefused() {
    String ns = TestEnv.unique("noaud");
    String token = issued(new JWTOptions().setSubject("t").setExpiresInMinutes(10)
        .setIssuer(ISSUER));
    assertFalse(decodePayload(token).containsKey("aud"), "the minted token has no aud");
    assertAuthFailed(issuerService.post("/namespace/" + ns, "{}", token), token);
    assertNothingCreated(issuerService, ns);
  }

  // --- routes without scopes --------------------------------------------------------------------------------

  @Test
  void pingIgnoresEvenAGarbageToken() {
    HttpResponse<Buffer> response = service.request(HttpMethod.GET, "/ping", "abc.def.ghi").send().await();
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(true, response.bodyAsJsonObject().getBoolean("alive"));
    HttpResponse<Buffer> basic = service.request(HttpMethod.GET, "/ping", null)
        .putHeader("Authorization", "Basic xxx").send().await();
    assertEquals(200, basic.statusCode(), basic.bodyAsString());
  }

  @Test
  void getNamespaceNeedsNoCredentialsAndIgnoresAGarbageToken() {
    String ns = TestEnv.unique("open");
    assertEquals(404, service.request(HttpMethod.GET, "/namespace/" + ns, "abc.def.ghi").send().await()
        .statusCode());
    assertEquals(200, service.claim(ns, null).statusCode());
    HttpResponse<Buffer> anonymous = service.get("/namespace/" + ns);
    assertEquals(200, anonymous.statusCode(), anonymous.bodyAsString());
    HttpResponse<Buffer> garbage = service.request(HttpMethod.GET, "/namespace/" + ns, "abc.def.ghi").send().await();
    assertEquals(200, garbage.statusCode(), garbage.bodyAsString());
    assertEquals(ns, garbage.bodyAsJsonObject().getString("namespace"));
  }

  @Test
  void listNamespacesNeedsNoCredentialsAndIgnoresAGarbageToken() {
    HttpResponse<Buffer> anonymous = service.get("/namespaces");
    assertEquals(200, anonymous.statusCode(), anonymous.bodyAsString());
    assertNotNull(anonymous.bodyAsJsonObject().getJsonArray("namespaces"));
    HttpResponse<Buffer> garbage = service.request(HttpMethod.GET, "/namespaces", "abc.def.ghi").send().await();
    assertEquals(200, garbage.statusCode(), garbage.bodyAsString());
  }

  // --- helpers ----------------------------------------------------------------------------------------------

  private static JWTAuth hs256(String secret) {
    return JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
  }

  /** An HS256 token with the test secret, scope {@code pulse:namespace:*} and the given options. */
  private static String issued(JWTOptions options) {
    return hs256(TestEnv.JWT_SECRET).generateToken(
        new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")), options);
  }

  private static String signed(String algorithm, KeyPair keys, JWTOptions options) {
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm(algorithm).setBuffer(pem("PRIVATE KEY", keys.getPrivate().getEncoded()))));
    return signer.generateToken(new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")),
        options.setAlgorithm(algorithm));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static String base64Url(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static JsonObject decodePayload(String token) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]),
        java.nio.charset.StandardCharsets.UTF_8));
  }

  /** 401 AuthenticationFailed with a WWW-Authenticate challenge and no echo of the credential. */
  private static JsonObject assertAuthFailed(HttpResponse<Buffer> response, String secret) {
    JsonObject body = assertError(response, 401, "AuthenticationFailed", null);
    assertNotNull(response.getHeader("WWW-Authenticate"), "401 carries WWW-Authenticate");
    assertTrue(response.getHeader("WWW-Authenticate").startsWith("Bearer"), response.getHeader("WWW-Authenticate"));
    if (secret != null) {
      String text = response.bodyAsString();
      assertFalse(text.contains(secret), "the response must not contain the credential: " + text);
      String[] parts = secret.split("\\.");
      if (parts.length == 3 && parts[2].length() > 8) {
        assertFalse(text.contains(parts[2]), "the response must not contain the token's signature: " + text);
      }
      if (parts.length >= 2 && parts[1].length() > 8) {
        assertFalse(text.contains(parts[1]), "the response must not contain the token's payload: " + text);
      }
    }
    return body;
  }

  private static void assertClaimed(HttpResponse<Buffer> response, String ns) {
    assertClaimed(response, ns, service);
  }

  private static void assertClaimed(HttpResponse<Buffer> response, String ns, RunningService on) {
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(ns, response.bodyAsJsonObject().getString("namespace"));
    assertEquals(200, on.get("/namespace/" + ns).statusCode());
    assertEquals(List.of(on.username(ns, 1)), TestEnv.users(on.client, on.userPrefix + ns + "-"), "the active user exists");
  }

  private static void assertNothingCreated(RunningService on, String ns) {
    HttpResponse<Buffer> get = on.get("/namespace/" + ns);
    assertEquals(404, get.statusCode(), get.bodyAsString());
    assertTrue(TestEnv.sql(on.vertx, on.database, "SELECT 1 FROM namespaces WHERE name = $1", ns).isEmpty(),
        "no row for " + ns);
    assertEquals(List.of(), TestEnv.users(on.client, on.userPrefix + ns + "-"), "no broker users for " + ns);
  }
}
