package io.pulse.api.auth;

import io.pulse.client.PulseError;
import io.pulse.config.PulseConfig;
import io.pulse.config.Text;
import io.pulse.config.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's credentials into a {@link Caller}. No credentials: the anonymous caller with no scopes.
 * {@code Authorization: Bearer <JWT>}: HS256 with PULSE_JWT_SECRET, or RS256/ES256 with PULSE_JWT_PUBLIC_KEY;
 * the {@code scopes} claim is the scope set and {@code sub} the caller's name. {@code Authorization: Hawk ...}:
 * Taskcluster credentials, checked here for PULSE_STATIC_CLIENTS ({@link HawkVerifier}) and otherwise by the
 * Taskcluster deployment at PULSE_TASKCLUSTER_ROOT_URL ({@link RemoteHawk}). Anything wrong with the credentials
 * is AuthenticationFailed (401).
 */
public final class Authenticator {

  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

  private final JWTAuth jwt;
  private final HawkVerifier hawk;
  private final RemoteHawk remoteHawk;
  private final URI rootUrl;
  private final TrustedProxies trustedProxies;
  private final ReplayGuard replays;

  private Authenticator(JWTAuth jwt, Vertx vertx, PulseConfig config, ReplayGuard replays) {
    this.jwt = jwt;
    this.replays = replays;
    this.hawk = new HawkVerifier(config.auth().staticClients());
    URI taskcluster = config.auth().taskclusterRootUrl();
    this.remoteHawk = taskcluster == null ? null : new RemoteHawk(vertx, taskcluster);
    this.rootUrl = config.http().rootUrl();
    this.trustedProxies = config.http().trustedProxies();
  }

  public Future<Void> close() {
    if (remoteHawk != null) {
      remoteHawk.close();
    }
    return Future.succeededFuture();
  }

  public static Authenticator create(Vertx vertx, PulseConfig config) {
    return create(vertx, config, new ReplayGuard());
  }

  /** An authenticator that remembers accepted Hawk requests in {@code replays}, shared with other instances. */
  public static Authenticator create(Vertx vertx, PulseConfig config, ReplayGuard replays) {
    List<PubSecKeyOptions> keys = new ArrayList<>();
    if (config.auth().jwtSecret() != null) {
      keys.add(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.auth().jwtSecret()));
    }
    if (config.auth().jwtPublicKey() != null) {
      keys.add(new PubSecKeyOptions().setAlgorithm(publicKeyAlgorithm(config.auth().jwtPublicKey()))
          .setBuffer(config.auth().jwtPublicKey()));
    }
    if (keys.isEmpty()) {
      log.warn("Neither PULSE_JWT_SECRET nor PULSE_JWT_PUBLIC_KEY is set: bearer tokens are refused");
      return new Authenticator(null, vertx, config, replays);
    }
    JWTOptions checks = new JWTOptions().setLeeway((int) config.auth().jwtLeeway().toSeconds());
    if (config.auth().jwtIssuer() != null) {
      checks.setIssuer(config.auth().jwtIssuer());
    }
    if (config.auth().jwtAudience() != null) {
      checks.setAudience(List.of(config.auth().jwtAudience()));
    }
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(checks);
    keys.forEach(options::addPubSecKey);
    return new Authenticator(JWTAuth.create(vertx, options), vertx, config, replays);
  }

  /** The caller of a request; the body (read by then) is needed for a Hawk payload hash. */
  public Future<Caller> authenticate(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String header = request.getHeader("Authorization");
    if (header == null || header.isBlank()) {
      return Future.succeededFuture(Caller.ANONYMOUS);
    }
    if (Hawk.isHawk(header)) {
      return authenticateHawk(ctx, header);
    }
    String trimmed = header.trim();
    int space = firstWhitespace(trimmed);
    String scheme = space < 0 ? trimmed : trimmed.substring(0, space);
    if (!scheme.equalsIgnoreCase("Bearer") || space < 0) {
      return PulseError.AUTHENTICATION_FAILED.fail("Unsupported Authorization scheme '" + scheme
          + "': send 'Authorization: Bearer <JWT>' or Taskcluster credentials ('Authorization: Hawk ...')");
    }
    if (jwt == null) {
      return PulseError.AUTHENTICATION_FAILED.fail("Bearer tokens are not accepted: this service has no JWT key"
          + " configured (PULSE_JWT_SECRET or PULSE_JWT_PUBLIC_KEY)");
    }
    String token = trimmed.substring(space + 1).trim();
    long now = System.currentTimeMillis();
    String key = cacheKey(token);
    VerifiedToken known = verified.get(key);
    if (known != null && known.validUntil() > now) {
      return Future.succeededFuture(known.caller());
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> PulseError.AUTHENTICATION_FAILED.fail("Bearer token rejected: " + safeReason(e)))
        .compose(user -> {
          // The signature and the registered claims are checked; read the claims from the token itself.
          JsonObject claims = claims(token);
          Object exp = claims.getValue("exp");
          if (!(exp instanceof Number)) {
            return PulseError.AUTHENTICATION_FAILED.fail("Bearer token rejected: it has no 'exp' (expiry) claim, and"
                + " this service accepts only tokens that expire");
          }
          Object claim = claims.getValue("scopes");
          List<String> scopes = new ArrayList<>();
          if (claim != null) {
            if (!(claim instanceof JsonArray)) {
              return PulseError.AUTHENTICATION_FAILED.fail("Bearer token rejected: its 'scopes' claim must be an array"
                  + " of strings");
            }
            for (Object scope : (JsonArray) claim) {
              if (!(scope instanceof String)) {
                return PulseError.AUTHENTICATION_FAILED.fail("Bearer token rejected: its 'scopes' claim must be an"
                    + " array of strings");
              }
              scopes.add((String) scope);
            }
          }
          Object sub = claims.getValue("sub");
          Caller caller = new Caller("jwt:" + (sub instanceof String ? (String) sub : "unnamed"), List.copyOf(scopes));
          // Callers send the same token many times: remember it for at most a minute, and never past its expiry.
          long until = Math.min(now + VERIFIED_TTL_MS, ((Number) exp).longValue() * 1000);
          if (until > now) {
            verified.put(key, new VerifiedToken(caller, until));
          }
          return Future.succeededFuture(caller);
        });
  }

  /** The claims of a token whose signature was verified (its middle part: base64url JSON). */
  private static JsonObject claims(String token) {
    try {
      int first = token.indexOf('.');
      int second = token.indexOf('.', first + 1);
      return new JsonObject(new String(Base64.getUrlDecoder().decode(token.substring(first + 1, second)),
          StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  private static int firstWhitespace(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isWhitespace(text.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /** Tokens up to this length are their own cache key; longer ones are keyed by a hash, so memory stays bounded. */
  private static final int KEYED_AS_IS = 2048;

  /**
   * The cache's key of a token: the token itself (a lookup is then a string hash, where a SHA-256 per request was a
   * twentieth of a reclaim's CPU), or for an unusually long one its SHA-256 in base64, which has no dots and so never
   * equals a token (a JWT has two).
   */
  private static String cacheKey(String token) {
    return token.length() <= KEYED_AS_IS ? token : fingerprint(token);
  }

  private static String fingerprint(String token) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A token whose signature and claims were checked, good until {@code validUntil} (epoch ms). */
  private record VerifiedToken(Caller caller, long validUntil) {
  }

  private static final long VERIFIED_TTL_MS = 60_000;
  private static final int VERIFIED_MAX = 4096;

  /** Tokens checked recently, least recently used first out; touched only on the HTTP verticle's event loop. */
  private final java.util.Map<String, VerifiedToken> verified =
      new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, VerifiedToken> eldest) {
          return size() > VERIFIED_MAX;
        }
      };

  private Future<Caller> authenticateHawk(RoutingContext ctx, String authorization) {
    long now = System.currentTimeMillis();
    HawkVerifier.Request request = hawkRequest(ctx, authorization, rootUrl, trustedProxies);
    Hawk.Header header;
    Future<Caller> authenticated;
    try {
      header = HawkVerifier.parseFresh(authorization, now);
      if (replays.seen(header.id(), header.ts(), header.nonce())) {
        // Refused before any check: a replay costs nothing, not even a call to Taskcluster's auth service (whichever
        // instance of the REST verticle the first request reached).
        return refused(request, new Hawk.HawkException(REPLAYED));
      }
      if (hawk.knows(header)) {
        authenticated = Future.succeededFuture(hawk.verify(request, now));
      } else if (remoteHawk == null) {
        return PulseError.AUTHENTICATION_FAILED.fail("Unknown clientId '"
            + Text.printable(HawkVerifier.permanentClientId(header))
            + "': this service knows only the clients in PULSE_STATIC_CLIENTS");
      } else {
        authenticated = remoteHawk.authenticate(request).compose(caller -> {
          HawkVerifier.checkPayload(header, request);
          return Future.succeededFuture(caller);
        });
      }
    } catch (Hawk.HawkException e) {
      return refused(request, e);
    }
    // Only a request whose signature holds is remembered: nobody else can fill the memory.
    return authenticated
        .recover(e -> e instanceof Hawk.HawkException ? refused(request, (Hawk.HawkException) e)
            : Future.failedFuture(e))
        .compose(caller -> replays.firstUse(header.id(), header.ts(), header.nonce(), now / 1000)
            ? Future.succeededFuture(caller)
            : refused(request, new Hawk.HawkException(REPLAYED)));
  }

  private static final String REPLAYED = "Replayed request: this Hawk id, ts and nonce were already used; sign every"
      + " request anew";

  private static Future<Caller> refused(HawkVerifier.Request request, Hawk.HawkException e) {
    log.info("Hawk credentials refused on {} {}: {}", request.method(), Text.loggable(request.resource()),
        Text.loggable(e.getMessage()));
    return PulseError.AUTHENTICATION_FAILED.fail(e.getMessage());
  }

  /**
   * What the client signed. With PULSE_ROOT_URL, the public host and port are the root URL's and its path is put
   * before the request's (a proxy may strip it); without it, the Host header gives the host, and the port is, from a
   * trusted proxy (PULSE_TRUSTED_PROXIES) only, X-Forwarded-Port, else 443 for X-Forwarded-Proto https; else the Host
   * header's, else the connection's default. A client's own X-Forwarded-* headers are ignored.
   */
  static HawkVerifier.Request hawkRequest(RoutingContext ctx, String authorization, URI rootUrl,
      TrustedProxies trusted) {
    HttpServerRequest request = ctx.request();
    String resource = request.uri();
    if (resource.startsWith("http://") || resource.startsWith("https://")) {
      int slash = resource.indexOf('/', resource.indexOf("//") + 2);
      resource = slash < 0 ? "/" : resource.substring(slash);
    }
    String host;
    int port;
    if (rootUrl != null) {
      resource = (rootUrl.getRawPath() == null ? "" : rootUrl.getRawPath()) + resource;
      host = rootUrl.getHost();
      port = rootUrl.getPort() != -1 ? rootUrl.getPort() : "https".equalsIgnoreCase(rootUrl.getScheme()) ? 443 : 80;
    } else {
      String hostHeader = request.getHeader("Host");
      if (hostHeader == null && request.authority() != null) {
        // HTTP/2 carries the host in :authority
        hostHeader = request.authority().toString();
      }
      hostHeader = hostHeader == null ? "" : hostHeader.trim();
      int colon = hostHeader.lastIndexOf(':');
      Integer hostPort = null;
      if (colon > hostHeader.lastIndexOf(']') && colon >= 0) {
        hostPort = parsePort(hostHeader.substring(colon + 1));
        hostHeader = hostHeader.substring(0, colon);
      }
      host = hostHeader;
      boolean fromProxy = request.remoteAddress() != null && trusted.trusts(request.remoteAddress().hostAddress());
      Integer forwardedPort = fromProxy ? parsePort(first(request.getHeader("X-Forwarded-Port"))) : null;
      String forwardedProto = fromProxy ? first(request.getHeader("X-Forwarded-Proto")) : null;
      if (forwardedPort != null) {
        port = forwardedPort;
      } else if ("https".equalsIgnoreCase(forwardedProto)) {
        port = 443;
      } else if (hostPort != null) {
        port = hostPort;
      } else {
        port = request.isSSL() ? 443 : 80;
      }
    }
    byte[] body = ctx.body() == null || ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    return new HawkVerifier.Request(request.method().name(), resource, host, port, authorization,
        request.getHeader("Content-Type"), body);
  }

  /** The first of a proxy header's comma-separated values (the client-facing hop). */
  private static String first(String value) {
    return value == null ? null : value.split(",", 2)[0].trim();
  }

  private static Integer parsePort(String text) {
    if (text == null || !text.matches("\\d{1,5}")) {
      return null;
    }
    int port = Integer.parseInt(text);
    return port > 0 && port <= 65535 ? port : null;
  }

  /**
   * Why the library refused a token, in our words: its own messages can quote parser internals (and parts of the
   * token), so only the failed check is named.
   */
  static String safeReason(Throwable e) {
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (message.contains("expired")) {
      return "it has expired";
    }
    if (message.contains("issuer")) {
      return "its issuer (iss) is not the one this service accepts";
    }
    if (message.contains("audience")) {
      return "its audience (aud) is not this service";
    }
    if (message.contains("signature")) {
      return "its signature does not verify";
    }
    if (message.contains("algorithm")) {
      return "its algorithm is not accepted";
    }
    if (message.contains("nbf") || message.contains("iat") || message.contains("before")) {
      return "it is not valid yet";
    }
    return "malformed bearer token";
  }

  private static String publicKeyAlgorithm(String pem) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
    for (String[] kind : new String[][] {{"RSA", "RS256"}, {"EC", "ES256"}}) {
      try {
        KeyFactory.getInstance(kind[0]).generatePublic(spec);
        return kind[1];
      } catch (Exception e) {
        // not this kind; try the next
      }
    }
    throw new IllegalArgumentException("PULSE_JWT_PUBLIC_KEY holds neither an RSA nor an EC public key");
  }
}
