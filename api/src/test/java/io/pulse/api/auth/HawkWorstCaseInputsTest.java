package io.pulse.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.api.auth.Hawk.HawkException;

import org.junit.jupiter.api.Test;

/**
 * The headers that kept the event loop busy for seconds each under the regex parser, which backtracked
 * quadratically on them, sized to the longest header accepted: the scanner examines each character at most a few
 * times. Work is counted, not timed, so the test says the same on any machine.
 */
class HawkWorstCaseInputsTest {

  private static final String SYNTAX = "Bad Hawk header syntax: expected name=\"value\" pairs separated by commas";
  /** The longest header parse reads through: the scheme, then 32 KiB. */
  private static final int LONGEST = "Hawk".length() + Hawk.MAX_ATTRIBUTES_LENGTH;

  @Test
  void wordCharactersWithoutEqualsSign() {
    assertRefusedCheaply(SYNTAX, fill("Hawk ", "a", ""));
  }

  @Test
  void valueWithoutClosingQuote() {
    assertRefusedCheaply(SYNTAX, fill("Hawk id=\"", "x", ""));
  }

  @Test
  void spacesAfterAnAttributeThenNoComma() {
    assertRefusedCheaply(SYNTAX, fill("Hawk id=\"a\"", " ", "x"));
  }

  @Test
  void openingQuotesThatNeverClose() {
    assertRefusedCheaply(SYNTAX, fill("Hawk ", "a=\"", ""));
  }

  @Test
  void extEndingInARunOfEqualsSignsThenAnotherCharacter() {
    String header = fill("Hawk id=\"a\", ts=\"1500000000\", nonce=\"n\", mac=\"m\", ext=\"e30", "=", "A\"");
    Hawk.Work parsing = new Hawk.Work();
    String ext = Hawk.parse(header, parsing).ext();
    assertLinear(parsing, header);
    Hawk.Work decoding = new Hawk.Work();
    HawkException refused = assertThrows(HawkException.class, () -> Hawk.decodeBase64(ext, decoding));
    assertEquals("Hawk 'ext' is not base64", refused.getMessage());
    assertLinear(decoding, ext);
  }

  @Test
  void oneCharacterMoreIsRefusedBeforeScanning() {
    String header = fill("Hawk ", "a", "") + "a";
    Hawk.Work work = new Hawk.Work();
    assertThrows(HawkException.class, () -> Hawk.parse(header, work));
    assertTrue(work.steps() < 10, work.steps() + " characters examined");
  }

  /** {@code prefix}, then {@code run} repeated, then {@code suffix}: {@link #LONGEST} characters in all. */
  private static String fill(String prefix, String run, String suffix) {
    int room = LONGEST - prefix.length() - suffix.length();
    String header = prefix + run.repeat(room / run.length()) + "a".repeat(room % run.length()) + suffix;
    assertEquals(LONGEST, header.length());
    return header;
  }

  private static void assertRefusedCheaply(String message, String header) {
    Hawk.Work work = new Hawk.Work();
    HawkException refused = assertThrows(HawkException.class, () -> Hawk.parse(header, work));
    assertEquals(message, refused.getMessage());
    assertLinear(work, header);
  }

  private static void assertLinear(Hawk.Work work, String input) {
    assertTrue(work.steps() <= 3L * (input.length() + 1),
        work.steps() + " characters examined for " + input.length());
  }
}
