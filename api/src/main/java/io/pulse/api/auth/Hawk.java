package io.pulse.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The parts of the Hawk protocol (version 1, HMAC-SHA256) that Taskcluster uses: the {@code Authorization} header,
 * the normalized string a MAC covers, the payload hash, and the lenient base64 of {@code ext}.
 */
public final class Hawk {

  /** The attributes a Hawk header may carry; {@code app} and {@code dlg} are Oz's, signed like the rest. */
  private static final Set<String> ATTRIBUTES = Set.of("id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg");
  private static final Pattern ATTRIBUTE = Pattern.compile("\\s*(\\w+)=\"([^\"\\\\]*)\"\\s*(?:,|$)");
  /** What the reference Hawk server accepts inside an attribute value. */
  private static final Pattern VALUE = Pattern.compile("[ \\w!#$%&'()*+,\\-./:;<=>?@\\[\\]^`{|}~]*");

  private Hawk() {
  }

  /** A parsed {@code Authorization: Hawk ...} header; {@code hash}, {@code ext}, {@code app}, {@code dlg} may be null. */
  public record Header(String id, long ts, String nonce, String hash, String ext, String mac, String app, String dlg) {
  }

  /** Whether an Authorization header uses the Hawk scheme (case-insensitive). */
  public static boolean isHawk(String authorization) {
    return authorization != null && authorization.strip().regionMatches(true, 0, "hawk ", 0, 5);
  }

  /** Parses a Hawk header, attributes in any order, each at most once; throws {@link HawkException} otherwise. */
  public static Header parse(String authorization) {
    if (!isHawk(authorization)) {
      throw new HawkException("Authorization header does not use the Hawk scheme");
    }
    String rest = authorization.strip().substring(5);
    Map<String, String> attributes = new LinkedHashMap<>();
    Matcher m = ATTRIBUTE.matcher(rest);
    int at = 0;
    while (at < rest.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new HawkException("Bad Hawk header syntax: expected name=\"value\" pairs separated by commas");
      }
      String name = m.group(1);
      String value = m.group(2);
      if (!ATTRIBUTES.contains(name)) {
        throw new HawkException("Unknown Hawk attribute '" + name + "'");
      }
      if (!VALUE.matcher(value).matches()) {
        throw new HawkException("Bad character in Hawk attribute '" + name + "'");
      }
      if (attributes.put(name, value) != null) {
        throw new HawkException("Hawk attribute '" + name + "' is given twice");
      }
      at = m.end();
    }
    for (String required : new String[] {"id", "ts", "nonce", "mac"}) {
      String value = attributes.get(required);
      if (value == null || value.isEmpty()) {
        throw new HawkException("Hawk header lacks the '" + required + "' attribute");
      }
    }
    String ts = attributes.get("ts");
    if (!ts.matches("\\d{1,15}")) {
      throw new HawkException("Hawk 'ts' must be a number of seconds since 1970");
    }
    return new Header(attributes.get("id"), Long.parseLong(ts), attributes.get("nonce"), attributes.get("hash"),
        attributes.get("ext"), attributes.get("mac"), attributes.get("app"), attributes.get("dlg"));
  }

  /** The text a request MAC covers ({@code hawk.1.header}), each line ending in a newline. */
  public static String normalizedString(Header header, String method, String resource, String host, int port) {
    StringBuilder text = new StringBuilder()
        .append("hawk.1.header\n")
        .append(header.ts()).append('\n')
        .append(header.nonce()).append('\n')
        .append(method.toUpperCase(Locale.ROOT)).append('\n')
        .append(resource).append('\n')
        .append(host.toLowerCase(Locale.ROOT)).append('\n')
        .append(port).append('\n')
        .append(header.hash() == null ? "" : header.hash()).append('\n')
        .append(header.ext() == null ? "" : header.ext().replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
    if (header.app() != null) {
      text.append(header.app()).append('\n').append(header.dlg() == null ? "" : header.dlg()).append('\n');
    }
    return text.toString();
  }

  /** Base64 of HMAC-SHA256 over the normalized string, keyed with the access token. */
  public static String mac(String key, Header header, String method, String resource, String host, int port) {
    return Base64.getEncoder().encodeToString(hmac(key, normalizedString(header, method, resource, host, port)));
  }

  /** Base64 of SHA-256 over {@code hawk.1.payload}, the bare content type (lower case) and the raw body. */
  public static String payloadHash(String contentType, byte[] body) {
    String type = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(("hawk.1.payload\n" + type + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(body);
      sha.update((byte) '\n');
      return Base64.getEncoder().encodeToString(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] hmac(String key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Compares two strings in time independent of where they differ. */
  public static boolean sameText(String a, String b) {
    return a != null && b != null
        && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** Decodes base64 in either alphabet, with or without padding; throws {@link HawkException} when it is not. */
  public static byte[] decodeBase64(String text) {
    String urlSafe = text.strip().replace('+', '-').replace('/', '_').replaceAll("=+$", "");
    try {
      return Base64.getUrlDecoder().decode(urlSafe);
    } catch (IllegalArgumentException e) {
      throw new HawkException("Hawk 'ext' is not base64");
    }
  }

  /** A request that fails Hawk authentication: the message says why, for the 401 answer. */
  public static final class HawkException extends RuntimeException {

    public HawkException(String message) {
      super(message, null, false, false);
    }
  }
}
