package io.pulse.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import org.postgresql.PGConnection;

/**
 * A cluster made by the earlier launcher, which let anyone on 127.0.0.1 in as the superuser ({@code trust} in
 * pg_hba.conf). Moving it to SCRAM keeps its data; new clusters get the same pg_hba.conf from initdb.
 */
final class TrustingCluster {

  /** An authentication line (not a comment) whose method is trust. */
  private static final Pattern TRUST = Pattern.compile("^(\\s*(?:local|host)\\S*\\s.*\\s)trust(\\s*)$");

  private TrustingCluster() {
  }

  static boolean is(Path pgData) throws IOException {
    Path hba = pgData.resolve("pg_hba.conf");
    return Files.exists(hba) && Files.readAllLines(hba).stream().anyMatch(line -> TRUST.matcher(line).matches());
  }

  /** Sets the superuser's password; the password travels as a SCRAM verifier, never in clear text. */
  static void setPassword(DataSource server, String user, String password) throws IOException {
    try (Connection connection = server.getConnection()) {
      connection.unwrap(PGConnection.class).alterUserPassword(user, password.toCharArray(), "scram-sha-256");
    } catch (SQLException e) {
      throw new IOException("Could not set a password for " + user + " in the embedded PostgreSQL", e);
    }
  }

  /** Asks for a SCRAM password wherever pg_hba.conf trusted; read when the server next starts. */
  static void requirePasswords(Path pgData) throws IOException {
    Path hba = pgData.resolve("pg_hba.conf");
    List<String> lines = Files.readAllLines(hba);
    Files.writeString(hba, lines.stream()
        .map(line -> TRUST.matcher(line).replaceFirst("$1scram-sha-256$2"))
        .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
  }
}
