package io.pulse.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * Checks a password against the hash RabbitMQ shows for a user ({@code base64(salt ++ H(salt ++ password))}, with a
 * 4-byte salt), so reconciliation can tell a user whose password changed behind the service's back without resetting
 * every user on every sweep.
 */
final class PasswordHashes {

  private static final int SALT_BYTES = 4;

  private PasswordHashes() {
  }

  /** Whether {@code hash} holds {@code password}; a {@code null} password expects the empty hash (no login). */
  static boolean matches(String hash, String algorithm, String password) {
    if (password == null) {
      return hash == null || hash.isEmpty();
    }
    if (hash == null || hash.isEmpty()) {
      return false;
    }
    String digestName = digest(algorithm);
    if (digestName == null) {
      return false;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(hash);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (decoded.length <= SALT_BYTES) {
      return false;
    }
    try {
      MessageDigest md = MessageDigest.getInstance(digestName);
      md.update(decoded, 0, SALT_BYTES);
      md.update(password.getBytes(StandardCharsets.UTF_8));
      return MessageDigest.isEqual(md.digest(), Arrays.copyOfRange(decoded, SALT_BYTES, decoded.length));
    } catch (NoSuchAlgorithmException e) {
      return false;
    }
  }

  private static String digest(String algorithm) {
    if (algorithm == null || algorithm.equals("rabbit_password_hashing_sha256")) {
      return "SHA-256";
    }
    if (algorithm.equals("rabbit_password_hashing_sha512")) {
      return "SHA-512";
    }
    if (algorithm.equals("rabbit_password_hashing_md5")) {
      return "MD5";
    }
    return null;
  }
}
