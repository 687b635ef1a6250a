package io.pulse.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.regex.Pattern;

/**
 * PEM files named by the configuration (certificates, CA bundles, private keys), checked at start so a wrong file is
 * a message naming the setting and the file, not a TLS handshake failing later. Never prints a key's content.
 */
public final class Pem {

  private static final Pattern PRIVATE_KEY = Pattern.compile("-----BEGIN (RSA |EC )?PRIVATE KEY-----");

  private Pem() {
  }

  /** The certificates in {@code path}; at least one, else a ConfigException naming {@code key}. */
  public static Collection<? extends Certificate> certificates(String key, Path path) {
    byte[] bytes = read(key, path);
    String text = new String(bytes, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigException(key, path + " holds no PEM certificate (a block starting with"
          + " -----BEGIN CERTIFICATE-----)");
    }
    try {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes));
      if (certificates.isEmpty()) {
        throw new ConfigException(key, path + " holds no PEM certificate");
      }
      return certificates;
    } catch (CertificateException e) {
      throw new ConfigException(key, path + " is not a valid PEM certificate file (" + e.getMessage() + ")");
    }
  }

  /** Checks that {@code path} holds a PEM private key (PKCS#8, or PKCS#1 RSA, or SEC1 EC). */
  public static void privateKey(String key, Path path) {
    String text = new String(read(key, path), StandardCharsets.US_ASCII);
    if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new ConfigException(key, path + " holds an encrypted private key; give the key unencrypted (readable"
          + " only by the service's user)");
    }
    if (!PRIVATE_KEY.matcher(text).find()) {
      throw new ConfigException(key, path + " holds no PEM private key (a block starting with"
          + " -----BEGIN PRIVATE KEY-----)");
    }
  }

  private static byte[] read(String key, Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new ConfigException(key, path + " cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }
}
