package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PULSE_ROOT_URL, PULSE_STATIC_CLIENTS and PULSE_TASKCLUSTER_ROOT_URL. */
class TaskclusterConfigTest {

  private static final String CLIENTS = "[{\"clientId\": \"svc/a\", \"accessToken\": \"a-very-secret-token-1\","
      + " \"scopes\": [\"pulse:namespace:a*\"]}, {\"clientId\": \"b\", \"accessToken\": \"another-secret-token\"}]";

  @TempDir
  Path dir;

  private static void rejects(String key, String value, String words) {
    ConfigException e = assertThrows(ConfigException.class, () -> PulseConfig.load(Map.of(key, value)));
    assertEquals(key, e.key());
    assertTrue(e.getMessage().contains(words), e.getMessage());
    assertFalse(e.getMessage().contains("secret-token"), "a token leaked: " + e.getMessage());
  }

  @Test
  void unsetByDefault() {
    PulseConfig c = PulseConfig.load(Map.of());
    assertNull(c.http().rootUrl());
    assertNull(c.auth().taskclusterRootUrl());
    assertEquals(List.of(), c.auth().staticClients());
  }

  @Test
  void staticClientsParseFromJsonAndAreMasked() {
    PulseConfig c = PulseConfig.load(Map.of("PULSE_STATIC_CLIENTS", CLIENTS));
    assertEquals(List.of(new StaticClient("svc/a", "a-very-secret-token-1", List.of("pulse:namespace:a*")),
        new StaticClient("b", "another-secret-token", List.of())), c.auth().staticClients());
    assertTrue(c.describe().contains("PULSE_STATIC_CLIENTS=****"), c.describe());
    assertFalse(c.toString().contains("secret-token"));
    assertFalse(c.auth().staticClients().toString().contains("secret-token"));
    assertEquals(c.auth().staticClients(), PulseConfig.fromJson(c.toJson()).auth().staticClients());
  }

  @Test
  void staticClientsMayBeAYamlList() throws IOException {
    Path file = dir.resolve("pulse.yaml");
    Files.writeString(file, "PULSE_STATIC_CLIENTS:\n"
        + "  - clientId: svc/a\n    accessToken: a-very-secret-token-1\n    scopes:\n      - pulse:namespace:a*\n"
        + "  - clientId: b\n    accessToken: another-secret-token\n    scopes: []\n");
    PulseConfig c = PulseConfig.load(Map.of("PULSE_CONFIG", file.toString()));
    assertEquals(2, c.auth().staticClients().size());
    assertEquals(List.of("pulse:namespace:a*"), c.auth().staticClients().get(0).scopes());
  }

  @Test
  void badStaticClientsAreRefusedNamingTheEntry() {
    rejects("PULSE_STATIC_CLIENTS", "{\"clientId\": \"a\"}", "JSON array");
    rejects("PULSE_STATIC_CLIENTS", "not json", "JSON array");
    rejects("PULSE_STATIC_CLIENTS", "[{\"accessToken\": \"a-very-secret-token-1\"}]", "entry 0 needs a clientId");
    rejects("PULSE_STATIC_CLIENTS", "[{\"clientId\": \"a\", \"accessToken\": \"short\"}]", "at least 16");
    rejects("PULSE_STATIC_CLIENTS", "[{\"clientId\": \"a\", \"accessToken\": \"a-very-secret-token-1\","
        + " \"scopes\": \"x\"}]", "scopes must be an array");
    rejects("PULSE_STATIC_CLIENTS", "[{\"clientId\": \"a\", \"accessToken\": \"a-very-secret-token-1\","
        + " \"scope\": []}]", "unknown field 'scope'");
    rejects("PULSE_STATIC_CLIENTS", "[{\"clientId\": \"a\", \"accessToken\": \"a-very-secret-token-1\"},"
        + " {\"clientId\": \"a\", \"accessToken\": \"a-very-secret-token-2\"}]", "twice");
  }

  @Test
  void rootUrlsAreHttpUrlsWithoutTrailingSlash() {
    PulseConfig c = PulseConfig.load(Map.of("PULSE_ROOT_URL", "https://tc.example.com/",
        "PULSE_TASKCLUSTER_ROOT_URL", "http://127.0.0.1:9999/prefix"));
    assertEquals(URI.create("https://tc.example.com"), c.http().rootUrl());
    assertEquals(URI.create("http://127.0.0.1:9999/prefix"), c.auth().taskclusterRootUrl());
    rejects("PULSE_ROOT_URL", "tc.example.com", "http or https URL");
    rejects("PULSE_TASKCLUSTER_ROOT_URL", "ftp://tc.example.com", "http or https URL");
    rejects("PULSE_ROOT_URL", "https://tc.example.com/?x=1", "without query");
  }
}
