package io.pulse.config;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Typed readers over the merged settings ({@code key -> text}); every failure is a {@link ConfigException} naming the
 * key. A value that may carry a password is never echoed.
 */
final class Values {

  private final Map<String, String> values;

  Values(Map<String, String> values) {
    this.values = values;
  }

  /** The text of a setting, {@code null} when unset. */
  String text(String key) {
    return values.get(key);
  }

  int integer(String key, int min, int max) {
    try {
      int n = Integer.parseInt(text(key));
      if (n < min || n > max) {
        throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be an integer, got '" + text(key) + "'");
    }
  }

  long count(String key, long min, String minReason) {
    try {
      long n = Long.parseLong(text(key));
      if (n < min) {
        throw new ConfigException(key, "must be at least " + min + minReason + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be a whole number, got '" + text(key) + "'");
    }
  }

  boolean bool(String key) {
    String value = text(key).toLowerCase(Locale.ROOT);
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new ConfigException(key, "must be true or false, got '" + text(key) + "'");
  }

  Duration positive(String key) {
    return atLeast(key, Duration.ofMillis(1));
  }

  Duration atLeast(String key, Duration min) {
    Duration d;
    try {
      d = Durations.parse(text(key));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
    if (d.compareTo(min) < 0) {
      throw new ConfigException(key, "must be at least " + Durations.format(min) + ", got " + text(key));
    }
    return d;
  }

  URI uri(String key, String... schemes) {
    String text = text(key);
    // Never echo a value that may carry a password.
    String shown = text.contains("@") ? "(value hidden: it contains '@')" : "'" + text + "'";
    try {
      URI uri = new URI(text);
      if (uri.getRawUserInfo() != null || uri.getRawAuthority() != null && uri.getRawAuthority().contains("@")) {
        throw new ConfigException(key, "must not contain credentials (set them in their own settings)");
      }
      if (uri.getScheme() == null || !Arrays.asList(schemes).contains(uri.getScheme().toLowerCase(Locale.ROOT))
          || uri.getHost() == null) {
        throw new ConfigException(key, "must be a " + String.join(" or ", schemes) + " URL with a host, got " + shown);
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(key, "is not a valid URL, got " + shown);
    }
  }

  /** An http(s) root URL such as https://tc.example.com, without a trailing slash ({@code null}: unset). */
  URI rootUrl(String key) {
    if (text(key) == null) {
      return null;
    }
    URI uri = uri(key, "http", "https");
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ConfigException(key, "must be a root URL without query or fragment, such as https://tc.example.com");
    }
    String path = uri.toString();
    int end = path.length();
    while (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    return URI.create(path.substring(0, end));
  }

  String oneOf(String key, List<String> allowed) {
    String value = text(key);
    if (!allowed.contains(value)) {
      throw new ConfigException(key, "must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
    }
    return value;
  }

  String matching(String key, Pattern pattern, String rule) {
    String value = text(key);
    if (!pattern.matcher(value).matches()) {
      throw new ConfigException(key, "must be " + rule + ", got '" + value + "'");
    }
    return value;
  }

  /** A permission template: a regular expression once {@code {ns}} is replaced. */
  String template(String key) {
    String value = text(key);
    try {
      Pattern.compile(value.replace("{ns}", "x"));
    } catch (RuntimeException e) {
      throw new ConfigException(key, "is not a valid regular expression: " + e.getMessage());
    }
    return value;
  }

  /** A comma-separated list (a YAML list arrives joined by commas), trimmed, empty items dropped. */
  List<String> list(String key) {
    return Arrays.stream(text(key).split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableList());
  }

  /** A PEM public key given inline or as the path of a file holding one ({@code null}: unset). */
  String pemPublicKey(String key) {
    String value = text(key);
    if (value == null) {
      return null;
    }
    String pem = value;
    if (!value.contains("-----BEGIN")) {
      try {
        pem = Files.readString(Path.of(value));
      } catch (IOException | RuntimeException e) {
        throw new ConfigException(key, "must be a PEM public key or the path of a file holding one");
      }
    }
    if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
      throw new ConfigException(key, "must be a PEM 'PUBLIC KEY' block (RSA or EC)");
    }
    return pem;
  }

  /** The vhost named (URL-encoded) by the path of an AMQP URL; {@code /} when the path is empty. */
  static String vhostOf(String key, URI amqp) {
    String path = amqp.getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return "/";
    }
    String raw = path.substring(1);
    String vhost = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    if (vhost.contains("/") && !raw.contains("%2F") && !raw.contains("%2f")) {
      throw new ConfigException(key, "the vhost in the path must be URL-encoded (a '/' is %2F)");
    }
    return vhost;
  }
}
