package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class StandbyHoldTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void theStandbyStepRunsWhenNoNamespaceWasMadeRecently() {
    StandbyHold hold = new StandbyHold();
    assertFalse(hold.hold(1_000 * MS, false, 0), "no first claim yet");
    assertFalse(hold.hold(1_000 * MS, true, 1_000 * MS - StandbyHold.QUIET_MILLIS * MS), "quiet long enough");
  }

  @Test
  void itWaitsWhileFirstClaimsKeepComingButNeverLongerThanTheLimit() {
    StandbyHold hold = new StandbyHold();
    long start = 5_000 * MS;
    assertTrue(hold.hold(start, true, start - 10 * MS));
    assertTrue(hold.hold(start + 9_000 * MS, true, start + 8_990 * MS), "claims still coming 9 s later");
    assertFalse(hold.hold(start + StandbyHold.MAX_HOLD_MILLIS * MS, true, start + 9_990 * MS),
        "held back for the longest allowed: the step runs");
    assertTrue(hold.hold(start + 11_000 * MS, true, start + 10_990 * MS), "a new hold begins after it ran");
    assertFalse(hold.hold(start + 12_000 * MS, true, start + 11_000 * MS), "and ends with the claims");
  }
}
