package io.pulse.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Who may call: bearer JWTs (an HS256 secret and/or a PEM public key, with the issuer and audience they must carry)
 * and Taskcluster credentials (clients known here, and a Taskcluster deployment that checks the others).
 */
public record AuthConfig(String jwtSecret, String jwtPublicKey, String jwtIssuer, String jwtAudience,
    Duration jwtLeeway, List<StaticClient> staticClients, URI taskclusterRootUrl) {

  /** HS256 needs a key at least as long as its hash (RFC 7518, 3.2). */
  static final int MIN_SECRET_BYTES = 32;

  static AuthConfig read(Values v) {
    return new AuthConfig(secret(v.text("PULSE_JWT_SECRET")), v.pemPublicKey("PULSE_JWT_PUBLIC_KEY"),
        v.text("PULSE_JWT_ISSUER"), v.text("PULSE_JWT_AUDIENCE"), v.atLeast("PULSE_JWT_LEEWAY", Duration.ZERO),
        StaticClient.parse(v.text("PULSE_STATIC_CLIENTS")), v.rootUrl("PULSE_TASKCLUSTER_ROOT_URL"));
  }

  private static String secret(String secret) {
    if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      throw new ConfigException("PULSE_JWT_SECRET", "must be at least " + MIN_SECRET_BYTES + " bytes (256 bits) for"
          + " HS256; generate one with: openssl rand -hex 32");
    }
    return secret;
  }

  @Override
  public String toString() {
    return "AuthConfig[jwtSecret=" + (jwtSecret == null ? null : "****") + ", jwtIssuer=" + jwtIssuer
        + ", jwtAudience=" + jwtAudience + ", jwtLeeway=" + jwtLeeway + ", staticClients=" + staticClients + ", taskclusterRootUrl="
        + taskclusterRootUrl + "]";
  }
}
