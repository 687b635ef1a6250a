package io.pulse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aBurstIsAllowedThenTheRate() {
    RateLimiter limiter = new RateLimiter(2, 3);
    assertTrue(limiter.tryTake("a", 0));
    assertTrue(limiter.tryTake("a", 0));
    assertTrue(limiter.tryTake("a", 0));
    assertFalse(limiter.tryTake("a", 0), "the burst is spent");
    assertEquals(1, limiter.retryAfterSeconds("a", 0));
    assertTrue(limiter.tryTake("a", SECOND / 2), "two per second: one after half a second");
    assertFalse(limiter.tryTake("a", SECOND / 2));
  }

  @Test
  void callersHaveBucketsOfTheirOwn() {
    RateLimiter limiter = new RateLimiter(1, 1);
    assertTrue(limiter.tryTake("a", 0));
    assertFalse(limiter.tryTake("a", 0));
    assertTrue(limiter.tryTake("b", 0));
  }

  @Test
  void aBucketNeverHoldsMoreThanTheBurst() {
    RateLimiter limiter = new RateLimiter(1, 2);
    limiter.tryTake("a", 0);
    assertTrue(limiter.tryTake("a", 100 * SECOND));
    assertTrue(limiter.tryTake("a", 100 * SECOND));
    assertFalse(limiter.tryTake("a", 100 * SECOND));
  }

  @Test
  void zeroMeansNoLimit() {
    RateLimiter limiter = new RateLimiter(0, 1);
    for (int i = 0; i < 1000; i++) {
      assertTrue(limiter.tryTake("a", 0));
    }
  }

  @Test
  void concurrentActionsMayOverdrawAndThenWait() {
    RateLimiter limiter = new RateLimiter(1, 1);
    assertTrue(limiter.available("a", 0));
    limiter.take("a", 0);
    limiter.take("a", 0);
    assertFalse(limiter.available("a", SECOND), "one token owed: two seconds to the next");
    assertTrue(limiter.available("a", 2 * SECOND));
  }
}
