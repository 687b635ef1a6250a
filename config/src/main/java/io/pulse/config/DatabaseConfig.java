package io.pulse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL: an external database (PULSE_DB_URL, split here into its parts; its password, or PULSE_DB_PASSWORD, is a
 * secret) or, without one, an embedded server keeping its files under {@code dataDir}; the pool size, the timeout after
 * which a request answers 503, and TLS ({@code sslmode}, {@code sslrootcert} in the URL's query).
 */
public record DatabaseConfig(String url, String host, int port, String database, String user, String password,
    String sslMode, Path sslRootCert, Path dataDir, int poolSize, Duration timeout) {

  private static final String KEY = "PULSE_DB_URL";
  private static final List<String> SSL_MODES = List.of("disable", "allow", "prefer", "require", "verify-ca",
      "verify-full");
  private static final String ENCODING_HINT = "characters such as @ : / ? # % [ ] in the user name or password must be"
      + " percent-encoded (a '/' is %2F, an '@' is %40), or give the password in PULSE_DB_PASSWORD";

  static DatabaseConfig read(Values v) {
    Path dataDir = Path.of(v.text("PULSE_DATA_DIR"));
    int poolSize = v.integer("PULSE_DB_POOL_SIZE", 1, 200);
    Duration timeout = v.positive("PULSE_DB_TIMEOUT");
    String url = v.text(KEY);
    String separatePassword = v.text("PULSE_DB_PASSWORD");
    if (url == null) {
      return new DatabaseConfig(null, null, 0, null, null, separatePassword, null, null, dataDir, poolSize, timeout);
    }
    URI uri = parse(url);
    String[] credentials = credentials(uri);
    Map<String, String> params = params(uri);
    String sslMode = params.getOrDefault("sslmode", "prefer");
    if (!SSL_MODES.contains(sslMode)) {
      throw new ConfigException(KEY, "sslmode must be one of " + String.join(", ", SSL_MODES) + ", got '" + sslMode
          + "'");
    }
    Path rootCert = params.containsKey("sslrootcert") ? Path.of(params.get("sslrootcert")) : null;
    if (rootCert != null) {
      try {
        Pem.certificates(KEY, rootCert);
      } catch (ConfigException e) {
        throw new ConfigException(KEY, "sslrootcert " + e.getMessage().substring(KEY.length() + 2));
      }
    }
    if ((sslMode.equals("verify-ca") || sslMode.equals("verify-full")) && rootCert == null) {
      throw new ConfigException(KEY, "sslmode=" + sslMode + " needs sslrootcert=/path/to/ca.pem: the CA certificates the"
          + " server's certificate is checked against");
    }
    String path = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
    return new DatabaseConfig(url, uri.getHost(), uri.getPort() == -1 ? 5432 : uri.getPort(), path,
        credentials[0] == null ? "postgres" : credentials[0],
        separatePassword != null ? separatePassword : credentials[1], sslMode, rootCert, dataDir, poolSize, timeout);
  }

  /** A copy connecting to another server (the embedded one), for the store. */
  public DatabaseConfig connectingTo(String host, int port, String database, String user, String password) {
    return new DatabaseConfig(url, host, port, database, user, password, "disable", null, dataDir, poolSize, timeout);
  }

  /** Whether an external database is configured (else the embedded one runs). */
  public boolean external() {
    return url != null;
  }

  /** How long a caller waits for the store service before it answers 503: the database's timeout and slack. */
  public long busTimeoutMillis() {
    return 2 * timeout.toMillis() + 1000;
  }

  /** Never echoes the value: it may hold a password. */
  private static URI parse(String url) {
    if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
      throw new ConfigException(KEY, "must look like postgresql://user:password@host:port/database");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException(KEY, "is not a valid URL: " + ENCODING_HINT);
    }
    if (uri.getHost() == null) {
      throw new ConfigException(KEY, "must name a host (postgresql://user:password@host:port/database); "
          + ENCODING_HINT);
    }
    return uri;
  }

  /** The decoded user and password of the URL (either may be null). */
  private static String[] credentials(URI uri) {
    String raw = uri.getRawUserInfo();
    if (raw == null || raw.isEmpty()) {
      return new String[2];
    }
    int colon = raw.indexOf(':');
    try {
      String user = decode(colon < 0 ? raw : raw.substring(0, colon));
      String password = colon < 0 ? null : decode(raw.substring(colon + 1));
      return new String[] {user.isEmpty() ? null : user, password};
    } catch (IllegalArgumentException e) {
      throw new ConfigException(KEY, "has a badly percent-encoded user name or password: " + ENCODING_HINT);
    }
  }

  private static Map<String, String> params(URI uri) {
    Map<String, String> params = new LinkedHashMap<>();
    if (uri.getRawQuery() == null || uri.getRawQuery().isEmpty()) {
      return params;
    }
    for (String pair : uri.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      if (!name.equals("sslmode") && !name.equals("sslrootcert")) {
        throw new ConfigException(KEY, "supports the query parameters sslmode and sslrootcert, not '"
            + Text.printable(name) + "'");
      }
      params.put(name, eq < 0 ? "" : decode(pair.substring(eq + 1)));
    }
    return params;
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "DatabaseConfig[host=" + host + ", port=" + port + ", database=" + database + ", user=" + user
        + ", password=" + (password == null ? null : "****") + ", sslMode=" + sslMode + ", dataDir=" + dataDir
        + ", poolSize=" + poolSize + ", timeout=" + timeout + "]";
  }
}
