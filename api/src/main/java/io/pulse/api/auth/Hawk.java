package io.pulse.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The parts of the Hawk protocol (version 1, HMAC-SHA256) that Taskcluster uses: the {@code Authorization} header,
 * the normalized string a MAC covers, the payload hash, and the lenient base64 of {@code ext}.
 *
 * <p>Headers are parsed before anything is authenticated, so {@link #parse} and {@link #decodeBase64} are single
 * left-to-right scans without regular expressions: each character is looked at a small, fixed number of times,
 * whatever the input. A header is refused, with a message naming the limit, when (in characters):
 * <ul>
 *   <li>what follows the scheme is longer than {@value #MAX_ATTRIBUTES_LENGTH} (32 KiB, the HTTP server's limit
 *       for all headers together);</li>
 *   <li>{@code id}, {@code nonce}, {@code app} or {@code dlg} is longer than {@value #MAX_NAME_LENGTH}: clientIds
 *       are short paths such as {@code project/ci/worker-42}, and nonces short random strings;</li>
 *   <li>{@code mac} or {@code hash} is longer than {@value #MAX_DIGEST_LENGTH}: both are base64 of 32 bytes,
 *       44 characters;</li>
 *   <li>{@code ts} has more than 15 digits.</li>
 * </ul>
 * {@code ext} has no limit of its own beyond the header's: a certificate listing many scopes makes it long.
 */
public final class Hawk {

  static final int MAX_ATTRIBUTES_LENGTH = 32 * 1024;
  static final int MAX_NAME_LENGTH = 256;
  static final int MAX_DIGEST_LENGTH = 128;
  private static final int MAX_TS_DIGITS = 15;
  /** How much of an unknown attribute name an error message repeats. */
  private static final int QUOTED_NAME_LENGTH = 40;

  private static final String SYNTAX =
      "Bad Hawk header syntax: expected name=\"value\" pairs separated by commas";
  private static final String NOT_BASE64 = "Hawk 'ext' is not base64";

  private Hawk() {
  }

  /** A parsed {@code Authorization: Hawk ...} header; {@code hash}, {@code ext}, {@code app}, {@code dlg} may be null. */
  public record Header(String id, long ts, String nonce, String hash, String ext, String mac, String app, String dlg) {
  }

  /** The attributes a Hawk header may carry; {@code app} and {@code dlg} are Oz's, signed like the rest. */
  private enum Attribute {
    ID("id", MAX_NAME_LENGTH),
    // a ts that is too long fails the number check, whose message says what a ts is
    TS("ts", MAX_ATTRIBUTES_LENGTH),
    NONCE("nonce", MAX_NAME_LENGTH),
    HASH("hash", MAX_DIGEST_LENGTH),
    EXT("ext", MAX_ATTRIBUTES_LENGTH),
    MAC("mac", MAX_DIGEST_LENGTH),
    APP("app", MAX_NAME_LENGTH),
    DLG("dlg", MAX_NAME_LENGTH);

    private static final Attribute[] ALL = values();

    final String text;
    final int maxLength;

    Attribute(String text, int maxLength) {
      this.text = text;
      this.maxLength = maxLength;
    }

    /** The attribute spelled by {@code header[from, to)}, exactly and case-sensitively; null for any other name. */
    static Attribute named(String header, int from, int to) {
      for (Attribute attribute : ALL) {
        if (attribute.text.length() == to - from && header.startsWith(attribute.text, from)) {
          return attribute;
        }
      }
      return null;
    }
  }

  /**
   * Counts the characters a scan examines. Production code throws the count away; tests bound it by the input's
   * length to prove that no input makes parsing superlinear, without timing anything.
   */
  static final class Work {

    private long steps;

    char at(String text, int index) {
      steps++;
      return text.charAt(index);
    }

    long steps() {
      return steps;
    }
  }

  /** Whether an Authorization header uses the Hawk scheme (case-insensitive). */
  public static boolean isHawk(String authorization) {
    if (authorization == null) {
      return false;
    }
    Work uncounted = new Work();
    return schemeEnd(authorization, trimmedEnd(authorization, uncounted), uncounted) >= 0;
  }

  /** Parses a Hawk header, attributes in any order, each at most once; throws {@link HawkException} otherwise. */
  public static Header parse(String authorization) {
    return parse(authorization, new Work());
  }

  static Header parse(String authorization, Work work) {
    if (authorization == null) {
      throw new HawkException("Authorization header does not use the Hawk scheme");
    }
    int end = trimmedEnd(authorization, work);
    int at = schemeEnd(authorization, end, work);
    if (at < 0) {
      throw new HawkException("Authorization header does not use the Hawk scheme");
    }
    if (end - at > MAX_ATTRIBUTES_LENGTH) {
      throw new HawkException("Hawk header is too long: at most " + MAX_ATTRIBUTES_LENGTH
          + " characters may follow the scheme");
    }
    String[] values = new String[Attribute.ALL.length];
    while (at < end) {
      at = skipSpaces(authorization, at, end, work);
      int nameStart = at;
      while (at < end && isWordChar(work.at(authorization, at))) {
        at++;
      }
      int nameEnd = at;
      if (nameEnd == nameStart || !expect(authorization, at++, end, '=', work)
          || !expect(authorization, at++, end, '"', work)) {
        throw new HawkException(SYNTAX);
      }
      int valueStart = at;
      int firstBadChar = -1;
      char c = 0;
      while (at < end && (c = work.at(authorization, at)) != '"' && c != '\\') {
        if (firstBadChar < 0 && !isValueChar(c)) {
          firstBadChar = at;
        }
        at++;
      }
      if (at == end || c == '\\') {
        throw new HawkException(SYNTAX);
      }
      int valueEnd = at++;
      at = skipSpaces(authorization, at, end, work);
      if (at < end && !expect(authorization, at++, end, ',', work)) {
        throw new HawkException(SYNTAX);
      }
      Attribute attribute = Attribute.named(authorization, nameStart, nameEnd);
      if (attribute == null) {
        throw new HawkException("Unknown Hawk attribute '" + quotedName(authorization, nameStart, nameEnd) + "'");
      }
      if (valueEnd - valueStart > attribute.maxLength) {
        throw new HawkException("Hawk attribute '" + attribute.text + "' is longer than " + attribute.maxLength
            + " characters");
      }
      if (firstBadChar >= 0) {
        throw new HawkException("Bad character in Hawk attribute '" + attribute.text + "'");
      }
      if (values[attribute.ordinal()] != null) {
        throw new HawkException("Hawk attribute '" + attribute.text + "' is given twice");
      }
      values[attribute.ordinal()] = authorization.substring(valueStart, valueEnd);
    }
    for (Attribute required : new Attribute[] {Attribute.ID, Attribute.TS, Attribute.NONCE, Attribute.MAC}) {
      String value = values[required.ordinal()];
      if (value == null || value.isEmpty()) {
        throw new HawkException("Hawk header lacks the '" + required.text + "' attribute");
      }
    }
    String ts = values[Attribute.TS.ordinal()];
    if (ts.length() > MAX_TS_DIGITS || !allDigits(ts, work)) {
      throw new HawkException("Hawk 'ts' must be a number of seconds since 1970");
    }
    return new Header(values[Attribute.ID.ordinal()], Long.parseLong(ts), values[Attribute.NONCE.ordinal()],
        values[Attribute.HASH.ordinal()], values[Attribute.EXT.ordinal()], values[Attribute.MAC.ordinal()],
        values[Attribute.APP.ordinal()], values[Attribute.DLG.ordinal()]);
  }

  /** Where {@code text} ends once trailing whitespace (as {@link String#strip} sees it) is left off. */
  private static int trimmedEnd(String text, Work work) {
    int end = text.length();
    while (end > 0 && Character.isWhitespace(work.at(text, end - 1))) {
      end--;
    }
    return end;
  }

  /**
   * Where the attributes begin: just after a leading {@code hawk} (any case) that whitespace follows within
   * {@code text[0, end)}; -1 when the header has another scheme or nothing after this one.
   */
  private static int schemeEnd(String text, int end, Work work) {
    int start = 0;
    while (start < end && Character.isWhitespace(work.at(text, start))) {
      start++;
    }
    String scheme = "hawk";
    if (end - start <= scheme.length()) {
      return -1;
    }
    for (int i = 0; i < scheme.length(); i++) {
      // ASCII case folding only: the scheme is an ASCII token, and Unicode folding would accept a Kelvin sign for k
      if ((work.at(text, start + i) | 0x20) != scheme.charAt(i)) {
        return -1;
      }
    }
    int at = start + scheme.length();
    return isSpace(work.at(text, at)) ? at : -1;
  }

  private static int skipSpaces(String text, int at, int end, Work work) {
    while (at < end && isSpace(work.at(text, at))) {
      at++;
    }
    return at;
  }

  private static boolean expect(String text, int at, int end, char expected, Work work) {
    return at < end && work.at(text, at) == expected;
  }

  /** The whitespace allowed around attributes: what {@code \s} matches. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  /** What {@code \w} matches: attribute names are made of these. */
  private static boolean isWordChar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
  }

  /**
   * What the reference Hawk server accepts inside an attribute value: space, letters, digits and every ASCII
   * punctuation mark but {@code "} and {@code \}. It has no escapes, so {@code "} ends a value and {@code \} is a
   * syntax error.
   */
  private static boolean isValueChar(char c) {
    return c >= ' ' && c <= '~' && c != '"' && c != '\\';
  }

  private static boolean allDigits(String text, Work work) {
    for (int i = 0; i < text.length(); i++) {
      char c = work.at(text, i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** An unknown name as an error message repeats it: shortened, so a long one cannot fill the response. */
  private static String quotedName(String header, int from, int to) {
    return to - from <= QUOTED_NAME_LENGTH ? header.substring(from, to)
        : header.substring(from, from + QUOTED_NAME_LENGTH) + "...";
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
    return decodeBase64(text, new Work());
  }

  static byte[] decodeBase64(String text, Work work) {
    if (text == null) {
      throw new HawkException(NOT_BASE64);
    }
    int start = 0;
    int end = trimmedEnd(text, work);
    while (start < end && Character.isWhitespace(work.at(text, start))) {
      start++;
    }
    while (end > start && work.at(text, end - 1) == '=') {
      end--;
    }
    byte[] urlSafe = new byte[end - start];
    for (int i = start; i < end; i++) {
      char c = work.at(text, i);
      if (c > 0x7F) {
        throw new HawkException(NOT_BASE64);
      }
      urlSafe[i - start] = (byte) (c == '+' ? '-' : c == '/' ? '_' : c);
    }
    try {
      return Base64.getUrlDecoder().decode(urlSafe);
    } catch (IllegalArgumentException e) {
      throw new HawkException(NOT_BASE64);
    }
  }

  /** A request that fails Hawk authentication: the message says why, for the 401 answer. */
  public static final class HawkException extends RuntimeException {

    public HawkException(String message) {
      super(message, null, false, false);
    }
  }
}
