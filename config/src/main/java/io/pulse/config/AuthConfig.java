package io.pulse.config;

import java.net.URI;
import java.util.List;

/**
 * Who may call: bearer JWTs (an HS256 secret and/or a PEM public key, with the issuer and audience they must carry)
 * and Taskcluster credentials (clients known here, and a Taskcluster deployment that checks the others).
 */
public record AuthConfig(String jwtSecret, String jwtPublicKey, String jwtIssuer, String jwtAudience,
    List<StaticClient> staticClients, URI taskclusterRootUrl) {

  static AuthConfig read(Values v) {
    return new AuthConfig(v.text("PULSE_JWT_SECRET"), v.pemPublicKey("PULSE_JWT_PUBLIC_KEY"),
        v.text("PULSE_JWT_ISSUER"), v.text("PULSE_JWT_AUDIENCE"),
        StaticClient.parse(v.text("PULSE_STATIC_CLIENTS")), v.rootUrl("PULSE_TASKCLUSTER_ROOT_URL"));
  }

  @Override
  public String toString() {
    return "AuthConfig[jwtSecret=" + (jwtSecret == null ? null : "****") + ", jwtIssuer=" + jwtIssuer
        + ", jwtAudience=" + jwtAudience + ", staticClients=" + staticClients + ", taskclusterRootUrl="
        + taskclusterRootUrl + "]";
  }
}
