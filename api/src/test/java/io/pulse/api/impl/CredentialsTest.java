package io.pulse.api.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.config.PulseConfig;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class CredentialsTest {

  private static Credentials credentials(Map<String, String> settings) {
    return new Credentials(PulseConfig.fromMap(settings));
  }

  @Test
  void newPasswordIsLongUrlSafeBase64() {
    String password = Credentials.newPassword();
    assertTrue(password.length() >= 43, password);
    assertTrue(password.matches("[A-Za-z0-9_-]+"), password);
  }

  @Test
  void newPasswordsAreDistinct() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      seen.add(Credentials.newPassword());
    }
    assertEquals(1000, seen.size());
  }

  @Test
  void usernameAppliesPrefixAndUserNumber() {
    Credentials withPrefix = credentials(Map.of("PULSE_USERNAME_PREFIX", "pulse."));
    assertEquals("pulse.foo-1", withPrefix.username("foo", 1));
    assertEquals("pulse.foo-2", withPrefix.username("foo", 2));
    assertEquals("foo-1", credentials(Map.of()).username("foo", 1));
  }

  @Test
  void permissionsFillDefaultTemplatesWithEscapedNamespace() {
    JsonObject p = credentials(Map.of()).permissions("foo-bar");
    assertEquals("^(queue/foo\\-bar/.*|exchange/foo\\-bar/.*)", p.getString("configure"));
    assertEquals("^(queue/foo\\-bar/.*|exchange/foo\\-bar/.*)", p.getString("write"));
    assertEquals("^(queue/foo\\-bar/.*|exchange/.*)", p.getString("read"));
    for (String key : new String[] {"configure", "write"}) {
      Pattern regex = Pattern.compile(p.getString(key));
      assertTrue(regex.matcher("queue/foo-bar/x").find(), key);
      assertTrue(regex.matcher("exchange/foo-bar/x").find(), key);
      assertFalse(regex.matcher("queue/foo-barx/x").find(), key);
      assertFalse(regex.matcher("queue/other/x").find(), key);
      assertFalse(regex.matcher("xqueue/foo-bar/x").find(), key);
    }
    Pattern read = Pattern.compile(p.getString("read"));
    assertTrue(read.matcher("queue/foo-bar/x").find());
    assertFalse(read.matcher("queue/foo-barx/x").find());
    assertTrue(read.matcher("exchange/other/x").find());
  }

  @Test
  void permissionsUseConfiguredTemplates() {
    JsonObject p = credentials(Map.of("PULSE_PERMISSION_READ", "^queue/{ns}\\..*")).permissions("ns_1");
    assertEquals("^queue/ns_1\\..*", p.getString("read"));
  }

  @Test
  void escapeRegexEscapesMetacharacters() {
    String text = "a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o-p";
    Pattern p = Pattern.compile(io.pulse.config.Names.escapeRegex(text));
    assertTrue(p.matcher(text).matches());
    assertFalse(p.matcher(text.replace('.', 'X')).matches());
  }

  @Test
  void connectionStringInsertsCredentialsKeepingTheRest() {
    Credentials c = credentials(Map.of("PULSE_AMQP_URL", "amqps://pulse.example.com:5671/%2Fpulse"));
    String url = c.connectionString("u", "p");
    assertEquals("amqps://u:p@pulse.example.com:5671/%2Fpulse", url);
    URI uri = URI.create(url);
    assertEquals("amqps", uri.getScheme());
    assertEquals("pulse.example.com", uri.getHost());
    assertEquals(5671, uri.getPort());
    assertEquals("/%2Fpulse", uri.getRawPath());
  }

  @Test
  void connectionStringWithDefaultUrl() {
    assertEquals("amqp://foo-1:pw@localhost:5672/%2F", credentials(Map.of()).connectionString("foo-1", "pw"));
  }

  @Test
  void connectionStringKeepsQuery() {
    Credentials c = credentials(Map.of("PULSE_AMQP_URL", "amqp://mq:5672/v?heartbeat=30"));
    assertEquals("amqp://u:p@mq:5672/v?heartbeat=30", c.connectionString("u", "p"));
  }

  @Test
  void connectionStringEncodesReservedCharacters() {
    Credentials c = credentials(Map.of("PULSE_AMQP_URL", "amqps://pulse.example.com:5671/%2Fpulse"));
    String url = c.connectionString("pulse.team@x", "a@b:c/d e+f");
    assertEquals("amqps://pulse.team%40x:a%40b%3Ac%2Fd%20e%2Bf@pulse.example.com:5671/%2Fpulse", url);
    URI uri = URI.create(url);
    assertEquals("pulse.example.com", uri.getHost());
    assertEquals(5671, uri.getPort());
    assertEquals("pulse.team@x:a@b:c/d e+f", uri.getUserInfo());
  }
}
