package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.pulse.api.auth.Hawk;
import io.pulse.api.auth.HawkVerifier;
import io.pulse.config.StaticClient;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Taskcluster (Hawk) credentials end to end through the running service: static clients, the public host and port
 * behind a proxy (forwarded headers, PULSE_ROOT_URL), payload hashes, and clients checked by a Taskcluster
 * deployment's auth service. That deployment is a real HTTP server in this test answering authenticate-hawk.
 */
@ExtendWith(VertxExtension.class)
class HawkAuthTest {

  private static final String PERMANENT_TOKEN = "permanent-token-of-the-hawk-test";
  private static final String REMOTE_TOKEN = "remote-token-known-only-to-taskcluster";
  private static final String CLIENTS = new JsonArray()
      .add(new JsonObject().put("clientId", "static/svc").put("accessToken", PERMANENT_TOKEN)
          .put("scopes", new JsonArray().add("pulse:namespace:hawk*")))
      .encode();

  private static Vertx vertx;
  private static Vertx proxiedVertx;
  private static HttpServer taskcluster;
  private static final AtomicInteger taskclusterCalls = new AtomicInteger();
  private static RunningService service;
  private static RunningService proxied;
  private static Vertx directVertx;
  private static RunningService direct;
  private static final List<RunningService> started = new ArrayList<>();

  @BeforeAll
  static void start(Vertx v) throws Exception {
    vertx = v;
    taskcluster = standInTaskclusterAuth(vertx);
    // Behind a proxy on 127.0.0.1, whose X-Forwarded-* headers it believes.
    service = started(RunningService.start(vertx, Map.of("PULSE_STATIC_CLIENTS", CLIENTS,
        "PULSE_TASKCLUSTER_ROOT_URL", "http://127.0.0.1:" + taskcluster.actualPort(),
        "PULSE_TRUSTED_PROXIES", "127.0.0.1")));
    // its own Vert.x: two deployments in one would share the event-bus addresses of their services
    proxiedVertx = Vertx.vertx();
    proxied = started(RunningService.start(proxiedVertx, Map.of("PULSE_STATIC_CLIENTS", CLIENTS,
        "PULSE_ROOT_URL", "https://pulse.example.com/tc",
        "PULSE_TASKCLUSTER_ROOT_URL", "http://127.0.0.1:" + TestEnv.closedPort())));
    // Reached directly: forwarded headers are the client's own words, and ignored.
    directVertx = Vertx.vertx();
    direct = started(RunningService.start(directVertx, Map.of("PULSE_STATIC_CLIENTS", CLIENTS)));
  }

  @AfterAll
  static void stop() {
    started.forEach(RunningService::close);
    if (taskcluster != null) {
      taskcluster.close().await();
    }
    for (Vertx other : new Vertx[] {proxiedVertx, directVertx}) {
      if (other != null) {
        other.close().await();
      }
    }
  }

  private static RunningService started(RunningService s) {
    started.add(s);
    return s;
  }

  /**
   * A stand-in for a Taskcluster deployment's auth service: it knows one client the Pulse service does not, and
   * answers {@code authenticate-hawk} as Taskcluster does ({@code auth-success} with scopes, or {@code auth-failed}).
   */
  private static HttpServer standInTaskclusterAuth(Vertx vertx) {
    HawkVerifier known = new HawkVerifier(List.of(new StaticClient("remote/svc", REMOTE_TOKEN,
        List.of("pulse:namespace:remote*"))));
    Router router = Router.router(vertx);
    router.post("/api/auth/v1/authenticate-hawk").handler(BodyHandler.create()).handler(ctx -> {
      taskclusterCalls.incrementAndGet();
      JsonObject q = ctx.body().asJsonObject();
      JsonObject answer;
      try {
        var caller = known.verify(new HawkVerifier.Request(q.getString("method"), q.getString("resource"),
            q.getString("host"), q.getInteger("port"), q.getString("authorization"), null, null),
            System.currentTimeMillis());
        answer = new JsonObject().put("status", "auth-success").put("scheme", "hawk")
            .put("clientId", caller.name().substring("hawk:".length()))
            .put("scopes", new JsonArray(caller.scopes()))
            .put("expires", Instant.now().plusSeconds(3600).toString());
      } catch (Hawk.HawkException e) {
        answer = new JsonObject().put("status", "auth-failed").put("message", e.getMessage());
      }
      ctx.response().putHeader("Content-Type", "application/json").end(answer.encode());
    });
    return vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
  }

  // --- static clients -----------------------------------------------------------------------------------------

  @Test
  void staticClientClaimsAndItsConnectionStringWorksOverAmqp() throws Exception {
    String ns = TestEnv.unique("hawk");
    HttpResponse<Buffer> response = send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN,
        null, Signing.plain());
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject claim = response.bodyAsJsonObject();
    assertEquals(ns, claim.getString("namespace"));
    try (Connection connection = TestEnv.connect(claim.getString("connectionString"));
        Channel channel = connection.createChannel()) {
      channel.exchangeDeclare("exchange/" + ns + "/hawk", "topic");
    }
  }

  @Test
  void payloadHashIsCheckedAgainstTheRawBody() {
    String ns = TestEnv.unique("hawk");
    String body = "{\"contact\": \"owner@example.com\"}";
    String hash = Hawk.payloadHash("application/json", body.getBytes(StandardCharsets.UTF_8));
    assertEquals(200, send(service, "POST", "/namespace/" + ns, body, "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().hash(hash)).statusCode());
    HttpResponse<Buffer> tampered = send(service, "POST", "/namespace/" + ns, body.replace("owner", "thief"),
        "static/svc", PERMANENT_TOKEN, null, Signing.plain().hash(hash));
    assertAuthFailed(tampered, "Bad payload hash");
  }

  @Test
  void wrongTokenOrTamperedRequestIs401WithWwwAuthenticateHawk() {
    String ns = TestEnv.unique("hawk");
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", "not-the-token-at-all", null,
        Signing.plain()), "Bad mac");
    // signed for another namespace, sent to this one
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().path("/api/pulse/v1/namespace/" + ns + "x")), "Bad mac");
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().ts(Instant.now().getEpochSecond() - 901)), "Stale timestamp");
  }

  @Test
  void scopesOutsideTheClientsAre403NamingTheMissingScope() {
    String ns = TestEnv.unique("other");
    HttpResponse<Buffer> response = send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN,
        null, Signing.plain());
    assertEquals(403, response.statusCode(), response.bodyAsString());
    assertEquals("InsufficientScopes", response.bodyAsJsonObject().getString("code"));
    assertTrue(response.bodyAsJsonObject().getString("message").contains("pulse:namespace:" + ns));
  }

  @Test
  void authorizedScopesWiderThanTheClientAre401AndNarrowerOnesApply() {
    String ns = TestEnv.unique("hawk");
    String wide = ext(new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:*")));
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, wide,
        Signing.plain()), "oversteps");
    String narrow = ext(new JsonObject().put("authorizedScopes", new JsonArray().add("pulse:namespace:hawkzzz")));
    HttpResponse<Buffer> response = send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN,
        narrow, Signing.plain());
    assertEquals(403, response.statusCode(), response.bodyAsString());
  }

  @Test
  void headersOf16KibWithCertificateSizedExtAreAccepted() {
    String ns = TestEnv.unique("hawk");
    JsonArray scopes = new JsonArray().add("pulse:namespace:" + ns);
    while (scopes.encode().length() < 12_000) {
      scopes.add("pulse:namespace:hawk/padding/" + scopes.size() + "/" + "x".repeat(40));
    }
    String ext = ext(new JsonObject().put("authorizedScopes", scopes));
    assertTrue(ext.length() > 16_000, "ext is " + ext.length() + " characters");
    HttpResponse<Buffer> response = send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN,
        ext, Signing.plain());
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  // --- public host and port -----------------------------------------------------------------------------------

  @Test
  void forwardedProtoAndPortGiveThePublicPort() {
    String ns = TestEnv.unique("hawk");
    assertEquals(200, send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().host("Pulse.Example.com", 443).header("Host", "pulse.example.com")
            .header("X-Forwarded-Proto", "https")).statusCode());
    assertEquals(200, send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().host("pulse.example.com", 8443).header("Host", "pulse.example.com:80")
            .header("X-Forwarded-Port", "8443").header("X-Forwarded-Proto", "https")).statusCode());
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().host("pulse.example.com", 80).header("Host", "pulse.example.com")
            .header("X-Forwarded-Proto", "https")), "Bad mac");
  }

  @Test
  void forwardedHeadersFromAPeerThatIsNoTrustedProxyAreIgnored() {
    String ns = TestEnv.unique("hawk");
    // Signed for another host's port 443; the client claims a proxy saw https: not believed.
    assertAuthFailed(send(direct, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().host("pulse.example.com", 443).header("Host", "pulse.example.com")
            .header("X-Forwarded-Proto", "https")), "Bad mac");
    assertAuthFailed(send(direct, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().host("pulse.example.com", 8443).header("Host", "pulse.example.com")
            .header("X-Forwarded-Port", "8443")), "Bad mac");
    assertEquals(200, send(direct, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain().host("pulse.example.com", 80).header("Host", "pulse.example.com")
            .header("X-Forwarded-Proto", "https")).statusCode(), "the Host header and the connection decide");
  }

  @Test
  void aCapturedRequestCannotBeReplayed() {
    String ns = TestEnv.unique("hawk");
    Signing once = Signing.plain();
    assertEquals(200, send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null, once)
        .statusCode());
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null, once),
        "Replayed");
    assertEquals(200, send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain()).statusCode(), "a new signature is a new request");
  }

  /**
   * Each request on a connection of its own (Connection: close): Vert.x hands new connections to the REST verticle's
   * instances (two per processor) in turn, so the replays reach other event loops than the request did. They share
   * one guard, so each is refused.
   */
  @Test
  void aReplayOnAnotherConnectionIsRefusedToo() {
    String ns = TestEnv.unique("hawk");
    Signing once = Signing.plain().header("Connection", "close");
    assertEquals(200, send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null, once)
        .statusCode());
    for (int i = 0; i < 4; i++) {
      assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null, once),
          "Replayed");
    }
  }

  @Test
  void rootUrlGivesThePublicHostPortAndPath() {
    String ns = TestEnv.unique("hawk");
    HttpResponse<Buffer> response = send(proxied, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN,
        null, Signing.plain().host("pulse.example.com", 443).path("/tc/api/pulse/v1/namespace/" + ns));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    // signed for the address the service happens to listen on, not the public one
    assertAuthFailed(send(proxied, "POST", "/namespace/" + ns, "{}", "static/svc", PERMANENT_TOKEN, null,
        Signing.plain()), "Bad mac");
  }

  // --- a Taskcluster deployment -------------------------------------------------------------------------------

  @Test
  void clientsUnknownHereAreCheckedByTaskclusterAndAReplayIsRefused() {
    String ns = TestEnv.unique("remote");
    Signing signing = Signing.plain();
    int before = taskclusterCalls.get();
    HttpResponse<Buffer> first = send(service, "POST", "/namespace/" + ns, "{}", "remote/svc", REMOTE_TOKEN, null,
        signing);
    assertEquals(200, first.statusCode(), first.bodyAsString());
    assertEquals(before + 1, taskclusterCalls.get());
    HttpResponse<Buffer> again = send(service, "POST", "/namespace/" + ns, "{}", "remote/svc", REMOTE_TOKEN, null,
        signing);
    assertAuthFailed(again, "Replayed");
    assertEquals(before + 1, taskclusterCalls.get(), "a replay costs the auth service nothing");

    String other = TestEnv.unique("elsewhere");
    HttpResponse<Buffer> outside = send(service, "POST", "/namespace/" + other, "{}", "remote/svc", REMOTE_TOKEN,
        null, Signing.plain());
    assertEquals(403, outside.statusCode(), outside.bodyAsString());
  }

  @Test
  void taskclusterRefusalIs401AndPayloadHashIsStillCheckedHere() {
    String ns = TestEnv.unique("remote");
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "remote/svc", "guessed-token-for-remote",
        null, Signing.plain()), "Taskcluster rejected the credentials");
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "nobody/known", "guessed-token-for-remote",
        null, Signing.plain()), "Unknown clientId");
    String hash = Hawk.payloadHash("application/json", "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
    assertAuthFailed(send(service, "POST", "/namespace/" + ns, "{}", "remote/svc", REMOTE_TOKEN, null,
        Signing.plain().hash(hash)), "Bad payload hash");
  }

  @Test
  void unreachableTaskclusterIs503NotAClientError() {
    String ns = TestEnv.unique("remote");
    long startedAt = System.nanoTime();
    HttpResponse<Buffer> response = send(proxied, "POST", "/namespace/" + ns, "{}", "remote/svc", REMOTE_TOKEN,
        null, Signing.plain().host("pulse.example.com", 443).path("/tc/api/pulse/v1/namespace/" + ns));
    assertEquals(503, response.statusCode(), response.bodyAsString());
    assertEquals("ServiceUnavailable", response.bodyAsJsonObject().getString("code"));
    assertTrue(System.nanoTime() - startedAt < 10_000_000_000L, "answered within seconds");
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  private static void assertAuthFailed(HttpResponse<Buffer> response, String reason) {
    assertEquals(401, response.statusCode(), response.bodyAsString());
    assertEquals("hawk", response.getHeader("WWW-Authenticate"));
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("AuthenticationFailed", body.getString("code"));
    assertTrue(body.getString("message").contains(reason), body.getString("message"));
  }

  private static String ext(JsonObject ext) {
    return Base64.getEncoder().encodeToString(ext.encode().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * How a test signs: now, with a fresh nonce, for the address it sends to; any part can be changed to sign
   * something else. The same Signing sent twice is the same header (a replay).
   */
  private record Signing(String host, int port, String path, long ts, String nonce, String hash,
      Map<String, String> headers) {
    static Signing plain() {
      return new Signing(null, -1, null, Instant.now().getEpochSecond(), TestEnv.unique("n"), null, Map.of());
    }

    Signing host(String h, int p) {
      return new Signing(h, p, path, ts, nonce, hash, headers);
    }

    Signing path(String p) {
      return new Signing(host, port, p, ts, nonce, hash, headers);
    }

    Signing ts(long t) {
      return new Signing(host, port, path, t, nonce, hash, headers);
    }

    Signing hash(String h) {
      return new Signing(host, port, path, ts, nonce, h, headers);
    }

    Signing header(String name, String value) {
      Map<String, String> more = new java.util.LinkedHashMap<>(headers);
      more.put(name, value);
      return new Signing(host, port, path, ts, nonce, hash, more);
    }
  }

  private static HttpResponse<Buffer> send(RunningService target, String method, String route, String body,
      String clientId, String accessToken, String ext, Signing signing) {
    String path = "/api/pulse/v1" + route;
    long ts = signing.ts();
    String nonce = signing.nonce();
    Hawk.Header header = new Hawk.Header(clientId, ts, nonce, signing.hash(), ext, "", null, null);
    String mac = Hawk.mac(accessToken, header, method, signing.path() != null ? signing.path() : path,
        signing.host() != null ? signing.host() : "127.0.0.1",
        signing.port() != -1 ? signing.port() : target.deployment.httpPort());
    String authorization = "Hawk id=\"" + clientId + "\", ts=\"" + ts + "\", nonce=\"" + nonce + "\""
        + (signing.hash() == null ? "" : ", hash=\"" + signing.hash() + "\"")
        + (ext == null ? "" : ", ext=\"" + ext + "\"") + ", mac=\"" + mac + "\"";
    HttpRequest<Buffer> request = target.request(HttpMethod.valueOf(method), route, null)
        .putHeader("Authorization", authorization).putHeader("Content-Type", "application/json");
    signing.headers().forEach(request::putHeader);
    return request.sendBuffer(Buffer.buffer(body)).await();
  }
}
