package io.pulse.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The keys that encrypt the RabbitMQ passwords stored in PostgreSQL (AES-256-GCM): PULSE_SECRET_KEY (or the file
 * PULSE_SECRET_KEY_FILE) encrypts and decrypts; PULSE_SECRET_KEY_OLD (comma-separated) only decrypts, so an operator
 * can change keys with the service running. Without a key, the embedded database keeps one it generates in
 * PULSE_DATA_DIR; an external database refuses to start without a key unless PULSE_ALLOW_PLAINTEXT_SECRETS is true.
 */
public record SecretsConfig(Key current, List<Key> old, boolean allowPlaintext) {

  /** A 256-bit key and its id (a hash: it names the key without revealing it). */
  public record Key(byte[] bytes, String id) {

    /** Parses 32 bytes given as base64 (either alphabet) or 64 hex digits. */
    public static Key parse(String text, String key) {
      String t = text.trim();
      byte[] bytes;
      try {
        bytes = t.length() == 64 && t.chars().allMatch(c -> Character.digit(c, 16) >= 0)
            ? HexFormat.of().parseHex(t)
            : Base64.getDecoder().decode(t.replace('-', '+').replace('_', '/'));
      } catch (IllegalArgumentException e) {
        bytes = new byte[0];
      }
      if (bytes.length != 32) {
        throw new ConfigException(key, "must be 32 random bytes as base64 or 64 hex digits (openssl rand -base64 32)");
      }
      return new Key(bytes, idOf(bytes));
    }

    private static String idOf(byte[] bytes) {
      try {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update("pulse-secret-key-id:".getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest(bytes), 0, 4);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public String toString() {
      return "Key[id=" + id + "]";
    }
  }

  static SecretsConfig read(Values v, DatabaseConfig database) {
    String inline = v.text("PULSE_SECRET_KEY");
    String file = v.text("PULSE_SECRET_KEY_FILE");
    if (inline != null && file != null) {
      throw new ConfigException("PULSE_SECRET_KEY_FILE", "give the key either in PULSE_SECRET_KEY or in a file, not"
          + " both");
    }
    Key current = inline != null ? Key.parse(inline, "PULSE_SECRET_KEY") : file != null ? fromFile(file) : null;
    List<Key> old = new ArrayList<>();
    if (v.text("PULSE_SECRET_KEY_OLD") != null) {
      for (String text : v.text("PULSE_SECRET_KEY_OLD").split(",")) {
        if (!text.isBlank()) {
          old.add(Key.parse(text, "PULSE_SECRET_KEY_OLD"));
        }
      }
    }
    if (current == null && !old.isEmpty()) {
      throw new ConfigException("PULSE_SECRET_KEY_OLD", "needs PULSE_SECRET_KEY: old keys only decrypt");
    }
    boolean allowPlaintext = v.bool("PULSE_ALLOW_PLAINTEXT_SECRETS");
    if (current == null && database.external() && !allowPlaintext) {
      throw new ConfigException("PULSE_SECRET_KEY", "must be set (or PULSE_SECRET_KEY_FILE) with an external database"
          + " (PULSE_DB_URL), so the RabbitMQ passwords it stores are encrypted: generate one with"
          + " `openssl rand -base64 32`; or set PULSE_ALLOW_PLAINTEXT_SECRETS=true to store them in clear");
    }
    return new SecretsConfig(current, List.copyOf(old), allowPlaintext);
  }

  private static Key fromFile(String path) {
    try {
      return Key.parse(Files.readString(Path.of(path)), "PULSE_SECRET_KEY_FILE");
    } catch (IOException | RuntimeException e) {
      if (e instanceof ConfigException) {
        throw (ConfigException) e;
      }
      throw new ConfigException("PULSE_SECRET_KEY_FILE", "cannot read " + path + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "SecretsConfig[current=" + current + ", old=" + old + ", allowPlaintext=" + allowPlaintext + "]";
  }
}
