package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class NamingTest {

  private static Naming naming(Map<String, String> settings) {
    return PulseConfig.fromMap(settings).naming();
  }

  @Test
  void usernameAppliesPrefixAndUserNumber() {
    Naming withPrefix = naming(Map.of("PULSE_USERNAME_PREFIX", "pulse."));
    assertEquals("pulse.foo-1", withPrefix.username("foo", 1));
    assertEquals("pulse.foo-2", withPrefix.username("foo", 2));
    assertEquals("foo-1", naming(Map.of()).username("foo", 1));
  }

  @Test
  void permissionsFillDefaultTemplatesWithEscapedNamespace() {
    JsonObject p = naming(Map.of()).permissions("foo-bar");
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
    JsonObject p = naming(Map.of("PULSE_PERMISSION_READ", "^queue/{ns}\\..*")).permissions("ns_1");
    assertEquals("^queue/ns_1\\..*", p.getString("read"));
  }

  @Test
  void escapeRegexEscapesMetacharacters() {
    String text = "a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o-p";
    Pattern p = Pattern.compile(Naming.escapeRegex(text));
    assertTrue(p.matcher(text).matches());
    assertFalse(p.matcher(text.replace('.', 'X')).matches());
  }
}
