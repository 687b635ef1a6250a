package io.pulse.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.api.auth.Hawk.HawkException;
import io.pulse.config.StaticClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Hawk and temporary credentials against the test vectors of docs/taskcluster-auth.md, and every refusal. */
class HawkTest {

  private static final long TS = 1_500_000_000L;
  private static final long NOW = TS * 1000;
  private static final String SEED = "JYR4wzMCTG6XeDS2cDUCMwH0RFUXGfQjK7LgqD-e6lSQ";
  private static final List<String> CERT_SCOPES = List.of("scope/asd:fhjdf/X", "scope/asd:fhjdf/XYZ*");
  private static final String PING = "/api/pulse/v1/ping";
  private static final String CLAIM = "/api/pulse/v1/namespace/foo";

  private static final StaticClient TESTER = new StaticClient("tester", "no-secret-but-long-enough",
      List.of("pulse:namespace:foo", "pulse:namespace:bar*", "auth:create-client:tester/named"));
  private static final StaticClient ISSUER = new StaticClient("def/ghi@XXX", "tokenABCDEFGH",
      List.of("scope/asd:*", "auth:create-client:abc/def/ghi"));
  private final HawkVerifier verifier = new HawkVerifier(List.of(TESTER, ISSUER));

  // --- test vectors -------------------------------------------------------------------------------------------

  @Test
  void payloadHashesMatchTheReference() {
    assertEquals("XtNvx1FqrUYVOLlne3l2WzcyRfj9QeC6YtmhMKKFMGY=", Hawk.payloadHash(null, bytes("{}")));
    assertEquals("B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8=", Hawk.payloadHash(null, new byte[0]));
    assertEquals("vNZvU+y3rJKqH4hu1yxrNuaijNPgIJ2Rgj/sHzsQhXY=", Hawk.payloadHash("application/json", bytes("{}")));
    assertEquals("vNZvU+y3rJKqH4hu1yxrNuaijNPgIJ2Rgj/sHzsQhXY=",
        Hawk.payloadHash(" Application/JSON ; charset=utf-8", bytes("{}")));
  }

  @Test
  void macsMatchTheReference() {
    Hawk.Header ping = new Hawk.Header("tester", TS, "abcdef", null, null, "", null, null);
    assertEquals("ccjuDunEPSA2hNu01a4Ad/+EC5WAWZseHu44ok10gnc=",
        Hawk.mac("no-secret", ping, "GET", PING, "localhost", 8080));
    Hawk.Header claim = new Hawk.Header("tester", TS, "abcdef", null,
        "eyJhdXRob3JpemVkU2NvcGVzIjpbInB1bHNlOm5hbWVzcGFjZTpmb28iXX0=", "", null, null);
    assertEquals("rSfZyPZOkkGeoc5uZz6BP606hwsAdUV7hW8SSIQijaY=",
        Hawk.mac("no-secret", claim, "post", CLAIM, "TC.example.com", 443));
  }

  @Test
  void certificateSignaturesAndTemporaryTokenMatchTheReference() {
    assertEquals("45AlB/hKZZZz4Tf3NaidutasfgBnr4t2AxwBiGDQF9Q=", TemporaryCredentials.signature("tokenABCDEFGH",
        "def/ghi@XXX", null, SEED, 1438964811744L, 1439051211744L, CERT_SCOPES));
    assertEquals("nNEaLtZMiw627NuDbF5Z8HDFc57MGWCptXBQSYNFgBk=", TemporaryCredentials.signature("tokenABCDEFGH",
        "abc/def/ghi", "def/ghi@XXX", SEED, 1438964811744L, 1439051211744L, CERT_SCOPES));
    assertEquals("R4OVHWpIvy6KsqS4AWE51QwbvgLvsstS6e6UW8IfHUY", TemporaryCredentials.accessToken("tokenABCDEFGH", SEED));
  }

  @Test
  void referenceCertificatesAreAcceptedWithinTheirLifetime() {
    long now = 1438964811744L + 1000;
    JsonObject unnamed = certificate(null, "def/ghi@XXX", "tokenABCDEFGH", 1438964811744L, 1439051211744L,
        CERT_SCOPES);
    assertEquals("45AlB/hKZZZz4Tf3NaidutasfgBnr4t2AxwBiGDQF9Q=", unnamed.getString("signature"));
    Caller caller = verifier.verify(signed("def/ghi@XXX", "R4OVHWpIvy6KsqS4AWE51QwbvgLvsstS6e6UW8IfHUY", now / 1000,
        new JsonObject().put("certificate", unnamed), null), now);
    assertEquals(CERT_SCOPES, caller.scopes());
    JsonObject named = certificate("def/ghi@XXX", "abc/def/ghi", "tokenABCDEFGH", 1438964811744L, 1439051211744L,
        CERT_SCOPES);
    assertEquals("nNEaLtZMiw627NuDbF5Z8HDFc57MGWCptXBQSYNFgBk=", named.getString("signature"));
    caller = verifier.verify(signed("abc/def/ghi", "R4OVHWpIvy6KsqS4AWE51QwbvgLvsstS6e6UW8IfHUY", now / 1000,
        new JsonObject().put("certificate", named), null), now);
    assertEquals("hawk:abc/def/ghi", caller.name());
    assertEquals(CERT_SCOPES, caller.scopes());
  }

  // --- permanent credentials ----------------------------------------------------------------------------------

  @Test
  void permanentCredentialsGiveTheClientsScopes() {
    Caller caller = verifier.verify(signed("tester", TESTER.accessToken(), TS, null, null), NOW);
    assertEquals("hawk:tester", caller.name());
    assertEquals(TESTER.scopes(), caller.scopes());
  }

  @Test
  void attributesParseInAnyOrderAndSchemeIsCaseInsensitive() {
    String mac = Hawk.mac(TESTER.accessToken(), new Hawk.Header("tester", TS, "n1", null, null, "", null, null),
        "POST", CLAIM, "localhost", 8080);
    String goOrder = "hawk id=\"tester\", mac=\"" + mac + "\", ts=\"" + TS + "\", nonce=\"n1\"";
    assertEquals(TESTER.scopes(), verifier.verify(request(goOrder, null), NOW).scopes());
  }

  @Test
  void tamperedRequestsAreRefused() {
    HawkVerifier.Request good = signed("tester", TESTER.accessToken(), TS, null, null);
    String auth = good.authorization();
    assertRefused("Bad mac", request(auth.replace("nonce=\"", "nonce=\"x"), null));
    assertRefused("Bad mac", new HawkVerifier.Request("POST", CLAIM.replace("foo", "bar"), "localhost", 8080, auth,
        "application/json", bytes("{}")));
    assertRefused("Bad mac", new HawkVerifier.Request("POST", CLAIM, "localhost", 8081, auth, null, null));
    assertRefused("Bad mac", new HawkVerifier.Request("GET", CLAIM, "localhost", 8080, auth, null, null));
    assertRefused("Bad mac", signed("tester", "the-wrong-token-for-tester", TS, null, null));
    String ext = Base64.getEncoder().encodeToString(bytes("{\"authorizedScopes\":[]}"));
    assertRefused("Bad mac", request(auth.replace("mac=", "ext=\"" + ext + "\", mac="), null));
    assertRefused("Unknown clientId", signed("nobody", "whatever-token-here", TS, null, null));
    assertRefused("given twice", request(auth + ", nonce=\"again\"", null));
    assertRefused("lacks the 'mac'", request("Hawk id=\"tester\", ts=\"" + TS + "\", nonce=\"n\"", null));
    assertRefused("Unknown Hawk attribute", request(auth + ", color=\"red\"", null));
    assertRefused("syntax", request("Hawk id=tester", null));
  }

  @Test
  void staleTimestampsAreRefused() {
    long skew = HawkVerifier.SKEW_SECONDS;
    verifier.verify(signed("tester", TESTER.accessToken(), TS - skew, null, null), NOW);
    verifier.verify(signed("tester", TESTER.accessToken(), TS + skew, null, null), NOW);
    assertRefused("Stale timestamp", signed("tester", TESTER.accessToken(), TS - skew - 1, null, null));
    assertRefused("Stale timestamp", signed("tester", TESTER.accessToken(), TS + skew + 1, null, null));
  }

  @Test
  void payloadHashMustMatchTheRawBody() {
    String hash = Hawk.payloadHash("application/json", bytes("{\"contact\":\"a@example.com\"}"));
    HawkVerifier.Request good = signedWithHash(hash, "application/json; charset=utf-8",
        bytes("{\"contact\":\"a@example.com\"}"));
    verifier.verify(good, NOW);
    assertRefused("Bad payload hash", signedWithHash(hash, "application/json", bytes("{\"contact\":\"b@example.com\"}")));
    assertRefused("Bad payload hash", signedWithHash(hash, "text/plain", bytes("{\"contact\":\"a@example.com\"}")));
  }

  // --- ext: authorizedScopes ----------------------------------------------------------------------------------

  @Test
  void authorizedScopesReplaceTheScopeSetInEitherBase64Alphabet() {
    JsonObject ext = new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:bar/x"));
    assertEquals(List.of("pulse:namespace:bar/x"),
        verifier.verify(signed("tester", TESTER.accessToken(), TS, ext, null), NOW).scopes());
    // '?' characters encode to '/' in standard base64 and '_' in the URL-safe one; padding is dropped too
    JsonObject odd = new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:bar??>"));
    String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(odd.encode()));
    assertTrue(urlSafe.contains("_") || urlSafe.contains("-"), urlSafe);
    assertEquals(List.of("pulse:namespace:bar??>"),
        verifier.verify(signedRawExt("tester", TESTER.accessToken(), urlSafe), NOW).scopes());
    String standard = Base64.getEncoder().encodeToString(bytes(odd.encode()));
    assertEquals(List.of("pulse:namespace:bar??>"),
        verifier.verify(signedRawExt("tester", TESTER.accessToken(), standard), NOW).scopes());
    assertEquals(List.of(), verifier.verify(signed("tester", TESTER.accessToken(), TS,
        new JsonObject().put("authorizedScopes", new JsonArray()), null), NOW).scopes());
  }

  @Test
  void authorizedScopesWiderThanTheClientAreRefused() {
    JsonObject ext = new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:*"));
    assertRefused("oversteps", signed("tester", TESTER.accessToken(), TS, ext, null));
    assertRefused("array of strings", signed("tester", TESTER.accessToken(), TS,
        new JsonObject().put("authorizedScopes", "pulse:namespace:foo"), null));
    assertRefused("ext", signedRawExt("tester", TESTER.accessToken(), "not json!"));
  }

  // --- ext: certificates --------------------------------------------------------------------------------------

  @Test
  void temporaryCredentialsWorkWithinTheirLimits() {
    long start = NOW - Duration.ofMinutes(1).toMillis();
    long expiry = start + Duration.ofDays(31).toMillis();
    Caller caller = tempCaller(null, "tester", start, expiry, List.of("pulse:namespace:foo"), null);
    assertEquals(List.of("pulse:namespace:foo"), caller.scopes());
    assertEquals("hawk:tester", caller.name());
    // start up to 5 minutes ahead and expiry up to 5 minutes behind are tolerated
    tempCaller(null, "tester", NOW + Duration.ofMinutes(5).toMillis(), NOW + 3_600_000, List.of(), null);
    tempCaller(null, "tester", NOW - 3_600_000, NOW - Duration.ofMinutes(5).toMillis(), List.of(), null);
    // authorizedScopes apply after the certificate
    JsonObject narrowed = new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:bar/1"));
    assertEquals(List.of("pulse:namespace:bar/1"),
        tempCaller(null, "tester", start, expiry, List.of("pulse:namespace:bar*"), narrowed).scopes());
    assertRefused("oversteps", tempRequest(null, "tester", start, expiry, List.of("pulse:namespace:bar/1"),
        new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:foo"))));
  }

  @Test
  void expiredFutureAndOverLongCertificatesAreRefused() {
    long sixMinutes = Duration.ofMinutes(6).toMillis();
    assertRefused("expired", tempRequest(null, "tester", NOW - 3_600_000, NOW - sixMinutes, List.of(), null));
    assertRefused("in the future", tempRequest(null, "tester", NOW + sixMinutes, NOW + 3_600_000, List.of(), null));
    assertRefused("31 days", tempRequest(null, "tester", NOW - 1000,
        NOW - 1000 + Duration.ofDays(31).toMillis() + 1, List.of(), null));
  }

  @Test
  void certificatesWiderThanTheirIssuerAreRefused() {
    assertRefused("does not have the scope pulse:namespace:other",
        tempRequest(null, "tester", NOW, NOW + 60_000, List.of("pulse:namespace:other"), null));
    assertRefused("does not have the scope pulse:namespace:*",
        tempRequest(null, "tester", NOW, NOW + 60_000, List.of("pulse:namespace:*"), null));
  }

  @Test
  void namedTemporaryCredentialsNeedCreateClientAndADistinctIssuer() {
    Caller caller = tempCaller("tester", "tester/named", NOW, NOW + 60_000, List.of("pulse:namespace:foo"), null);
    assertEquals("hawk:tester/named", caller.name());
    assertRefused("auth:create-client:tester/other",
        tempRequest("tester", "tester/other", NOW, NOW + 60_000, List.of("pulse:namespace:foo"), null));
    assertRefused("must differ", tempRequest("tester", "tester", NOW, NOW + 60_000, List.of(), null));
  }

  @Test
  void forgedOrMalformedCertificatesAreRefused() {
    JsonObject cert = certificate(null, "tester", TESTER.accessToken(), NOW, NOW + 60_000,
        List.of("pulse:namespace:foo"));
    String token = TemporaryCredentials.accessToken(TESTER.accessToken(), SEED);
    assertRefused("signature is not valid", signed("tester", token, TS,
        ext(cert.copy().put("scopes", new JsonArray().add("pulse:namespace:bar/1"))), null));
    assertRefused("signature is not valid", signed("tester", token, TS, ext(cert.copy().put("expiry", NOW + 1)), null));
    assertRefused("version", signed("tester", token, TS, ext(cert.copy().put("version", 2)), null));
    assertRefused("seed", signed("tester", token, TS, ext(cert.copy().put("seed", "short")), null));
    assertRefused("numbers", signed("tester", token, TS, ext(cert.copy().put("start", "now")), null));
    assertRefused("JSON object", signed("tester", token, TS, new JsonObject().put("certificate", "{}"), null));
    // the permanent accessToken is not the key of temporary credentials
    assertRefused("Bad mac", signed("tester", TESTER.accessToken(), TS, ext(cert), null));
    // a certificate issued by one client cannot be presented as another's
    JsonObject testersEmpty = certificate(null, "tester", TESTER.accessToken(), NOW, NOW + 60_000, List.of());
    assertRefused("signature is not valid", signed("def/ghi@XXX",
        TemporaryCredentials.accessToken(ISSUER.accessToken(), SEED), TS, ext(testersEmpty), null));
  }

  @Test
  void isHawkRecognisesTheScheme() {
    assertTrue(Hawk.isHawk("Hawk id=\"a\""));
    assertTrue(Hawk.isHawk(" hawk id=\"a\""));
    assertFalse(Hawk.isHawk("Bearer abc"));
    assertFalse(Hawk.isHawk(null));
  }

  // --- bounded work on what has not been authenticated yet ---------------------------------------------------

  @Test
  void certificatesListAtMost1000ScopesOfAtMost1000Characters() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i <= HawkVerifier.MAX_SCOPES; i++) {
      many.add("s" + i);
    }
    assertRefused("ext.certificate.scopes lists 1001 scopes; at most 1000 are accepted",
        tempRequest(null, "tester", NOW, NOW + 60_000, many, null));
    assertRefused("ext.certificate.scopes holds a scope longer than 1000 characters",
        tempRequest(null, "tester", NOW, NOW + 60_000, List.of("pulse:namespace:bar" + "x".repeat(982)), null));
    Caller caller = tempCaller(null, "tester", NOW, NOW + 60_000, List.of("pulse:namespace:bar" + "x".repeat(981)),
        null);
    assertEquals(1000, caller.scopes().get(0).length());
  }

  @Test
  void authorizedScopesListAtMost1000ScopesOfAtMost1000Characters() {
    JsonArray thousand = new JsonArray(Collections.nCopies(HawkVerifier.MAX_SCOPES, "pulse:namespace:bar"));
    assertEquals(1000, verifier.verify(signed("tester", TESTER.accessToken(), TS,
        new JsonObject().put("authorizedScopes", thousand), null), NOW).scopes().size());
    assertRefused("ext.authorizedScopes lists 1001 scopes; at most 1000 are accepted", signed("tester",
        TESTER.accessToken(), TS, new JsonObject().put("authorizedScopes", thousand.copy().add("a")), null));
    assertRefused("ext.authorizedScopes holds a scope longer than 1000 characters", signed("tester",
        TESTER.accessToken(), TS, new JsonObject().put("authorizedScopes", new JsonArray().add("b".repeat(1001))),
        null));
  }

  @Test
  void aForgedCertificateIsRefusedForItsSignatureBeforeItsScopesAreCompared() {
    List<String> wide = List.of("pulse:namespace:*", "anything:else");
    JsonObject forged = certificate(null, "tester", "not-the-issuers-token", NOW, NOW + 60_000, wide);
    assertRefused("signature is not valid", signed("tester",
        TemporaryCredentials.accessToken("not-the-issuers-token", SEED), TS, ext(forged), null));
  }

  @Test
  void hostileExtIsRefusedAsAuthenticationFailure() {
    String deep = "{\"certificate\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
    String huge = "{\"certificate\":{\"version\":1,\"seed\":\"" + SEED + "\",\"start\":1e999999999,"
        + "\"expiry\":-1e999999999,\"scopes\":[],\"signature\":\"x\"}}";
    String bigInteger = "{\"certificate\":{\"version\":1,\"seed\":\"" + SEED + "\",\"start\":" + "9".repeat(5000)
        + ",\"expiry\":1,\"scopes\":[],\"signature\":\"x\"}}";
    for (String json : new String[] {deep, huge, bigInteger, "[]", "null", "1", "\"x\"", "{\"a\":", "\u0000"}) {
      String ext = Base64.getEncoder().encodeToString(bytes(json));
      HawkVerifier.Request request = signedRawExt("tester", TESTER.accessToken(), ext);
      Hawk.Header header = Hawk.parse(request.authorization());
      String label = json.substring(0, Math.min(json.length(), 40));
      assertEquals("tester", HawkVerifier.permanentClientId(header), label);
      assertThrows(HawkException.class, () -> verifier.verify(request, NOW), label);
    }
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  private void assertRefused(String reason, HawkVerifier.Request request) {
    HawkException e = assertThrows(HawkException.class, () -> verifier.verify(request, NOW));
    assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject ext(JsonObject certificate) {
    return new JsonObject().put("certificate", certificate);
  }

  private static HawkVerifier.Request request(String authorization, byte[] body) {
    return new HawkVerifier.Request("POST", CLAIM, "localhost", 8080, authorization, "application/json", body);
  }

  /** A POST of the claim route signed as the JS client does (no payload hash). */
  static HawkVerifier.Request signed(String id, String key, long ts, JsonObject ext, String hash) {
    String extText = ext == null ? null : Base64.getEncoder().encodeToString(bytes(ext.encode()));
    return signedWith(id, key, ts, extText, hash, "application/json", bytes("{}"));
  }

  private static HawkVerifier.Request signedRawExt(String id, String key, String ext) {
    return signedWith(id, key, TS, ext, null, "application/json", bytes("{}"));
  }

  private static HawkVerifier.Request signedWithHash(String hash, String contentType, byte[] body) {
    return signedWith("tester", TESTER.accessToken(), TS, null, hash, contentType, body);
  }

  private static HawkVerifier.Request signedWith(String id, String key, long ts, String ext, String hash,
      String contentType, byte[] body) {
    Hawk.Header header = new Hawk.Header(id, ts, "n" + ts, hash, ext, "", null, null);
    String mac = Hawk.mac(key, header, "POST", CLAIM, "localhost", 8080);
    String authorization = "Hawk id=\"" + id + "\", ts=\"" + ts + "\", nonce=\"n" + ts + "\""
        + (hash == null ? "" : ", hash=\"" + hash + "\"") + (ext == null ? "" : ", ext=\"" + ext + "\"")
        + ", mac=\"" + mac + "\"";
    return new HawkVerifier.Request("POST", CLAIM, "localhost", 8080, authorization, contentType, body);
  }

  private static JsonObject certificate(String issuer, String clientId, String issuerToken, long start, long expiry,
      List<String> scopes) {
    JsonObject cert = new JsonObject().put("version", 1).put("scopes", new JsonArray(scopes)).put("start", start)
        .put("expiry", expiry).put("seed", SEED)
        .put("signature", TemporaryCredentials.signature(issuerToken, clientId, issuer, SEED, start, expiry, scopes));
    if (issuer != null) {
      cert.put("issuer", issuer);
    }
    return cert;
  }

  private HawkVerifier.Request tempRequest(String issuer, String clientId, long start, long expiry,
      List<String> scopes, JsonObject extra) {
    JsonObject ext = ext(certificate(issuer, clientId, TESTER.accessToken(), start, expiry, scopes));
    if (extra != null) {
      ext.mergeIn(extra);
    }
    return signed(clientId, TemporaryCredentials.accessToken(TESTER.accessToken(), SEED), TS, ext, null);
  }

  private Caller tempCaller(String issuer, String clientId, long start, long expiry, List<String> scopes,
      JsonObject extra) {
    return verifier.verify(tempRequest(issuer, clientId, start, expiry, scopes, extra), NOW);
  }
}
