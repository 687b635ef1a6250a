package io.pulse.store;

import io.pulse.config.SecretsConfig.Key;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secret key of an embedded database that was given none: generated once, kept beside its data, readable by the
 * service's user only. Blocking (file I/O): call it off the event loop.
 */
final class EmbeddedKey {

  static final String FILE = "secret.key";
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKey.class);

  private EmbeddedKey() {
  }

  static Key loadOrCreate(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      Files.createDirectories(file.getParent());
      try {
        Files.write(Files.createFile(file, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------"))),
            Base64.getEncoder().encode(bytes), StandardOpenOption.WRITE);
        log.info("Generated the secret key that encrypts stored passwords: {} (keep it with the data; set"
            + " PULSE_SECRET_KEY to manage it yourself)", file);
      } catch (FileAlreadyExistsException raced) {
        // another start made it first: read theirs
      }
    }
    return Key.parse(Files.readString(file, StandardCharsets.US_ASCII), "PULSE_SECRET_KEY (" + file + ")");
  }
}
