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

/**
 * {@code java -jar pulse.jar token [--sub NAME] [--ttl 1h] SCOPE...}: prints an HS256 bearer token signed with
 * PULSE_JWT_SECRET (and carrying PULSE_JWT_ISSUER / PULSE_JWT_AUDIENCE when set), for development and tests.
 */
final class TokenCommand {

  private TokenCommand() {
  }

  static int run(PulseConfig config, String[] args) {
    if (config.auth().jwtSecret() == null) {
      System.err.println("PULSE_JWT_SECRET must be set to mint a token");
      return 2;
    }
    String sub = "dev";
    long ttlSeconds = 3600;
    List<String> scopes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--sub") && i + 1 < args.length) {
        sub = args[++i];
      } else if (args[i].equals("--ttl") && i + 1 < args.length) {
        ttlSeconds = Durations.parse(args[++i]).toSeconds();
      } else if (args[i].startsWith("--")) {
        System.err.println("usage: java -jar pulse.jar token [--sub NAME] [--ttl 1h] SCOPE...");
        return 2;
      } else {
        scopes.add(args[i]);
      }
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
