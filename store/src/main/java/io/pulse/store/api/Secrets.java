package io.pulse.store.api;

import java.security.SecureRandom;
import java.util.Base64;

/** New passwords of namespace users: the store makes a new namespace's first, rotations the rest. */
public final class Secrets {

  /** 32 random bytes: 256 bits of entropy, URL-safe so the connection string stays readable. */
  private static final int PASSWORD_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Secrets() {
  }

  /** A fresh random password. A secret: never log it. */
  public static String newPassword() {
    byte[] bytes = new byte[PASSWORD_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
