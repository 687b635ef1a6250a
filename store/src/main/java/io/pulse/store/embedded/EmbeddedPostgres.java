package io.pulse.store.embedded;

import java.io.IOException;
import java.nio.file.Path;

/** TEMPORARY STUB until the real launcher lands. */
public final class EmbeddedPostgres implements AutoCloseable {
  public static EmbeddedPostgres start(Path dataDir) throws IOException {
    throw new IOException("not yet");
  }
  public int port() { return 0; }
  public String host() { return "127.0.0.1"; }
  public String user() { return "postgres"; }
  public String database() { return "postgres"; }
  @Override public void close() { }
}
