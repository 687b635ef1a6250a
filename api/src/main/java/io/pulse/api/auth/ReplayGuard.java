package io.pulse.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers every Hawk request this instance accepted, by {@code (id, ts, nonce)}, for as long as its timestamp is
 * accepted at all (15 minutes either side), so a captured header cannot be replayed to fetch credentials again. Holds
 * a 128-bit fingerprint per request, at most {@link #MAX_ENTRIES} (about 10 MB); when full of live entries the oldest
 * go first, which a replay of that old request would pass: 100,000 accepted Hawk requests in 30 minutes is more than
 * this service is built for. Each replica remembers its own requests; within one, the REST verticle's instances share
 * one guard, so its methods synchronize.
 */
public final class ReplayGuard {

  static final int MAX_ENTRIES = 100_000;

  /** Fingerprint to the second (epoch) after which its timestamp is stale anyway. */
  private final Map<String, Long> seen = new LinkedHashMap<>();

  /** True the first time a request is seen; false for a replay. */
  boolean firstUse(String id, long ts, String nonce, long nowSeconds) {
    String key = key(id, ts, nonce);
    // The lock, shared by the REST verticle's instances, is held for map operations only, not for the hashing.
    synchronized (this) {
      if (seen.containsKey(key)) {
        return false;
      }
      evict(nowSeconds);
      seen.put(key, ts + HawkVerifier.SKEW_SECONDS);
      return true;
    }
  }

  /** Whether this request was accepted before (a replay), without remembering it. */
  boolean seen(String id, long ts, String nonce) {
    String key = key(id, ts, nonce);
    synchronized (this) {
      return seen.containsKey(key);
    }
  }

  synchronized int size() {
    return seen.size();
  }

  private void evict(long nowSeconds) {
    Iterator<Map.Entry<String, Long>> oldest = seen.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<String, Long> entry = oldest.next();
      if (entry.getValue() < nowSeconds || seen.size() >= MAX_ENTRIES) {
        oldest.remove();
      } else {
        // Entries arrive roughly in time order: the first live one ends the sweep, keeping it O(evicted).
        return;
      }
    }
  }

  /** A request's fingerprint: the first 128 bits of the SHA-256 of its id, timestamp and nonce. */
  private static String key(String id, long ts, String nonce) {
    return fingerprint(id + '\n' + ts + '\n' + nonce);
  }

  private static String fingerprint(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
