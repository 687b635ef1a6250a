package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.config.PulseConfig;
import io.pulse.store.api.Secrets;

import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CredentialsTest {

  private static Credentials credentials(Map<String, String> settings) {
    return new Credentials(PulseConfig.fromMap(settings).rabbit().amqpUrl());
  }

  @Test
  void newPasswordIsLongUrlSafeBase64() {
    String password = Secrets.newPassword();
    assertTrue(password.length() >= 43, password);
    assertTrue(password.matches("[A-Za-z0-9_-]+"), password);
  }

  @Test
  void newPasswordsAreDistinct() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      seen.add(Secrets.newPassword());
    }
    assertEquals(1000, seen.size());
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
    assertEquals("amqp://u~1:a%2Ab~c%C3%A9@mq:5672/v", credentials(Map.of("PULSE_AMQP_URL", "amqp://mq:5672/v"))
        .connectionString("u~1", "a*b~c\u00e9"), "only unreserved characters stay as they are");
  }
}
