package io.pulse.app;

import io.pulse.config.Durations;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code token [--sub NAME] [--ttl 1h] SCOPE...}: prints an HS256 bearer token signed with PULSE_JWT_SECRET (and
 * carrying PULSE_JWT_ISSUER / PULSE_JWT_AUDIENCE when set), for development and tests.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Print a bearer token signed with PULSE_JWT_SECRET (HS256), for development and tests.")
final class TokenCommand implements Callable<Integer> {

  @Option(names = "--sub", defaultValue = "dev", description = "the token's subject: the caller's name (default: ${DEFAULT-VALUE})")
  String sub;

  @Option(names = "--ttl", defaultValue = "1h", description = "how long the token is valid: 30s, 15m, 1h, ... (default: ${DEFAULT-VALUE})")
  String ttl;

  @Parameters(paramLabel = "SCOPE", arity = "0..*", description = "scopes the token carries, e.g. pulse:namespace:my-service")
  List<String> scopes = new ArrayList<>();

  @Override
  public Integer call() {
    PulseConfig config = Main.loadConfig();
    if (config == null) {
      return 2;
    }
    if (config.auth().jwtSecret() == null) {
      System.err.println("PULSE_JWT_SECRET must be set to mint a token");
      return 2;
    }
    long ttlSeconds;
    try {
      ttlSeconds = Durations.parse(ttl).toSeconds();
    } catch (IllegalArgumentException e) {
      System.err.println("--ttl: " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      JWTAuth auth = JWTAuth.create(vertx, new JWTAuthOptions()
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.auth().jwtSecret())));
      JWTOptions options = new JWTOptions().setExpiresInSeconds((int) ttlSeconds).setSubject(sub);
      if (config.auth().jwtIssuer() != null) {
        options.setIssuer(config.auth().jwtIssuer());
      }
      if (config.auth().jwtAudience() != null) {
        options.setAudience(List.of(config.auth().jwtAudience()));
      }
      System.out.println(auth.generateToken(new JsonObject().put("scopes", new JsonArray(scopes)), options));
      return 0;
    } finally {
      vertx.close();
    }
  }
}
