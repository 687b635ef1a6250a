package io.pulse.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server that still runs on a data directory whose owner is gone: pg_ctl detaches the server, so a JVM killed
 * with SIGKILL leaves it running, and a new one would fail on its postmaster.pid.
 */
final class LeftoverServer {

  private static final Logger LOG = LoggerFactory.getLogger(LeftoverServer.class);

  private LeftoverServer() {
  }

  /**
   * Stops it (fast shutdown) with the pg_ctl next to its own postgres program (the earlier launcher's, or zonky's),
   * as the server user. Call only while holding the data directory's lock, or a live server would be stopped.
   */
  static void stop(Path pgData, ServerUser user, Path log) throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String pid = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
    Path proc = Path.of("/proc", pid);
    Path postgres;
    try {
      if (pid.isEmpty() || !Files.readSymbolicLink(proc.resolve("cwd")).equals(pgData)) {
        return; // a stale file: postgres removes it itself
      }
      postgres = Files.readSymbolicLink(proc.resolve("exe"));
    } catch (IOException gone) {
      return;
    }
    LOG.info("Stopping the PostgreSQL server (pid {}) that an earlier run left on {}", pid, pgData);
    List<String> stop = List.of(postgres.resolveSibling("pg_ctl").toString(), "stop", "-D", pgData.toString(),
        "-m", "fast", "-w", "-t", "60");
    if (user.run(stop, log) != 0) {
      throw new IOException("Could not stop the PostgreSQL server (pid " + pid + ") left running on " + pgData
          + "; see " + log);
    }
  }
}
