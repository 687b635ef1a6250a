package io.pulse.store;

import io.pulse.config.SecretsConfig;
import io.pulse.config.SecretsConfig.Key;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the RabbitMQ passwords the store keeps: AES-256-GCM with a random 96-bit nonce per value, stored as
 * {@code v1:<key id>:<base64(nonce ++ ciphertext ++ tag)>}. The namespace and the user number are authenticated with
 * each value, so a value copied to another row or column does not open. Values without the prefix are the clear text
 * of rows from before encryption (or of a service allowed to store plaintext).
 */
final class SecretBox {

  static final String PREFIX = "v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * One cipher per thread, initialised afresh (key, nonce) for every value: looking a cipher up costs several times
   * the sealing of a short password (measured with the service's C1-only flags), and a sweep seals thousands.
   */
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  });

  private final Key current;
  private final Map<String, Key> keys = new LinkedHashMap<>();
  private final Map<String, SecretKeySpec> specs = new java.util.concurrent.ConcurrentHashMap<>();

  /** {@code current == null}: store in clear (PULSE_ALLOW_PLAINTEXT_SECRETS). */
  SecretBox(Key current, List<Key> old) {
    this.current = current;
    if (current != null) {
      keys.put(current.id(), current);
    }
    old.forEach(k -> keys.putIfAbsent(k.id(), k));
  }

  static SecretBox of(SecretsConfig config, Key embeddedDefault) {
    Key current = config.current() != null ? config.current() : embeddedDefault;
    return new SecretBox(current, config.old());
  }

  /** The id of the key new values are sealed with, or null when they are stored in clear. */
  String currentKeyId() {
    return current == null ? null : current.id();
  }

  /** Whether this box can open {@code stored} (clear text always can). */
  boolean opens(String stored) {
    return stored == null || !stored.startsWith(PREFIX) || keys.containsKey(keyId(stored));
  }

  /** Whether {@code stored} is already sealed with the current key (or, without one, in clear). */
  boolean current(String stored) {
    if (stored == null) {
      return true;
    }
    return current == null ? !stored.startsWith(PREFIX) : stored.startsWith(PREFIX + current.id() + ":");
  }

  String seal(String namespace, int user, String password) {
    if (password == null || current == null) {
      return password;
    }
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, current, nonce, namespace, user);
      byte[] sealed = cipher.doFinal(password.getBytes(StandardCharsets.UTF_8));
      ByteBuffer out = ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed);
      return PREFIX + current.id() + ":" + Base64.getEncoder().encodeToString(out.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  String open(String namespace, int user, String stored) {
    if (stored == null || !stored.startsWith(PREFIX)) {
      return stored;
    }
    String id = keyId(stored);
    Key key = keys.get(id);
    if (key == null) {
      throw new UnknownKeyException(id);
    }
    try {
      byte[] data = Base64.getDecoder().decode(stored.substring(PREFIX.length() + id.length() + 1));
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, java.util.Arrays.copyOf(data, NONCE_BYTES), namespace, user);
      return new String(cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("a stored password of namespace " + namespace + " does not open with key " + id
          + " (corrupted, or moved from another row)");
    }
  }

  private Cipher cipher(int mode, Key key, byte[] nonce, String namespace, int user)
      throws GeneralSecurityException {
    Cipher cipher = CIPHERS.get();
    cipher.init(mode, specs.computeIfAbsent(key.id(), id -> new SecretKeySpec(key.bytes(), "AES")),
        new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD((namespace + "/" + user).getBytes(StandardCharsets.UTF_8));
    return cipher;
  }

  private static String keyId(String stored) {
    int end = stored.indexOf(':', PREFIX.length());
    return end < 0 ? "" : stored.substring(PREFIX.length(), end);
  }

  /** A value sealed with a key this service was not given: the configuration is wrong, never a reason to reset. */
  static final class UnknownKeyException extends IllegalStateException {
    final String keyId;

    UnknownKeyException(String keyId) {
      super("stored passwords are encrypted with key " + keyId + ", which is neither PULSE_SECRET_KEY nor one of"
          + " PULSE_SECRET_KEY_OLD");
      this.keyId = keyId;
    }
  }
}
