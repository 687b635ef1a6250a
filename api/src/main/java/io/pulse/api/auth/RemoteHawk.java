package io.pulse.api.auth;

import io.pulse.client.PulseError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a Taskcluster deployment's auth service ({@code POST <root>/api/auth/v1/authenticate-hawk}) about Hawk
 * requests from clients this service does not know. That service checks the MAC, timestamp, certificate and
 * authorizedScopes and answers the effective scopes, used as they come. Answers are cached briefly per signed
 * request (its header holds ts and nonce, so a cache hit is the same request again). A rejection is a 401; an auth
 * service that cannot be reached or fails is a 503, like any dependency of this service.
 */
final class RemoteHawk {

  private static final Logger log = LoggerFactory.getLogger(RemoteHawk.class);
  static final long CACHE_MILLIS = 30_000;
  private static final int CACHE_ENTRIES = 1000;
  private static final int TIMEOUT_MILLIS = 5_000;
  static final int MAX_CONNECTIONS = 16;
  static final int MAX_WAITING = 64;

  private final WebClient client;
  private long saturated;
  private final String endpoint;
  private final Map<String, Cached> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
      return size() > CACHE_ENTRIES;
    }
  };

  private record Cached(long until, Caller caller, String refusal) {
  }

  RemoteHawk(Vertx vertx, URI rootUrl) {
    // Bounded: at most MAX_CONNECTIONS calls at once and MAX_WAITING queued; beyond, requests answer 503 at once
    // instead of piling up behind a slow auth service.
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setConnectTimeout(TIMEOUT_MILLIS).setIdleTimeout(60).setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS).setMaxWaitQueueSize(MAX_WAITING));
    this.endpoint = rootUrl + "/api/auth/v1/authenticate-hawk";
  }

  Future<Caller> authenticate(HawkVerifier.Request request) {
    String key = request.method() + " " + request.resource() + " " + request.host() + ":" + request.port() + " "
        + request.authorization();
    long now = System.currentTimeMillis();
    Cached cached = cache.get(key);
    if (cached != null && cached.until() > now) {
      return cached.caller() != null ? Future.succeededFuture(cached.caller())
          : PulseError.AUTHENTICATION_FAILED.fail(cached.refusal());
    }
    JsonObject body = new JsonObject()
        .put("method", request.method().toLowerCase(java.util.Locale.ROOT))
        .put("resource", request.resource())
        .put("host", request.host())
        .put("port", request.port())
        .put("authorization", request.authorization());
    return client.postAbs(endpoint).timeout(TIMEOUT_MILLIS).sendJsonObject(body)
        .recover(e -> {
          if (e instanceof ConnectionPoolTooBusyException) {
            saturated++;
            return PulseError.SERVICE_UNAVAILABLE.fail("Cannot check Taskcluster credentials now: too many requests"
                + " are waiting for the Taskcluster auth service; try again shortly");
          }
          log.warn("Taskcluster auth service {} cannot be reached: {}", endpoint, e.toString());
          return PulseError.SERVICE_UNAVAILABLE.fail("Cannot check Taskcluster credentials: the Taskcluster auth"
              + " service (PULSE_TASKCLUSTER_ROOT_URL) cannot be reached; try again later");
        })
        .compose(response -> {
          JsonObject answer;
          try {
            answer = response.bodyAsJsonObject();
          } catch (RuntimeException e) {
            answer = null;
          }
          if (response.statusCode() >= 500 || answer == null) {
            log.warn("Taskcluster auth service {} answered {}", endpoint, response.statusCode());
            return PulseError.SERVICE_UNAVAILABLE.fail("Cannot check Taskcluster credentials: the Taskcluster"
                + " auth service answered " + response.statusCode() + "; try again later");
          }
          if (response.statusCode() != 200) {
            String refusal = "Taskcluster auth service refused to check the request: "
                + answer.getString("message", "status " + response.statusCode());
            return PulseError.AUTHENTICATION_FAILED.fail(refusal);
          }
          if (!"auth-success".equals(answer.getString("status"))) {
            String refusal = "Taskcluster rejected the credentials: " + answer.getString("message", "auth-failed");
            cache.put(key, new Cached(System.currentTimeMillis() + CACHE_MILLIS, null, refusal));
            return PulseError.AUTHENTICATION_FAILED.fail(refusal);
          }
          List<String> scopes = new ArrayList<>();
          if (answer.getValue("scopes") instanceof JsonArray) {
            answer.getJsonArray("scopes").forEach(s -> {
              if (s instanceof String) {
                scopes.add((String) s);
              }
            });
          }
          Caller caller = new Caller("hawk:" + answer.getString("clientId", "unknown"), List.copyOf(scopes));
          cache.put(key, new Cached(until(answer.getString("expires")), caller, null));
          return Future.succeededFuture(caller);
        });
  }

  /** Cache until CACHE_MILLIS from now, or the credentials' expiry when sooner. */
  private static long until(String expires) {
    long until = System.currentTimeMillis() + CACHE_MILLIS;
    if (expires != null) {
      try {
        until = Math.min(until, Instant.parse(expires).toEpochMilli());
      } catch (RuntimeException e) {
        // an unparsable expiry keeps the short cache
      }
    }
    return until;
  }

  /** How many requests were turned away because too many were waiting for the auth service. */
  long saturated() {
    return saturated;
  }

  void close() {
    client.close();
  }
}
