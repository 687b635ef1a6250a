package io.pulse.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.api.auth.Hawk.HawkException;

import org.junit.jupiter.api.Test;

/** The size limits of Hawk headers, and the messages that name them. */
class HawkLimitsTest {

  private static final String ID = "tester";
  private static final String MAC = "ccjuDunEPSA2hNu01a4Ad/+EC5WAWZseHu44ok10gnc=";

  @Test
  void idLongerThan256CharactersIsRefusedNamingIdAndTheLimit() {
    String message = refusal(header("x".repeat(300), "n", MAC, ""));
    assertEquals("Hawk attribute 'id' is longer than 256 characters", message);
  }

  @Test
  void everyBoundedAttributeIsAcceptedAtItsLimitAndRefusedJustAbove() {
    Hawk.Header atLimits = Hawk.parse(header("i".repeat(256), "n".repeat(256), "m".repeat(128),
        ", hash=\"" + "h".repeat(128) + "\", app=\"" + "a".repeat(256) + "\", dlg=\"" + "d".repeat(256) + "\""));
    assertEquals(256, atLimits.id().length());
    assertEquals(256, atLimits.nonce().length());
    assertEquals(128, atLimits.mac().length());
    assertEquals(128, atLimits.hash().length());
    assertEquals(256, atLimits.app().length());
    assertEquals(256, atLimits.dlg().length());

    assertEquals("Hawk attribute 'nonce' is longer than 256 characters",
        refusal(header(ID, "n".repeat(257), MAC, "")));
    assertEquals("Hawk attribute 'mac' is longer than 128 characters",
        refusal(header(ID, "n", "m".repeat(129), "")));
    assertEquals("Hawk attribute 'hash' is longer than 128 characters",
        refusal(header(ID, "n", MAC, ", hash=\"" + "h".repeat(129) + "\"")));
    assertEquals("Hawk attribute 'app' is longer than 256 characters",
        refusal(header(ID, "n", MAC, ", app=\"" + "a".repeat(257) + "\"")));
    assertEquals("Hawk attribute 'dlg' is longer than 256 characters",
        refusal(header(ID, "n", MAC, ", dlg=\"" + "d".repeat(257) + "\"")));
  }

  @Test
  void extMayFillTheWholeHeader() {
    String prefix = header(ID, "n", MAC, ", ext=\"");
    int room = Hawk.MAX_ATTRIBUTES_LENGTH - (prefix.length() - "Hawk".length()) - 1;
    String ext = "e".repeat(room);
    assertEquals(ext, Hawk.parse(prefix + ext + "\"").ext());
    assertEquals("Hawk header is too long: at most 32768 characters may follow the scheme",
        refusal(prefix + ext + "e\""));
  }

  @Test
  void tsMustBeOneToFifteenDigits() {
    assertEquals(999_999_999_999_999L,
        Hawk.parse("Hawk id=\"a\", ts=\"999999999999999\", nonce=\"n\", mac=\"m\"").ts());
    for (String ts : new String[] {"1000000000000000", "12a", "-1", "+1", " 1", "1e3"}) {
      assertEquals("Hawk 'ts' must be a number of seconds since 1970",
          refusal("Hawk id=\"a\", ts=\"" + ts + "\", nonce=\"n\", mac=\"m\""), ts);
    }
    // digits of other scripts are not ASCII, which no attribute value may hold
    assertEquals("Bad character in Hawk attribute 'ts'",
        refusal("Hawk id=\"a\", ts=\"\u0661\", nonce=\"n\", mac=\"m\""));
  }

  @Test
  void longUnknownNamesAreShortenedInTheMessage() {
    String message = refusal("Hawk " + "q".repeat(5000) + "=\"v\", id=\"a\"");
    assertEquals("Unknown Hawk attribute '" + "q".repeat(40) + "...'", message);
  }

  @Test
  void todaysMessagesAreKept() {
    assertEquals("Authorization header does not use the Hawk scheme", refusal("Bearer abc"));
    assertEquals("Authorization header does not use the Hawk scheme", refusal("Hawk"));
    assertEquals("Authorization header does not use the Hawk scheme", refusal("Hawkid=\"a\""));
    String syntax = "Bad Hawk header syntax: expected name=\"value\" pairs separated by commas";
    assertEquals(syntax, refusal("Hawk id=a"));
    assertEquals(syntax, refusal("Hawk id=\"a\" ts=\"1\""));
    assertEquals(syntax, refusal("Hawk id=\"a\\\"\""));
    assertEquals(syntax, refusal("Hawk id = \"a\""));
    assertEquals(syntax, refusal("Hawk id=\"a\",, ts=\"1\""));
    assertEquals(syntax, refusal("Hawk id=\"unterminated"));
    assertEquals("Unknown Hawk attribute 'color'", refusal("Hawk color=\"red\""));
    assertEquals("Bad character in Hawk attribute 'nonce'", refusal(header(ID, "caf\u00e9", MAC, "")));
    assertEquals("Bad character in Hawk attribute 'id'", refusal(header("a\tb", "n", MAC, "")));
    assertEquals("Hawk attribute 'id' is given twice", refusal(header(ID, "n", MAC, ", id=\"again\"")));
    assertEquals("Hawk header lacks the 'nonce' attribute", refusal(header(ID, "", MAC, "")));
    assertEquals("Hawk header lacks the 'mac' attribute", refusal("Hawk id=\"a\", ts=\"1\", nonce=\"n\""));
  }

  @Test
  void schemeIsCaseInsensitiveAndMayBeFollowedByAnyWhitespace() {
    for (String scheme : new String[] {"Hawk ", "hawk ", "HAWK  ", "hAwK\t", "Hawk\r\n "}) {
      assertEquals(ID, Hawk.parse(" " + header(ID, "n", MAC, "").replace("Hawk ", scheme) + ",  ").id(), scheme);
      assertTrue(Hawk.isHawk(scheme + "id=\"a\""), scheme);
    }
  }

  @Test
  void decodeBase64AcceptsBothAlphabetsWithOrWithoutPaddingAndRefusesTheRest() {
    byte[] bytes = {(byte) 0xfb, (byte) 0xff, (byte) 0xbf, 0x41};
    for (String text : new String[] {"+/+/QQ==", "-_-_QQ==", "-_+/QQ", " +/-_QQ=  ", "+/+/QQ======"}) {
      assertEquals(java.util.Arrays.toString(bytes), java.util.Arrays.toString(Hawk.decodeBase64(text)), text);
    }
    for (String text : new String[] {"QQ=A", "Q", "Q Q", "QQ\u00e9", "QQ==\u0085", "*"}) {
      assertEquals("Hawk 'ext' is not base64", assertThrows(HawkException.class, () -> Hawk.decodeBase64(text))
          .getMessage(), text);
    }
  }

  private static String header(String id, String nonce, String mac, String more) {
    return "Hawk id=\"" + id + "\", ts=\"1500000000\", nonce=\"" + nonce + "\", mac=\"" + mac + "\"" + more;
  }

  private static String refusal(String authorization) {
    return assertThrows(HawkException.class, () -> Hawk.parse(authorization)).getMessage();
  }
}
