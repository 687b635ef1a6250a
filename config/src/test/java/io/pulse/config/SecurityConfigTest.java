package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Settings that guard secrets and trust: refused with the key named, never echoing a secret. */
class SecurityConfigTest {

  private static ConfigException rejects(Map<String, String> settings) {
    return assertThrows(ConfigException.class, () -> PulseConfig.fromMap(settings));
  }

  @Test
  void anHs256SecretShorterThan32BytesIsRefusedNamingTheKey() {
    ConfigException e = rejects(Map.of("PULSE_JWT_SECRET", "short-secret"));
    assertEquals("PULSE_JWT_SECRET", e.key());
    assertTrue(e.getMessage().contains("32 bytes"), e.getMessage());
    assertFalse(e.getMessage().contains("short-secret"));
    PulseConfig.fromMap(Map.of("PULSE_JWT_SECRET", "x".repeat(32)));
  }

  @Test
  void aDatabaseUrlWhosePasswordIsNotEncodedIsRefusedWithoutEchoingIt() {
    ConfigException e = rejects(Map.of("PULSE_DB_URL", "postgresql://u:Xq+z/9=leak@host/db"));
    assertEquals("PULSE_DB_URL", e.key());
    assertFalse(e.getMessage().contains("Xq+z") || e.getMessage().contains("leak"), e.getMessage());
    assertTrue(e.getMessage().contains("percent-encoded") && e.getMessage().contains("PULSE_DB_PASSWORD"),
        e.getMessage());
  }

  @Test
  void aDatabaseUrlIsSplitIntoItsPartsWithThePasswordDecoded() {
    DatabaseConfig db = PulseConfig.fromMap(Map.of("PULSE_DB_URL",
        "postgresql://pulse:Xq%2Bz%2F9%3Dkept@db.example.com:6432/pulse?sslmode=require",
        "PULSE_ALLOW_PLAINTEXT_SECRETS", "true")).database();
    assertEquals("db.example.com", db.host());
    assertEquals(6432, db.port());
    assertEquals("pulse", db.database());
    assertEquals("pulse", db.user());
    assertEquals("Xq+z/9=kept", db.password());
    assertEquals("require", db.sslMode());
    assertFalse(db.toString().contains("kept"), db.toString());
    DatabaseConfig separate = PulseConfig.fromMap(Map.of("PULSE_DB_URL", "postgresql://pulse@db/pulse",
        "PULSE_DB_PASSWORD", "from-its-own-setting", "PULSE_ALLOW_PLAINTEXT_SECRETS", "true")).database();
    assertEquals("from-its-own-setting", separate.password());
    assertEquals(5432, separate.port());
  }

  @Test
  void unknownDatabaseUrlParametersAndSslModesAreRefused() {
    assertTrue(rejects(Map.of("PULSE_DB_URL", "postgresql://h/db?foo=bar")).getMessage().contains("foo"));
    assertTrue(rejects(Map.of("PULSE_DB_URL", "postgresql://h/db?sslmode=sometimes")).getMessage()
        .contains("sslmode"));
  }

  @Test
  void trustedProxiesAreAddressesAndBlocksAndNothingElse() {
    TrustedProxies proxies = PulseConfig.fromMap(Map.of("PULSE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1, fd00::/8"))
        .http().trustedProxies();
    assertTrue(proxies.trusts("10.1.2.3"));
    assertTrue(proxies.trusts("127.0.0.1"));
    assertTrue(proxies.trusts("fd00::1"));
    assertFalse(proxies.trusts("127.0.0.2"));
    assertFalse(proxies.trusts("11.0.0.1"));
    assertFalse(proxies.trusts("not-an-address"));
    assertFalse(PulseConfig.fromMap(Map.of()).http().trustedProxies().trusts("127.0.0.1"), "none by default");
    assertEquals("PULSE_TRUSTED_PROXIES", rejects(Map.of("PULSE_TRUSTED_PROXIES", "proxy.example.com")).key());
    assertEquals("PULSE_TRUSTED_PROXIES", rejects(Map.of("PULSE_TRUSTED_PROXIES", "10.0.0.0/33")).key());
  }

  @Test
  void theDefaultClaimDurationMayNotExceedTheMaximum() {
    assertEquals("PULSE_CLAIM_DURATION", rejects(Map.of("PULSE_CLAIM_DURATION", "31d")).key());
  }

  @Test
  void callerTextIsEscapedForLogs() {
    assertEquals("a\\nFAKE LINE", Text.loggable("a\nFAKE LINE"));
    assertEquals("tab\\u0009", Text.loggable("tab\t"));
    assertEquals(203, Text.loggable("x".repeat(500)).length());
  }
}
