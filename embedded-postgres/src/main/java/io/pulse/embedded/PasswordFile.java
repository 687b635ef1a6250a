package io.pulse.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The superuser's password, made once at random and kept in a file only this process's user can read. */
final class PasswordFile {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordFile.class);

  private static final String DRAFTS = ".password-";
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private PasswordFile() {
  }

  /** Call while holding the data directory's lock: copies left by a killed start are deleted. */
  static String readOrCreate(Path file) throws IOException {
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(file.getParent(), DRAFTS + "*")) {
      for (Path leftover : leftovers) {
        Files.delete(leftover);
      }
    }
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      Path draft = write(file.getParent(), Base64.getUrlEncoder().withoutPadding().encodeToString(random));
      Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE); // all at once: never seen half-written
    }
    if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY.value())) {
      LOG.warn("{} holds the embedded PostgreSQL's password but others could read it; setting its mode to 600", file);
      Files.setPosixFilePermissions(file, OWNER_ONLY.value());
    }
    return Files.readString(file, StandardCharsets.UTF_8).strip();
  }

  /** A copy of the password that {@code user} can read, for initdb's --pwfile; the caller deletes it. */
  static Path copyFor(ServerUser user, Path dir, String password) throws IOException {
    Path copy = write(dir, password);
    user.give(copy);
    return copy;
  }

  private static Path write(Path dir, String password) throws IOException {
    Path file = Files.createTempFile(dir, DRAFTS, ".tmp", OWNER_ONLY);
    Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
    return file;
  }
}
