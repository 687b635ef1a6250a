package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS settings: HTTPS for the REST API, the CA trusted for RabbitMQ, PostgreSQL's sslmode and sslrootcert. A wrong
 * file is refused at start with the setting and the file named, never at the first handshake.
 */
class TlsConfigTest {

  @TempDir
  Path dir;
  private Path cert;
  private Path key;
  private Path notPem;

  @BeforeEach
  void files() throws Exception {
    cert = dir.resolve("server.crt");
    key = dir.resolve("server.key");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=localhost", "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
    String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0, output);
    notPem = dir.resolve("ca.txt");
    Files.writeString(notPem, "this is not a certificate\n");
  }

  private ConfigException refused(Map<String, String> settings, String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> PulseConfig.fromMap(settings));
    assertEquals(key, e.key(), e.getMessage());
    return e;
  }

  @Test
  void httpsNeedsACertificateAndAKeyThatAreWhatTheySay() {
    HttpConfig https = PulseConfig.fromMap(Map.of("PULSE_TLS_CERT", cert.toString(), "PULSE_TLS_KEY", key.toString()))
        .http();
    assertTrue(https.tls());
    assertEquals(cert, https.tlsCert());
    assertNull(PulseConfig.fromMap(Map.of()).http().tlsCert(), "plain HTTP by default");

    assertTrue(refused(Map.of("PULSE_TLS_CERT", cert.toString()), "PULSE_TLS_KEY").getMessage()
        .contains("both PULSE_TLS_CERT and PULSE_TLS_KEY"));
    assertTrue(refused(Map.of("PULSE_TLS_CERT", key.toString(), "PULSE_TLS_KEY", key.toString()), "PULSE_TLS_CERT")
        .getMessage().contains("holds no PEM certificate"));
    assertTrue(refused(Map.of("PULSE_TLS_CERT", cert.toString(), "PULSE_TLS_KEY", cert.toString()), "PULSE_TLS_KEY")
        .getMessage().contains("holds no PEM private key"));
    assertTrue(refused(Map.of("PULSE_TLS_CERT", dir.resolve("missing.crt").toString(), "PULSE_TLS_KEY",
        key.toString()), "PULSE_TLS_CERT").getMessage().contains("cannot be read"));
  }

  @Test
  void theRabbitCaMustHoldCertificates() {
    assertEquals(cert, PulseConfig.fromMap(Map.of("PULSE_RABBIT_CA", cert.toString(),
        "PULSE_RABBIT_API", "https://mq.example.com/api", "PULSE_AMQP_URL", "amqps://mq.example.com/%2F")).rabbit()
        .caFile());
    String message = refused(Map.of("PULSE_RABBIT_CA", notPem.toString()), "PULSE_RABBIT_CA").getMessage();
    assertTrue(message.contains(notPem.toString()) && message.contains("holds no PEM certificate"), message);
  }

  @Test
  void postgresqlTlsNamesABadCaFileAndNeedsOneToVerify() {
    DatabaseConfig db = PulseConfig.fromMap(Map.of("PULSE_ALLOW_PLAINTEXT_SECRETS", "true",
        "PULSE_DB_URL", "postgresql://pulse@db.example.com/pulse?sslmode=verify-full&sslrootcert=" + cert)).database();
    assertEquals("verify-full", db.sslMode());
    assertEquals(cert, db.sslRootCert());

    String bad = refused(Map.of("PULSE_ALLOW_PLAINTEXT_SECRETS", "true", "PULSE_DB_URL",
        "postgresql://pulse@db.example.com/pulse?sslmode=verify-ca&sslrootcert=" + notPem), "PULSE_DB_URL").getMessage();
    assertTrue(bad.contains("sslrootcert " + notPem + " holds no PEM certificate"), bad);
    String none = refused(Map.of("PULSE_ALLOW_PLAINTEXT_SECRETS", "true", "PULSE_DB_URL",
        "postgresql://pulse@db.example.com/pulse?sslmode=verify-full"), "PULSE_DB_URL").getMessage();
    assertTrue(none.contains("needs sslrootcert"), none);
  }
}
