package io.pulse.config;

import java.time.Duration;
import java.util.List;

/**
 * Running the service: a dry run (maintenance and the monitor log what they would delete or close, and do not), the
 * log format, and how long a shutdown may take.
 */
public record OperationsConfig(boolean dryRun, String logFormat, Duration shutdownTimeout) {

  static OperationsConfig read(Values v) {
    return new OperationsConfig(v.bool("PULSE_DRY_RUN"), v.oneOf("PULSE_LOG_FORMAT", List.of("text", "json")),
        v.positive("PULSE_SHUTDOWN_TIMEOUT"));
  }
}
