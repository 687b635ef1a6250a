package io.pulse.store.embedded;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EmbeddedPostgresTest {

  private Path dataDir;

  @BeforeEach
  void createDataDir() throws IOException {
    dataDir = Files.createTempDirectory(baseDir(), "embedded-pg-");
  }

  @AfterEach
  void deleteDataDir() throws IOException {
    deleteRecursively(dataDir);
  }

  @Test
  void startsQueriesAndKeepsDataAcrossRestarts() throws Exception {
    Instant begin = Instant.now();
    try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir)) {
      long cold = Duration.between(begin, Instant.now()).toMillis();
      System.out.println("embedded postgres cold start (extract + initdb + start): " + cold + " ms");
      assertEquals("127.0.0.1", pg.host());
      assertEquals("postgres", pg.user());
      assertEquals("postgres", pg.database());
      assertTrue(pg.port() > 0);
      try (Connection c = connect(pg); Statement st = c.createStatement()) {
        assertEquals(1, queryInt(st, "select 1"));
        st.execute("create table notes (id int primary key, body text)");
        st.execute("insert into notes values (1, 'kept')");
      }
      IOException busy = assertThrows(IOException.class, () -> EmbeddedPostgres.start(dataDir));
      assertTrue(busy.getMessage().contains("already in use"), busy.getMessage());
    }
    assertTrue(Files.readString(dataDir.resolve("postgres.log")).contains("database system is shut down"));

    begin = Instant.now();
    EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir);
    try {
      long warm = Duration.between(begin, Instant.now()).toMillis();
      System.out.println("embedded postgres warm start: " + warm + " ms");
      try (Connection c = connect(pg); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("select body from notes where id = 1")) {
        assertTrue(rs.next());
        assertEquals("kept", rs.getString(1));
      }
    } finally {
      pg.close();
    }
    pg.close(); // idempotent
    assertFalse(EmbeddedPostgres.acceptsConnections(pg.port()));
  }

  @Test
  void restartsAfterThePostmasterWasKilled() throws Exception {
    int port = freePort();
    EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir, port);
    assertEquals(port, pg.port());
    try (Connection c = connect(pg); Statement st = c.createStatement()) {
      st.execute("create table t (v int)");
      st.execute("insert into t values (42)");
    }
    Path pidFile = dataDir.resolve("pgdata/postmaster.pid");
    ProcessHandle postmaster = ProcessHandle.of(readPid(pidFile)).orElseThrow();
    postmaster.destroyForcibly(); // SIGKILL: no clean shutdown, postmaster.pid stays behind
    awaitDeath(postmaster, Duration.ofSeconds(10));
    assertTrue(Files.exists(pidFile), "postmaster.pid should be left behind");
    pg.close(); // must not fail or hang on a dead server

    try (EmbeddedPostgres again = EmbeddedPostgres.start(dataDir, port);
         Connection c = connect(again); Statement st = c.createStatement()) {
      assertEquals(port, again.port());
      assertEquals(42, queryInt(st, "select v from t"));
    }
  }

  @Test
  void serverStopsAndRestartsAfterTheJvmWasKilled() throws Exception {
    ProcessHandle postmaster = startInChildJvmAndKillIt(false);
    awaitDeath(postmaster, Duration.ofSeconds(30)); // the watchdog stops the server when its JVM dies
    assertRestarts();
  }

  @Test
  void restartsWhenAServerOfAKilledJvmIsStillRunning() throws Exception {
    ProcessHandle postmaster = startInChildJvmAndKillIt(true);
    assertTrue(postmaster.isAlive(), "the orphaned server should still run");
    assertRestarts(); // start() must stop the orphan first
    assertFalse(postmaster.isAlive());
  }

  @Test
  void asRootRefusesADataDirTheServerUserCannotReach() throws Exception {
    assumeTrue(isRoot(), "only meaningful as root");
    Path locked = Files.createDirectory(dataDir.resolve("locked"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    IOException e = assertThrows(IOException.class, () -> EmbeddedPostgres.start(locked.resolve("data")));
    assertTrue(e.getMessage().contains("cannot traverse " + locked.toRealPath()), e.getMessage());
    assertTrue(e.getMessage().contains("PULSE_DB_URL"), e.getMessage());
  }

  // ------------------------------------------------------------------------------------------ helpers

  private void assertRestarts() throws IOException, SQLException {
    try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir);
         Connection c = connect(pg); Statement st = c.createStatement()) {
      assertEquals(7, queryInt(st, "select v from child_made"));
    }
  }

  /**
   * Starts a server in another JVM, which creates a table, then kills that JVM with SIGKILL (and, if asked, the
   * watchdog processes too, leaving an orphaned running server). Returns the server's postmaster.
   */
  private ProcessHandle startInChildJvmAndKillIt(boolean alsoKillWatchdog) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        ChildJvm.class.getName(), dataDir.toString())
        .redirectErrorStream(true)
        .start();
    List<String> output = new ArrayList<>();
    try {
      BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null && !line.startsWith("READY")) {
        output.add(line);
      }
      assertTrue(line != null, "child JVM did not start the server:\n" + String.join("\n", output));
      ProcessHandle postmaster = ProcessHandle.of(readPid(dataDir.resolve("pgdata/postmaster.pid"))).orElseThrow();
      if (alsoKillWatchdog) {
        ProcessHandle watchdog = postmaster.parent().orElseThrow();
        watchdog.children().filter(p -> p.pid() != postmaster.pid()).forEach(ProcessHandle::destroyForcibly);
        watchdog.destroyForcibly();
        awaitDeath(watchdog, Duration.ofSeconds(10));
      }
      return postmaster;
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    }
  }

  /** Main class of the child JVM. */
  public static final class ChildJvm {
    public static void main(String[] args) throws Exception {
      EmbeddedPostgres pg = EmbeddedPostgres.start(Path.of(args[0]));
      try (Connection c = connect(pg); Statement st = c.createStatement()) {
        st.execute("create table child_made (v int)");
        st.execute("insert into child_made values (7)");
      }
      System.out.println("READY " + pg.port());
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  static Connection connect(EmbeddedPostgres pg) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + pg.database(), pg.user(), "");
  }

  private static int queryInt(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next());
      return rs.getInt(1);
    }
  }

  private static long readPid(Path pidFile) throws IOException {
    return Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
  }

  private static void awaitDeath(ProcessHandle p, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (p.isAlive()) {
      assertTrue(Instant.now().isBefore(deadline), "process " + p.pid() + " still alive after " + timeout);
      Thread.sleep(50);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static boolean isRoot() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }

  /**
   * target/ of this module; as root, where PostgreSQL runs as 'nobody', a temp dir instead if a parent of target/
   * is closed to others (e.g. a checkout under /root).
   */
  private static Path baseDir() throws IOException {
    Path target = Files.createDirectories(Path.of("target").toAbsolutePath()).toRealPath();
    if (isRoot()) {
      for (Path p = target.getParent(); p != null; p = p.getParent()) {
        if (((Integer) Files.getAttribute(p, "unix:mode") & 0001) == 0) {
          return Path.of(System.getProperty("java.io.tmpdir"));
        }
      }
    }
    return target;
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
