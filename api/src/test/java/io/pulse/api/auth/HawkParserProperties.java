package io.pulse.api.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pulse.api.auth.Hawk.HawkException;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Properties of {@link Hawk#parse} and {@link Hawk#decodeBase64} on generated input: arbitrary and hostile strings
 * up to 40 KiB, valid headers in any order and spacing, and valid headers with a few characters changed.
 */
class HawkParserProperties {

  /**
   * Characters examined per input character, at most. The scanner looks at each character once, and at the one
   * that ends a run (a name, the spaces before a comma) a second time; the whitespace trims add one look at the
   * ends, and the ts check at most 15. A backtracking parser needs n per character on the inputs below.
   */
  private static final int STEPS_PER_CHAR = 3;
  private static final int LONG = 40 * 1024;
  /** What an attribute value may hold: printable ASCII but {@code "} and {@code \}. */
  private static final String VALUE_CHARS;

  static {
    StringBuilder chars = new StringBuilder();
    for (char c = ' '; c <= '~'; c++) {
      if (c != '"' && c != '\\') {
        chars.append(c);
      }
    }
    VALUE_CHARS = chars.toString();
  }

  // --- nothing but HawkException, and linear work, on anything -------------------------------------------------

  @Test
  void parseRefusesAnyInputWithHawkExceptionOnly() {
    ForAll.checkStrings(3 * ForAll.TRIES, HawkParserProperties::anyInput, input -> {
      try {
        Hawk.parse(input);
      } catch (HawkException refused) {
        // the only way to refuse
      }
    });
  }

  @Test
  void decodeBase64RefusesAnyInputWithHawkExceptionOnly() {
    ForAll.checkStrings(ForAll.TRIES, HawkParserProperties::anyBase64Input, input -> {
      try {
        Hawk.decodeBase64(input);
      } catch (HawkException refused) {
        // the only way to refuse
      }
    });
  }

  @Test
  void parseExaminesEachCharacterAtMostThreeTimes() {
    ForAll.checkStrings(3 * ForAll.TRIES, HawkParserProperties::anyInput, input -> {
      Hawk.Work work = new Hawk.Work();
      try {
        Hawk.parse(input, work);
      } catch (HawkException refused) {
        // refusals must be just as cheap
      }
      assertLinear(work, input);
    });
  }

  @Test
  void decodeBase64ExaminesEachCharacterAtMostThreeTimes() {
    ForAll.checkStrings(ForAll.TRIES, HawkParserProperties::anyBase64Input, input -> {
      Hawk.Work work = new Hawk.Work();
      try {
        Hawk.decodeBase64(input, work);
      } catch (HawkException refused) {
        // refusals must be just as cheap
      }
      assertLinear(work, input);
    });
  }

  @Test
  void whatParsesIsHawkAndWhatIsNotHawkIsRefusedForItsScheme() {
    ForAll.checkStrings(ForAll.TRIES, HawkParserProperties::anyInput, input -> {
      boolean hawk = Hawk.isHawk(input);
      try {
        Hawk.parse(input);
        assertTrue(hawk, "parsed but isHawk is false");
      } catch (HawkException refused) {
        assertEquals(!hawk, refused.getMessage().equals("Authorization header does not use the Hawk scheme"),
            refused.getMessage());
      }
    });
  }

  // --- valid headers ---------------------------------------------------------------------------------------------

  @Test
  void validHeadersGiveBackTheirValuesInAnyOrderAndSpacing() {
    ForAll.check(ForAll.TRIES, HawkParserProperties::validHeader,
        valid -> assertEquals(valid.expected(), Hawk.parse(valid.text())));
  }

  @Test
  void anAttributeOverItsLimitIsRefusedNamingItAndTheLimit() {
    Map<String, Integer> limits = Map.of("id", 256, "nonce", 256, "app", 256, "dlg", 256, "mac", 128, "hash", 128);
    List<String> names = new ArrayList<>(limits.keySet());
    Collections.sort(names);
    ForAll.check(ForAll.TRIES, random -> {
      String name = names.get(random.nextInt(names.size()));
      int length = limits.get(name) + (random.nextBoolean() ? 0 : 1 + random.nextInt(2000));
      ValidHeader valid = validHeader(random);
      // room for the long value within the header's own limit
      valid.attributes().remove("ext");
      valid.attributes().put(name, valueChars(random, length));
      return new ValidHeader(render(random, valid.attributes()), null, valid.attributes());
    }, over -> {
      for (String name : names) {
        String value = over.attributes().get(name);
        if (value != null && value.length() > limits.get(name)) {
          HawkException refused = assertThrows(HawkException.class, () -> Hawk.parse(over.text()));
          assertEquals("Hawk attribute '" + name + "' is longer than " + limits.get(name) + " characters",
              refused.getMessage());
          return;
        }
      }
      Hawk.parse(over.text());
    });
  }

  /** Short inputs, so that the regex parser this one replaced answers quickly: the same header or message. */
  @Test
  void shortInputsGetTheAnswerOfTheRegexParser() {
    ForAll.checkStrings(5 * ForAll.TRIES, random -> {
      String input = random.nextBoolean() ? tokens(random) : mutated(random, shortValidHeader(random));
      return input.length() <= 120 ? input : input.substring(0, 120);
    }, input -> assertEquals(RegexParser.outcome(input), outcome(input)));
  }

  // --- base64 ----------------------------------------------------------------------------------------------------

  @Test
  void base64DecodesInEitherAlphabetWithOrWithoutPaddingAndAroundSpaces() {
    ForAll.check(ForAll.TRIES, random -> {
      byte[] bytes = new byte[random.nextInt(random.nextBoolean() ? 8 : 3000)];
      random.nextBytes(bytes);
      String encoded = (random.nextBoolean() ? Base64.getEncoder() : Base64.getUrlEncoder()).encodeToString(bytes);
      if (random.nextBoolean()) {
        encoded = encoded.replace("=", "");
      }
      String text = " \t".substring(random.nextInt(3)) + encoded + "=".repeat(random.nextInt(3))
          + "\n \u2003".substring(random.nextInt(4));
      return new Encoded(bytes, text);
    }, encoded -> assertArrayEquals(encoded.bytes(), Hawk.decodeBase64(encoded.text())));
  }

  private record Encoded(byte[] bytes, String text) {

    @Override
    public String toString() {
      return text;
    }
  }

  // --- generators --------------------------------------------------------------------------------------------------

  /** Anything at all, hostile shapes and nearly valid headers included. */
  private static String anyInput(Random random) {
    switch (random.nextInt(5)) {
      case 0:
        return arbitrary(random);
      case 1:
        return "Hawk " + arbitrary(random);
      case 2:
        return hostile(random);
      case 3:
        return mutated(random, validHeader(random).text());
      default:
        return tokens(random);
    }
  }

  private static String anyBase64Input(Random random) {
    switch (random.nextInt(4)) {
      case 0:
        return arbitrary(random);
      case 1:
        return hostile(random);
      case 2:
        return "QUJD" + "=".repeat(random.nextInt(LONG)) + (random.nextBoolean() ? "A" : "");
      default:
        byte[] bytes = new byte[random.nextInt(4096)];
        random.nextBytes(bytes);
        return mutated(random, Base64.getEncoder().encodeToString(bytes));
    }
  }

  private static String arbitrary(Random random) {
    int length = length(random);
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append(anyChar(random));
    }
    return text.toString();
  }

  /** Mostly short, sometimes as long as the HTTP server allows, now and then longer. */
  private static int length(Random random) {
    int dice = random.nextInt(20);
    return dice < 12 ? random.nextInt(40) : dice < 17 ? random.nextInt(1000) : dice < 19 ? random.nextInt(8192)
        : 32 * 1024 + random.nextInt(8 * 1024);
  }

  private static char anyChar(Random random) {
    switch (random.nextInt(8)) {
      case 0:
        return (char) (' ' + random.nextInt(95));
      case 1:
        return pick(random, "\"\\=, \t\r\n");
      case 2:
        return (char) random.nextInt(0x20);
      case 3:
        return pick(random, "\u00a0\u0085\u1680\u2003\u2028\u3000\u001c\u000b\u000c\u212a");
      case 4:
        // any UTF-16 unit, lone surrogates included
        return (char) random.nextInt(0x10000);
      case 5:
        return pick(random, "hawkHAWKidtsnoncemachashextappdlg");
      default:
        return pick(random, "+/-_=AQZaz09");
    }
  }

  /** The shapes that made the regexes backtrack: long runs of one fragment, unterminated, up to 40 KiB. */
  private static String hostile(Random random) {
    String[] prefixes = {"", "Hawk ", "hawk\t", "Hawk id=\"", "Hawk ext=\"", "Hawk id=\"a\", ext=\"e30", " Hawk  "};
    String[] fragments = {"a=\"", "=", ",", " ", "\"\"", "a", "id=\"x\", ", "\\\"", "\"a\"", "a=", "=\" ", ",,",
        "\u0000", "\u2003", "\u00e9", "\ud83d\ude00", "\ud800", "\t,", "x\"", "a=\"b\" ", "=\"=\""};
    String[] suffixes = {"", "\"", "x", "\"\"", ",", "=", "\\", "\u0000", "a=\"b\""};
    String fragment = fragments[random.nextInt(fragments.length)];
    int length = random.nextBoolean() ? random.nextInt(2000) : 1000 + random.nextInt(LONG - 1000);
    return prefixes[random.nextInt(prefixes.length)] + fragment.repeat(length / fragment.length() + 1)
        + suffixes[random.nextInt(suffixes.length)];
  }

  /** Header-like pieces in random order: reaches the parser's refusals more often than random characters. */
  private static String tokens(Random random) {
    String[] pieces = {"Hawk ", "hawk", " ", "\t", "id", "ts", "nonce", "mac", "hash", "ext", "app", "dlg",
        "color", "=", "\"", ",", "\\", "1", "123", "a", "\u00e9", "\"\"", "=\"", "\", ", "id=\"a\"", "ts=\"1\"",
        "nonce=\"n\"", "mac=\"m\"", "\n", "\u2003", "x_9"};
    StringBuilder text = new StringBuilder(random.nextInt(4) == 0 ? "" : "Hawk ");
    for (int i = random.nextInt(40); i > 0; i--) {
      text.append(pieces[random.nextInt(pieces.length)]);
    }
    return text.toString();
  }

  /** A few characters inserted, deleted, replaced or repeated. */
  private static String mutated(Random random, String text) {
    StringBuilder mutant = new StringBuilder(text);
    for (int edits = 1 + random.nextInt(4); edits > 0; edits--) {
      int at = random.nextInt(mutant.length() + 1);
      switch (random.nextInt(4)) {
        case 0:
          mutant.insert(at, anyChar(random));
          break;
        case 1:
          if (at < mutant.length()) {
            mutant.deleteCharAt(at);
          }
          break;
        case 2:
          if (at < mutant.length()) {
            mutant.setCharAt(at, anyChar(random));
          }
          break;
        default:
          int end = Math.min(mutant.length(), at + random.nextInt(20));
          mutant.insert(at, mutant.substring(at, end));
      }
    }
    return mutant.toString();
  }

  /** A header, the values it was made of, and what parsing it must give (null when it must be refused). */
  private record ValidHeader(String text, Hawk.Header expected, Map<String, String> attributes) {
  }

  private static ValidHeader validHeader(Random random) {
    return validHeader(random, false);
  }

  private static String shortValidHeader(Random random) {
    return validHeader(random, true).text();
  }

  private static ValidHeader validHeader(Random random, boolean small) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("id", valueChars(random, 1 + random.nextInt(small ? 4 : 256)));
    attributes.put("ts", digits(random, 1 + random.nextInt(15)));
    attributes.put("nonce", valueChars(random, 1 + random.nextInt(small ? 4 : 256)));
    attributes.put("mac", valueChars(random, 1 + random.nextInt(small ? 4 : 128)));
    if (random.nextBoolean()) {
      attributes.put("hash", valueChars(random, random.nextInt(small ? 4 : 129)));
    }
    if (random.nextBoolean()) {
      int length = small ? random.nextInt(8) : random.nextInt(5) == 0 ? random.nextInt(30_000) : random.nextInt(400);
      attributes.put("ext", valueChars(random, length));
    }
    if (random.nextInt(4) == 0) {
      attributes.put("app", valueChars(random, random.nextInt(small ? 4 : 257)));
      if (random.nextBoolean()) {
        attributes.put("dlg", valueChars(random, random.nextInt(small ? 4 : 257)));
      }
    }
    Hawk.Header expected = new Hawk.Header(attributes.get("id"), Long.parseLong(attributes.get("ts")),
        attributes.get("nonce"), attributes.get("hash"), attributes.get("ext"), attributes.get("mac"),
        attributes.get("app"), attributes.get("dlg"));
    return new ValidHeader(render(random, attributes), expected, attributes);
  }

  /** The attributes in random order, the scheme in random case, whitespace wherever it is allowed. */
  private static String render(Random random, Map<String, String> attributes) {
    List<String> names = new ArrayList<>(attributes.keySet());
    Collections.shuffle(names, random);
    StringBuilder text = new StringBuilder(outerSpace(random));
    for (char c : "hawk".toCharArray()) {
      text.append(random.nextBoolean() ? c : Character.toUpperCase(c));
    }
    text.append(pick(random, " \t\n")).append(innerSpace(random));
    for (int i = 0; i < names.size(); i++) {
      if (i > 0) {
        text.append(innerSpace(random)).append(',').append(innerSpace(random));
      }
      text.append(names.get(i)).append("=\"").append(attributes.get(names.get(i))).append('"');
    }
    if (random.nextInt(4) == 0) {
      text.append(innerSpace(random)).append(',');
    }
    return text.append(outerSpace(random)).toString();
  }

  /** What {@code \s} matches, as allowed between attributes. */
  private static String innerSpace(Random random) {
    return random.nextInt(3) > 0 ? "" : " \t \n\u000b\f\r".substring(random.nextInt(7));
  }

  /** Around the whole header, where any whitespace is trimmed. */
  private static String outerSpace(Random random) {
    return random.nextInt(3) > 0 ? "" : " \u2003\t\u3000\n".substring(random.nextInt(5));
  }

  private static String valueChars(Random random, int length) {
    StringBuilder value = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      value.append(pick(random, VALUE_CHARS));
    }
    return value.toString();
  }

  private static String digits(Random random, int length) {
    StringBuilder digits = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      digits.append((char) ('0' + random.nextInt(10)));
    }
    return digits.toString();
  }

  private static char pick(Random random, String chars) {
    return chars.charAt(random.nextInt(chars.length()));
  }

  // --- helpers -----------------------------------------------------------------------------------------------------

  private static void assertLinear(Hawk.Work work, String input) {
    long bound = (long) STEPS_PER_CHAR * (input.length() + 1);
    if (work.steps() > bound) {
      fail(work.steps() + " characters examined for an input of " + input.length() + " (at most " + bound + ")");
    }
  }

  private static String outcome(String input) {
    try {
      return Hawk.parse(input).toString();
    } catch (HawkException refused) {
      return "refused: " + refused.getMessage();
    }
  }

  /**
   * The regex parser that {@link Hawk#parse} replaced, as the definition of the accepted language and messages, with
   * the scheme rule of the new one (ASCII {@code hawk} and any {@code \s}, not only a space). Without the size
   * limits, so only for inputs below them; and only for short ones, as it backtracks.
   */
  private static final class RegexParser {

    private static final Pattern SCHEME = Pattern.compile("[hH][aA][wW][kK]\\s");
    private static final Pattern ATTRIBUTE = Pattern.compile("\\s*(\\w+)=\"([^\"\\\\]*)\"\\s*(?:,|$)");
    private static final Pattern VALUE = Pattern.compile("[ \\w!#$%&'()*+,\\-./:;<=>?@\\[\\]^`{|}~]*");
    private static final List<String> NAMES = List.of("id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg");

    static String outcome(String authorization) {
      String stripped = authorization.strip();
      if (!SCHEME.matcher(stripped).lookingAt()) {
        return "refused: Authorization header does not use the Hawk scheme";
      }
      String rest = stripped.substring(4);
      Map<String, String> attributes = new LinkedHashMap<>();
      Matcher m = ATTRIBUTE.matcher(rest);
      int at = 0;
      while (at < rest.length()) {
        if (!m.find(at) || m.start() != at) {
          return "refused: Bad Hawk header syntax: expected name=\"value\" pairs separated by commas";
        }
        String name = m.group(1);
        if (!NAMES.contains(name)) {
          return "refused: Unknown Hawk attribute '" + name + "'";
        }
        if (!VALUE.matcher(m.group(2)).matches()) {
          return "refused: Bad character in Hawk attribute '" + name + "'";
        }
        if (attributes.put(name, m.group(2)) != null) {
          return "refused: Hawk attribute '" + name + "' is given twice";
        }
        at = m.end();
      }
      for (String required : new String[] {"id", "ts", "nonce", "mac"}) {
        if (attributes.get(required) == null || attributes.get(required).isEmpty()) {
          return "refused: Hawk header lacks the '" + required + "' attribute";
        }
      }
      if (!attributes.get("ts").matches("\\d{1,15}")) {
        return "refused: Hawk 'ts' must be a number of seconds since 1970";
      }
      return new Hawk.Header(attributes.get("id"), Long.parseLong(attributes.get("ts")), attributes.get("nonce"),
          attributes.get("hash"), attributes.get("ext"), attributes.get("mac"), attributes.get("app"),
          attributes.get("dlg")).toString();
    }
  }
}
