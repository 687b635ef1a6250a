package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PulseConfigTest {

  @TempDir
  Path dir;

  private static ConfigException rejects(String key, Map<String, String> env) {
    ConfigException e = assertThrows(ConfigException.class, () -> PulseConfig.load(env));
    assertEquals(key, e.key());
    assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
    return e;
  }

  private static ConfigException rejects(String key, String value) {
    return rejects(key, Map.of(key, value));
  }

  private Path yaml(String text) throws IOException {
    Path file = dir.resolve("pulse.yaml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void defaultsApplyWithEmptyEnvironment() {
    PulseConfig c = PulseConfig.load(Map.of());
    assertEquals(8080, c.http().port());
    assertEquals("0.0.0.0", c.http().host());
    assertEquals(Duration.ofHours(1), c.lifecycle().rotationInterval());
    assertEquals(Duration.ofHours(4), c.lifecycle().claimDuration());
    assertEquals(URI.create("amqp://localhost:5672/%2F"), c.rabbit().amqpUrl());
    assertEquals("/", c.rabbit().vhost());
    assertNull(c.database().url());
    assertNull(c.auth().jwtSecret());
    assertEquals(List.of(), c.namespaces().userTags());
    assertEquals("", c.namespaces().namespacePrefix());
  }

  @Test
  void logFormatIsTextOrJsonAndShutdownTimeoutAPositiveDuration() {
    PulseConfig defaults = PulseConfig.fromMap(Map.of());
    assertEquals("text", defaults.operations().logFormat());
    assertEquals(Duration.ofSeconds(30), defaults.operations().shutdownTimeout());
    PulseConfig set = PulseConfig.fromMap(Map.of("PULSE_LOG_FORMAT", "json", "PULSE_SHUTDOWN_TIMEOUT", "5s"));
    assertEquals("json", set.operations().logFormat());
    assertEquals(Duration.ofSeconds(5), set.operations().shutdownTimeout());
    ConfigException format = assertThrows(ConfigException.class,
        () -> PulseConfig.fromMap(Map.of("PULSE_LOG_FORMAT", "xml")));
    assertTrue(format.getMessage().contains("PULSE_LOG_FORMAT"), format.getMessage());
    ConfigException timeout = assertThrows(ConfigException.class,
        () -> PulseConfig.fromMap(Map.of("PULSE_SHUTDOWN_TIMEOUT", "0s")));
    assertTrue(timeout.getMessage().contains("PULSE_SHUTDOWN_TIMEOUT"), timeout.getMessage());
  }

  @Test
  void vhostIsDecodedFromAmqpUrlPath() {
    assertEquals("pulse", PulseConfig.fromMap(Map.of("PULSE_AMQP_URL", "amqp://localhost:5672/pulse")).rabbit().vhost());
    assertEquals("/pulse", PulseConfig.fromMap(Map.of("PULSE_AMQP_URL", "amqp://localhost:5672/%2Fpulse")).rabbit().vhost());
    assertEquals("/", PulseConfig.fromMap(Map.of("PULSE_AMQP_URL", "amqps://localhost:5671/%2F")).rabbit().vhost());
  }

  @Test
  void yamlFileOverridesDefaultsAndEnvironmentOverridesFile() throws IOException {
    Path file = yaml("PULSE_HTTP_PORT: 9090\nPULSE_ROTATION_INTERVAL: 30m\nPULSE_NAMESPACE_PREFIX: fromfile\n");
    PulseConfig fileOnly = PulseConfig.load(Map.of("PULSE_CONFIG", file.toString()));
    assertEquals(9090, fileOnly.http().port());
    assertEquals(Duration.ofMinutes(30), fileOnly.lifecycle().rotationInterval());
    assertEquals("fromfile", fileOnly.namespaces().namespacePrefix());

    PulseConfig layered = PulseConfig.load(Map.of("PULSE_CONFIG", file.toString(), "PULSE_HTTP_PORT", "7070"));
    assertEquals(7070, layered.http().port());
    assertEquals(Duration.ofMinutes(30), layered.lifecycle().rotationInterval());
    assertEquals("fromfile", layered.namespaces().namespacePrefix());
  }

  @Test
  void unrelatedEnvironmentVariablesAreIgnored() {
    PulseConfig c = PulseConfig.load(Map.of("PATH", "/usr/bin", "HOME", "/root", "PULSE_HTTP_PORT", "8181"));
    assertEquals(8181, c.http().port());
  }

  @Test
  void userTagsMayBeAYamlList() throws IOException {
    Path file = yaml("PULSE_USER_TAGS:\n  - monitoring\n  - management\n");
    assertEquals(List.of("monitoring", "management"),
        PulseConfig.load(Map.of("PULSE_CONFIG", file.toString())).namespaces().userTags());
  }

  @Test
  void userTagsFromEnvironmentAreCommaSeparated() {
    assertEquals(List.of("a", "b"), PulseConfig.load(Map.of("PULSE_USER_TAGS", " a , b ,")).namespaces().userTags());
  }

  @Test
  void everyRoleRunsByDefaultAndAnyCanBeChosenByName() {
    assertEquals(EnumSet.allOf(RolesConfig.Role.class), PulseConfig.load(Map.of()).roles().roles());
    RolesConfig roles = PulseConfig.load(Map.of("PULSE_ROLES", " monitor, maintenance ")).roles();
    assertEquals(EnumSet.of(RolesConfig.Role.MAINTENANCE, RolesConfig.Role.MONITOR), roles.roles());
    assertFalse(roles.has(RolesConfig.Role.API));
    assertEquals("maintenance,monitor", roles.describe());
  }

  @Test
  void rolesMayBeAYamlList() throws IOException {
    Path file = yaml("PULSE_ROLES:\n  - api\n  - namespaces\n");
    assertEquals(EnumSet.of(RolesConfig.Role.API, RolesConfig.Role.NAMESPACES),
        PulseConfig.load(Map.of("PULSE_CONFIG", file.toString())).roles().roles());
  }

  @Test
  void anUnknownRoleOrNoneIsRejectedNamingTheKeyAndTheRoles() {
    ConfigException e = rejects("PULSE_ROLES", "api,rest");
    assertTrue(e.getMessage().contains("'rest'") && e.getMessage().contains("namespaces"), e.getMessage());
    rejects("PULSE_ROLES", " , ");
    rejects("PULSE_ROLES", "API");
  }

  @Test
  void nonNumericPortIsRejectedNamingKey() {
    ConfigException e = rejects("PULSE_HTTP_PORT", "eighty");
    assertTrue(e.getMessage().contains("eighty"), e.getMessage());
  }

  @Test
  void outOfRangePortIsRejectedNamingKey() {
    ConfigException e = rejects("PULSE_HTTP_PORT", "70000");
    assertTrue(e.getMessage().contains("65535"), e.getMessage());
  }

  @Test
  void badRotationDurationIsRejectedNamingKey() {
    ConfigException e = rejects("PULSE_ROTATION_INTERVAL", "soon");
    assertTrue(e.getMessage().contains("soon"), e.getMessage());
  }

  @Test
  void overflowingDurationIsAConfigException() {
    rejects("PULSE_CLAIM_DURATION", "9223372036854775807d");
  }

  @Test
  void rotationBelowTwoSecondsIsRejected() {
    ConfigException e = rejects("PULSE_ROTATION_INTERVAL", "1s");
    assertTrue(e.getMessage().contains("2s"), e.getMessage());
    assertEquals(Duration.ofSeconds(2), PulseConfig.load(Map.of("PULSE_ROTATION_INTERVAL", "2s")).lifecycle().rotationInterval());
  }

  @Test
  void rabbitApiMustBeHttp() {
    ConfigException e = rejects("PULSE_RABBIT_API", "ftp://localhost:15672/api");
    assertTrue(e.getMessage().contains("http"), e.getMessage());
  }

  @Test
  void amqpUrlMustNotCarryCredentials() {
    ConfigException e = rejects("PULSE_AMQP_URL", "amqp://user:s3cret@localhost:5672/%2F");
    assertTrue(e.getMessage().contains("credentials"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
  }

  @Test
  void rejectedAmqpUrlNeverEchoesItsPassword() {
    // Invalid host (underscore) plus credentials: the message must still not echo the password.
    ConfigException e = rejects("PULSE_AMQP_URL", "amqp://user:s3cret@bad_host:5672/%2F");
    assertFalse(e.getMessage().contains("s3cret"), "password leaked: " + e.getMessage());
  }

  @Test
  void amqpUrlWithUnencodedSlashInVhostIsRejected() {
    rejects("PULSE_AMQP_URL", "amqp://localhost:5672/a/b");
  }

  @Test
  void namespacePrefixWithSpaceIsRejected() {
    rejects("PULSE_NAMESPACE_PREFIX", "my prefix");
  }

  @Test
  void invalidPermissionRegexIsRejected() {
    ConfigException e = rejects("PULSE_PERMISSION_READ", "^(queue/{ns}/.*");
    assertTrue(e.getMessage().contains("regular expression"), e.getMessage());
  }

  @Test
  void unknownKeyInYamlIsRejectedNamingIt() throws IOException {
    Path file = yaml("PULSE_HTTP_PORT: 9090\nPULSE_HTTP_PROT: 9091\n");
    rejects("PULSE_HTTP_PROT", Map.of("PULSE_CONFIG", file.toString()));
  }

  @Test
  void yamlListDocumentIsRejected() throws IOException {
    Path file = yaml("- PULSE_HTTP_PORT\n- 9090\n");
    rejects("PULSE_CONFIG", Map.of("PULSE_CONFIG", file.toString()));
  }

  @Test
  void missingYamlFileIsRejected() {
    ConfigException e = rejects("PULSE_CONFIG", Map.of("PULSE_CONFIG", dir.resolve("absent.yaml").toString()));
    assertTrue(e.getMessage().contains("absent.yaml"), e.getMessage());
  }

  @Test
  void unknownKeyInFromMapIsRejected() {
    ConfigException e = assertThrows(ConfigException.class, () -> PulseConfig.fromMap(Map.of("PULSE_NOPE", "x")));
    assertEquals("PULSE_NOPE", e.key());
  }

  @Test
  void dbUrlMustBePostgresAndIsNeverEchoed() {
    ConfigException e = rejects("PULSE_DB_URL", "mysql://admin:hunter2@db:3306/pulse");
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertFalse(e.getMessage().contains("mysql://admin"), e.getMessage());
    assertEquals("postgresql://u:p@db:5432/pulse",
        PulseConfig.load(Map.of("PULSE_DB_URL", "postgresql://u:p@db:5432/pulse",
        "PULSE_ALLOW_PLAINTEXT_SECRETS", "true")).database().url());
  }

  @Test
  void jwtPublicKeyMustBePem() {
    rejects("PULSE_JWT_PUBLIC_KEY", "not a pem key");
    rejects("PULSE_JWT_PUBLIC_KEY", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  }

  @Test
  void jwtPublicKeyAcceptsInlinePemAndFilePath() throws IOException {
    String pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
    assertEquals(pem.trim(), PulseConfig.load(Map.of("PULSE_JWT_PUBLIC_KEY", pem)).auth().jwtPublicKey());
    Path file = dir.resolve("key.pem");
    Files.writeString(file, pem);
    assertEquals(pem, PulseConfig.load(Map.of("PULSE_JWT_PUBLIC_KEY", file.toString())).auth().jwtPublicKey());
  }

  @Test
  void describeMasksSecrets() {
    PulseConfig c = PulseConfig.load(Map.of(
        "PULSE_RABBIT_PASSWORD", "rabbitSecret1",
        "PULSE_JWT_SECRET", "jwtSecret2-padded-to-at-least-32-bytes",
        "PULSE_DB_URL", "postgresql://u:dbSecret3@db:5432/pulse",
        "PULSE_SECRET_KEY", "c2VjcmV0S2V5NC1wYWRkZWQtdG8tMzItYnl0ZXMtLS0=",
        "PULSE_RABBIT_USER", "admin"));
    String text = c.describe();
    assertFalse(text.contains("rabbitSecret1"), text);
    assertFalse(text.contains("jwtSecret2"), text);
    assertFalse(text.contains("dbSecret3"), text);
    assertFalse(text.contains("c2VjcmV0S2V5NC"), text);
    assertTrue(text.contains("PULSE_RABBIT_PASSWORD=****"), text);
    assertTrue(text.contains("PULSE_RABBIT_USER=admin"), text);
    assertFalse(c.toString().contains("rabbitSecret1"), c.toString());
  }

  @Test
  void jsonRoundTripGivesEqualConfig() {
    PulseConfig c = PulseConfig.load(Map.of(
        "PULSE_HTTP_PORT", "9000",
        "PULSE_USER_TAGS", "a,b",
        "PULSE_AMQP_URL", "amqps://mq.example.com:5671/%2Fpulse",
        "PULSE_CLAIM_DURATION", "2d"));
    JsonObject json = c.toJson();
    assertEquals("9000", json.getString("PULSE_HTTP_PORT"));
    assertFalse(json.containsKey("PULSE_DB_URL"));
    PulseConfig back = PulseConfig.fromJson(json);
    assertEquals(c, back);
    assertEquals(9000, back.http().port());
    assertEquals("/pulse", back.rabbit().vhost());
  }

  @Test
  void withChangesOneKeyAndKeepsTheOthers() {
    PulseConfig c = PulseConfig.load(Map.of("PULSE_HTTP_PORT", "9000"));
    PulseConfig changed = c.with(Map.of("PULSE_NAMESPACE_PREFIX", "test-"));
    assertEquals("test-", changed.namespaces().namespacePrefix());
    assertEquals(9000, changed.http().port());
    assertEquals("", c.namespaces().namespacePrefix());
    Map<String, String> bad = new HashMap<>();
    bad.put("PULSE_HTTP_PORT", "-1");
    assertEquals("PULSE_HTTP_PORT", assertThrows(ConfigException.class, () -> c.with(bad)).key());
  }
}
