package io.pulse.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

  private Path dir;
  private final List<EmbeddedPostgres> started = new ArrayList<>();
  private final List<Process> children = new ArrayList<>();

  @BeforeEach
  void createDataDir() throws IOException {
    dir = Files.createTempDirectory(baseDir(), "embedded-pg-");
  }

  @AfterEach
  void stopEverythingAndDeleteTheDataDir() throws Exception {
    started.forEach(EmbeddedPostgres::close);
    for (Process child : children) {
      child.destroyForcibly().waitFor();
    }
    // a server a test left running (its JVM killed, the test failed before the restart stopped it)
    Optional<ProcessHandle> leftover = postmaster();
    if (leftover.isPresent()) {
      leftover.get().destroy(); // SIGTERM: smart shutdown
      awaitExit(leftover.get());
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void startsQueriesAndKeepsItsDataAcrossARestart() throws Exception {
    Instant begin = Instant.now();
    EmbeddedPostgres pg = start();
    System.out.println("embedded postgres cold start (extract + initdb + start): "
        + Duration.between(begin, Instant.now()).toMillis() + " ms");
    assertEquals("127.0.0.1", pg.host());
    assertEquals("postgres", pg.user());
    assertEquals("postgres", pg.database());
    try (Connection c = connect(pg, pg.password()); Statement st = c.createStatement()) {
      st.execute("create table notes (id int primary key, body text)");
      st.execute("insert into notes values (1, 'kept')");
      assertEquals("127.0.0.1", queryString(st, "show listen_addresses"));
      assertEquals("", queryString(st, "show unix_socket_directories"), "no Unix socket");
    }
    pg.close();
    pg.close(); // idempotent

    begin = Instant.now();
    EmbeddedPostgres again = start();
    System.out.println("embedded postgres warm start (same JVM): "
        + Duration.between(begin, Instant.now()).toMillis() + " ms");
    assertEquals(pg.password(), again.password());
    try (Connection c = connect(again, again.password()); Statement st = c.createStatement()) {
      assertEquals("kept", queryString(st, "select body from notes where id = 1"));
    }
  }

  @Test
  void aSecondStartOnARunningDataDirectoryFailsSayingItIsInUse() throws Exception {
    EmbeddedPostgres pg = start();
    IOException busy = assertThrows(IOException.class, () -> EmbeddedPostgres.start(dir));
    assertTrue(busy.getMessage().contains("is in use"), busy.getMessage());
    try (Connection c = connect(pg, pg.password()); Statement st = c.createStatement()) {
      assertEquals("1", queryString(st, "select 1"), "the running server is untouched");
    }
  }

  @Test
  void connectionsNeedThePasswordFromAFileOnlyTheOwnerCanRead() throws Exception {
    EmbeddedPostgres pg = start();
    assertEquals(dir.toRealPath().resolve("postgres.password"), pg.passwordFile());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pg.passwordFile())));
    assertEquals(System.getProperty("user.name"), Files.getOwner(pg.passwordFile()).getName());
    assertEquals(pg.password(), Files.readString(pg.passwordFile()).strip());
    assertEquals(43, pg.password().length(), "32 random bytes, base64url");
    try (Stream<Path> files = Files.list(pg.passwordFile().getParent())) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith(".password-")).toList(),
          "initdb's copy of the password is gone");
    }

    assertThrows(SQLException.class, () -> connect(pg, null).close());
    SQLException wrong = assertThrows(SQLException.class, () -> connect(pg, "not-the-password").close());
    assertEquals("28P01", wrong.getSQLState(), "invalid_password: the server checked it");
    connect(pg, pg.password()).close();
    assertTrue(Files.readAllLines(dir.resolve("pgdata/pg_hba.conf")).stream()
        .filter(line -> line.matches("(local|host).*")).allMatch(line -> line.endsWith("scram-sha-256")));
  }

  @Test
  void asRootTheServerRunsAsNobody() throws Exception {
    assumeTrue(isRoot(), "only meaningful as root");
    start();
    ProcessHandle postmaster = postmaster().orElseThrow();
    // from /proc of this (the host's) namespace: a uid 0 server in a user namespace would show 0 here
    String uid = Files.readAllLines(Path.of("/proc", Long.toString(postmaster.pid()), "status")).stream()
        .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow();
    assertEquals(List.of("Uid:", "65534", "65534", "65534", "65534"), List.of(uid.split("\\s+")));
  }

  @Test
  void asRootAnotherLocalUserWhoKnowsThePortCannotGetIn() throws Exception {
    assumeTrue(isRoot(), "only meaningful as root");
    EmbeddedPostgres pg = start();
    String cat = runAsDaemon("cat", pg.passwordFile().toString());
    assertTrue(cat.contains("Permission denied"), "the password file is not theirs to read: " + cat);
    Path probe = Files.createTempDirectory(baseDir(), "probe-");
    try {
      Path source = probe.resolve("Probe.java");
      Files.writeString(source, PROBE);
      probe.toFile().setReadable(true, false);
      probe.toFile().setExecutable(true, false);
      source.toFile().setReadable(true, false);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String probed = runAsDaemon(java, source.toString(), Integer.toString(pg.port()));
      assertEquals("exit 3: reply R auth 10", probed, "the server asks user daemon for the SCRAM password");
    } finally {
      Files.delete(probe.resolve("Probe.java"));
      Files.delete(probe);
    }
  }

  @Test
  void stopsAServerThatAKilledProcessLeftRunningAndStartsAgain() throws Exception {
    Process child = startInChildJvm();
    ProcessHandle orphan = postmaster().orElseThrow();

    IOException busy = assertThrows(IOException.class, () -> EmbeddedPostgres.start(dir));
    assertTrue(busy.getMessage().contains("is in use"), busy.getMessage());
    assertTrue(orphan.isAlive(), "the live owner's server was not stopped");

    child.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    assertTrue(orphan.isAlive(), "pg_ctl detached the server from its JVM");

    EmbeddedPostgres pg = start();
    awaitExit(orphan); // pg_ctl stop waited for it to remove postmaster.pid, its last act
    try (Connection c = connect(pg, pg.password()); Statement st = c.createStatement()) {
      assertEquals("7", queryString(st, "select v from child_made"));
    }
  }

  @Test
  void movesAClusterOfTheEarlierLauncherFromTrustToPasswordsAndKeepsItsRows() throws Exception {
    EmbeddedPostgres pg = start();
    try (Connection c = connect(pg, pg.password()); Statement st = c.createStatement()) {
      st.execute("create table kept (v int)");
      st.execute("insert into kept values (42)");
      st.execute("alter role postgres password null");
    }
    pg.close();
    // what the earlier launcher left: initdb -A trust, no password anywhere
    Path hba = dir.resolve("pgdata/pg_hba.conf");
    Files.writeString(hba, Files.readString(hba).replace("scram-sha-256", "trust"));
    Files.delete(pg.passwordFile());

    EmbeddedPostgres migrated = start();
    assertNotEquals(pg.password(), migrated.password());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(migrated.passwordFile())));
    assertTrue(Files.readAllLines(hba).stream().filter(line -> line.matches("(local|host).*"))
        .allMatch(line -> line.endsWith("scram-sha-256")), Files.readString(hba));
    assertThrows(SQLException.class, () -> connect(migrated, null).close());
    try (Connection c = connect(migrated, migrated.password()); Statement st = c.createStatement()) {
      assertEquals("42", queryString(st, "select v from kept"));
    }
  }

  @Test
  void asRootADataDirectoryNobodyCannotReachFailsNamingTheSettingsToChange() throws Exception {
    assumeTrue(isRoot(), "only meaningful as root");
    Path closed = Files.createDirectory(dir.resolve("closed"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    IOException e = assertThrows(IOException.class, () -> EmbeddedPostgres.start(closed.resolve("data")));
    assertTrue(e.getMessage().contains("cannot reach " + closed.toRealPath().resolve("data")), e.getMessage());
    assertTrue(e.getMessage().contains("PULSE_DATA_DIR"), e.getMessage());
    assertTrue(e.getMessage().contains("PULSE_DB_URL"), e.getMessage());
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private EmbeddedPostgres start() throws IOException {
    EmbeddedPostgres pg = EmbeddedPostgres.start(dir);
    started.add(pg);
    return pg;
  }

  /** Starts a server in another JVM, which creates a table and then waits to be killed. */
  private Process startInChildJvm() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ChildJvm.class.getName(),
        dir.toString()).redirectErrorStream(true).start();
    children.add(child);
    List<String> output = new ArrayList<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null && !line.equals("READY")) {
      output.add(line);
    }
    assertTrue(line != null, "the child JVM did not start its server:\n" + String.join("\n", output));
    return child;
  }

  /** Main class of the child JVM. */
  public static final class ChildJvm {
    public static void main(String[] args) throws Exception {
      EmbeddedPostgres pg = EmbeddedPostgres.start(Path.of(args[0]));
      try (Connection c = connect(pg, pg.password()); Statement st = c.createStatement()) {
        st.execute("create table child_made (v int)");
        st.execute("insert into child_made values (7)");
      }
      System.out.println("READY");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  /**
   * Run as another OS user: opens a PostgreSQL session for postgres/postgres on 127.0.0.1 and exits 3 when the
   * server asks for a SCRAM password (SASL, auth request 10), 0 when it lets the user in without one.
   */
  private static final String PROBE = String.join("\n",
      "import java.io.*; import java.net.*;",
      "public class Probe { public static void main(String[] a) throws Exception {",
      "  try (Socket s = new Socket(\"127.0.0.1\", Integer.parseInt(a[0]))) {",
      "    DataOutputStream out = new DataOutputStream(s.getOutputStream());",
      "    byte[] p = \"user\\0postgres\\0database\\0postgres\\0\\0\".getBytes(\"UTF-8\");",
      "    out.writeInt(8 + p.length); out.writeInt(196608); out.write(p); out.flush();",
      "    DataInputStream in = new DataInputStream(s.getInputStream());",
      "    int type = in.read(); in.readInt(); int auth = in.readInt();",
      "    System.out.println(\"reply \" + (char) type + \" auth \" + auth);",
      "    System.exit(type == 'R' && auth == 10 ? 3 : type == 'R' && auth == 0 ? 0 : 1);",
      "  }",
      "}}");

  /** "exit &lt;code&gt;: &lt;output&gt;" of {@code command} run as user daemon. */
  private static String runAsDaemon(String... command) throws Exception {
    List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=daemon", "--regid=daemon", "--clear-groups"));
    full.addAll(List.of(command));
    Process process = new ProcessBuilder(full).directory(Path.of("/").toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
    return "exit " + process.exitValue() + ": " + output;
  }

  static Connection connect(EmbeddedPostgres pg, String password) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + pg.database(), pg.user(), password);
  }

  private static String queryString(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next());
      return rs.getString(1);
    }
  }

  /** The server running on this test's data directory, if any. */
  private Optional<ProcessHandle> postmaster() throws IOException {
    Path pidFile = dir.resolve("pgdata/postmaster.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    return ProcessHandle.of(Long.parseLong(Files.readAllLines(pidFile).get(0).strip()));
  }

  private static void awaitExit(ProcessHandle process) throws Exception {
    process.onExit().get(60, TimeUnit.SECONDS);
  }

  private static boolean isRoot() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }

  /** target/, unless (as root, where the server runs as nobody) a directory above it is closed to others. */
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
}
