package io.pulse.api;

import io.pulse.config.Pem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/**
 * The REST server's certificate chain and key (PULSE_TLS_CERT, PULSE_TLS_KEY), read off the event loop and checked
 * before use, and whether the files changed since they were last read (their size and modification time).
 */
final class ServerCertificate {

  private final Vertx vertx;
  private final Path cert;
  private final Path key;
  private volatile String seen = "";

  ServerCertificate(Vertx vertx, Path cert, Path key) {
    this.vertx = vertx;
    this.cert = cert;
    this.key = key;
  }

  /** The files' content as Vert.x key/cert options, and a description (subject and expiry) for the log. */
  record Loaded(PemKeyCertOptions options, String description) {
  }

  Future<Loaded> load() {
    return vertx.executeBlocking(() -> {
      seen = signature();
      Certificate first = Pem.certificates("PULSE_TLS_CERT", cert).iterator().next();
      Pem.privateKey("PULSE_TLS_KEY", key);
      String description = first instanceof X509Certificate x509
          ? x509.getSubjectX500Principal().getName() + ", valid until " + x509.getNotAfter().toInstant()
          : cert.toString();
      return new Loaded(new PemKeyCertOptions()
          .addCertValue(Buffer.buffer(Files.readAllBytes(cert)))
          .addKeyValue(Buffer.buffer(Files.readAllBytes(key))), description);
    });
  }

  /** Whether either file changed (or appeared, or went) since the last {@link #load()}. */
  Future<Boolean> changed() {
    return vertx.executeBlocking(() -> !signature().equals(seen));
  }

  private String signature() {
    return stamp(cert) + "/" + stamp(key);
  }

  private static String stamp(Path file) {
    try {
      return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
    } catch (java.io.IOException e) {
      return "unreadable";
    }
  }
}
