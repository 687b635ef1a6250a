package io.pulse.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates made by the test itself with {@code openssl} (no fixed keys in the repository): for
 * 127.0.0.1 and localhost, valid two days, an RSA key in PKCS#8 PEM.
 */
public final class Certificates {

  /** A certificate and its key, as PEM files. The certificate is its own CA. */
  public record Pair(Path cert, Path key) {
  }

  private Certificates() {
  }

  /** Writes {@code <name>.crt} and {@code <name>.key} under {@code dir}, with the subject {@code CN=<name>}. */
  public static Pair selfSigned(Path dir, String name) throws IOException, InterruptedException {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", key.toString(), "-out", cert.toString())
        .redirectErrorStream(true).start();
    String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!openssl.waitFor(60, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
      throw new IOException("openssl could not make a certificate: " + output);
    }
    return new Pair(cert, key);
  }

  /** Replaces {@code target}'s files by {@code source}'s, as an operator renewing a certificate does. */
  public static void replace(Pair target, Pair source) throws IOException {
    Files.copy(source.key(), target.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(source.cert(), target.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
