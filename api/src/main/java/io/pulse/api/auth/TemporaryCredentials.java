package io.pulse.api.auth;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Taskcluster's temporary credentials: a certificate signed with the issuer's permanent accessToken, and the
 * temporary accessToken derived from it. Used to check certificates, and by tests to make them.
 */
public final class TemporaryCredentials {

  private TemporaryCredentials() {
  }

  /**
   * The text a certificate's signature covers: {@code version:1}, then for named credentials {@code clientId:} and
   * {@code issuer:}, then seed, start, expiry, {@code scopes:} and one scope a line; no trailing newline.
   */
  public static String signedText(String clientId, String issuer, String seed, long start, long expiry,
      List<String> scopes) {
    List<String> lines = new ArrayList<>();
    lines.add("version:1");
    if (issuer != null) {
      lines.add("clientId:" + clientId);
      lines.add("issuer:" + issuer);
    }
    lines.add("seed:" + seed);
    lines.add("start:" + start);
    lines.add("expiry:" + expiry);
    lines.add("scopes:");
    lines.addAll(scopes);
    return String.join("\n", lines);
  }

  /** Base64 of HMAC-SHA256 over {@link #signedText}, keyed with the issuer's permanent accessToken. */
  public static String signature(String issuerAccessToken, String clientId, String issuer, String seed, long start,
      long expiry, List<String> scopes) {
    return Base64.getEncoder().encodeToString(
        Hawk.hmac(issuerAccessToken, signedText(clientId, issuer, seed, start, expiry, scopes)));
  }

  /** The temporary accessToken: unpadded base64url of HMAC-SHA256(permanent accessToken, seed). */
  public static String accessToken(String permanentAccessToken, String seed) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Hawk.hmac(permanentAccessToken, seed));
  }
}
