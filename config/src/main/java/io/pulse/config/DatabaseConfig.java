package io.pulse.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * PostgreSQL: an external database ({@code url}, a secret: it may hold a password) or, without one, an embedded server
 * keeping its files under {@code dataDir}; the pool size and the timeout after which a request answers 503.
 */
public record DatabaseConfig(String url, Path dataDir, int poolSize, Duration timeout) {

  static DatabaseConfig read(Values v) {
    return new DatabaseConfig(url(v.text("PULSE_DB_URL")), Path.of(v.text("PULSE_DATA_DIR")),
        v.integer("PULSE_DB_POOL_SIZE", 1, 200), v.positive("PULSE_DB_TIMEOUT"));
  }

  /** How long a caller waits for the store service before it answers 503: the database's timeout and slack. */
  public long busTimeoutMillis() {
    return 2 * timeout.toMillis() + 1000;
  }

  private static String url(String text) {
    if (text == null) {
      return null;
    }
    if (!text.startsWith("postgresql://") && !text.startsWith("postgres://")) {
      // Never echo the value: it may hold a password.
      throw new ConfigException("PULSE_DB_URL", "must look like postgresql://user:password@host:port/database");
    }
    return text;
  }

  @Override
  public String toString() {
    return "DatabaseConfig[url=" + (url == null ? null : "****") + ", dataDir=" + dataDir + ", poolSize=" + poolSize
        + ", timeout=" + timeout + "]";
  }
}
