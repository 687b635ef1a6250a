package io.pulse.api.auth;

import io.pulse.config.PulseConfig;
import io.pulse.config.PulseError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's credentials into a {@link Caller}. No credentials: the anonymous caller with no scopes.
 * {@code Authorization: Bearer <JWT>}: HS256 with PULSE_JWT_SECRET, or RS256/ES256 with PULSE_JWT_PUBLIC_KEY;
 * the {@code scopes} claim is the scope set and {@code sub} the caller's name. Anything wrong with the token is
 * AuthenticationFailed (401).
 */
public final class Authenticator {

  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

  private final JWTAuth jwt;

  private Authenticator(JWTAuth jwt) {
    this.jwt = jwt;
  }

  public static Authenticator create(Vertx vertx, PulseConfig config) {
    List<PubSecKeyOptions> keys = new ArrayList<>();
    if (config.jwtSecret() != null) {
      keys.add(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.jwtSecret()));
    }
    if (config.jwtPublicKey() != null) {
      keys.add(new PubSecKeyOptions().setAlgorithm(publicKeyAlgorithm(config.jwtPublicKey()))
          .setBuffer(config.jwtPublicKey()));
    }
    if (keys.isEmpty()) {
      log.warn("Neither PULSE_JWT_SECRET nor PULSE_JWT_PUBLIC_KEY is set: bearer tokens are refused");
      return new Authenticator(null);
    }
    JWTOptions checks = new JWTOptions().setLeeway(30);
    if (config.jwtIssuer() != null) {
      checks.setIssuer(config.jwtIssuer());
    }
    if (config.jwtAudience() != null) {
      checks.setAudience(List.of(config.jwtAudience()));
    }
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(checks);
    keys.forEach(options::addPubSecKey);
    return new Authenticator(JWTAuth.create(vertx, options));
  }

  public Future<Caller> authenticate(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header == null || header.isBlank()) {
      return Future.succeededFuture(Caller.ANONYMOUS);
    }
    String[] parts = header.trim().split("\\s+", 2);
    if (!parts[0].equalsIgnoreCase("Bearer") || parts.length < 2) {
      return PulseError.AUTHENTICATION_FAILED.fail("Unsupported Authorization scheme '" + parts[0]
          + "': send 'Authorization: Bearer <JWT>'");
    }
    if (jwt == null) {
      return PulseError.AUTHENTICATION_FAILED.fail("Bearer tokens are not accepted: this service has no JWT key"
          + " configured (PULSE_JWT_SECRET or PULSE_JWT_PUBLIC_KEY)");
    }
    return jwt.authenticate(new TokenCredentials(parts[1].trim()))
        .recover(e -> PulseError.AUTHENTICATION_FAILED.fail("Bearer token rejected: " + safeReason(e)))
        .compose(user -> {
          Object claim = user.principal().getValue("scopes");
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
          String sub = user.principal().getString("sub", "unnamed");
          return Future.succeededFuture(new Caller("jwt:" + sub, List.copyOf(scopes)));
        });
  }

  /** The library's reason, which names the failed check (expired, signature, issuer...) and never the token. */
  private static String safeReason(Throwable e) {
    String message = e.getMessage();
    if (message == null || message.length() > 200) {
      return "invalid token";
    }
    return message;
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
