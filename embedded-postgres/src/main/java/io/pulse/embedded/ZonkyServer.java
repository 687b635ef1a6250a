package io.pulse.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** zonky's EmbeddedPostgres, set up for a kept cluster that asks for a password and has no Unix socket. */
final class ZonkyServer {

  static final String HOST = "127.0.0.1";

  private ZonkyServer() {
  }

  /**
   * Starts the cluster in {@code home/pgdata}, running initdb first when there is none. zonky locks the data
   * directory only after initdb, so the caller holds a lock of its own.
   */
  static EmbeddedPostgres start(Path home, ServerUser user, String password) throws IOException {
    Path pgData = home.resolve("pgdata");
    Path log = home.resolve("postgres.log");
    SwitchingBinaryResolver binaries = new SwitchingBinaryResolver(home.resolve("binaries"), user);
    binaries.secureDirectory();
    Path initdbPassword = PasswordFile.copyFor(user, home, password);
    try {
      return EmbeddedPostgres.builder()
          .setDataDirectory(pgData)
          .setCleanDataDirectory(false)
          .setOverrideWorkingDirectory(binaries.directory().toFile())
          .setPgBinaryResolver(binaries)
          // appended to initdb's command line, after zonky's "-A trust", which they override
          .setLocaleConfig("locale", "C")
          .setLocaleConfig("auth-host", "scram-sha-256")
          .setLocaleConfig("auth-local", "scram-sha-256")
          .setLocaleConfig("pwfile", initdbPassword.toString())
          .setServerConfig("listen_addresses", HOST)
          .setServerConfig("unix_socket_directories", "")
          // zonky tunes for throw-away test databases; these data are kept
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setConnectConfig("password", password)
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .setPGStartupWait(Duration.ofSeconds(60))
          .start();
    } catch (IllegalStateException e) {
      throw new IOException("The embedded PostgreSQL did not start; see " + log, e);
    } finally {
      Files.delete(initdbPassword);
      binaries.secureDirectory();
    }
  }
}
