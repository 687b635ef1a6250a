package io.pulse.rabbit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * RabbitMQ's password hash, computed by the service so that neither an import nor a single user PUT hands the broker
 * a password (or anything to hash): {@code base64(salt ++ SHA-256(salt ++ password))} with a random 4-byte salt.
 */
final class PasswordHash {

  static final String ALGORITHM = "rabbit_password_hashing_sha256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private PasswordHash() {
  }

  /** The hash of {@code password}; the empty hash (nobody can log in) for {@code null}. */
  static String sha256(String password) {
    if (password == null) {
      return "";
    }
    byte[] salt = new byte[4];
    RANDOM.nextBytes(salt);
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(salt);
      byte[] hash = digest.digest(password.getBytes(StandardCharsets.UTF_8));
      byte[] salted = new byte[salt.length + hash.length];
      System.arraycopy(salt, 0, salted, 0, salt.length);
      System.arraycopy(hash, 0, salted, salt.length, hash.length);
      return Base64.getEncoder().encodeToString(salted);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
