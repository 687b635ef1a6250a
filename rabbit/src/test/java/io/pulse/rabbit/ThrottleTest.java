package io.pulse.rabbit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ThrottleTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void oneLineAnIntervalCountingWhatWasHeldBack() {
    Throttle throttle = new Throttle(10_000);
    long start = 123 * SECOND;
    assertEquals(0, throttle.pass(start), "the first failure is logged at once");
    for (int i = 1; i <= 300; i++) {
      assertEquals(-1, throttle.pass(start + i * SECOND / 100), "held back within the interval");
    }
    assertEquals(300, throttle.pass(start + 10 * SECOND), "the next line counts the 300 held back");
    assertEquals(-1, throttle.pass(start + 11 * SECOND));
    assertEquals(1, throttle.pass(start + 25 * SECOND));
    assertEquals(0, throttle.pass(start + 40 * SECOND), "after a quiet interval, nothing held back");
  }

  @Test
  void worksAcrossTheSignOfTheNanoClock() {
    Throttle throttle = new Throttle(10_000);
    long start = Long.MAX_VALUE - 5 * SECOND;
    assertEquals(0, throttle.pass(start));
    assertEquals(-1, throttle.pass(start + 6 * SECOND), "still within the interval after the clock wrapped");
    assertEquals(1, throttle.pass(start + 10 * SECOND));
  }
}
