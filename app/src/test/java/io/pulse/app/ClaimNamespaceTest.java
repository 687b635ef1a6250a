package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Row;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ClaimNamespaceTest {

  private static RunningService service;

  @BeforeAll
  static void start(Vertx vertx) {
    service = RunningService.start(vertx, Map.of("PULSE_ROTATION_INTERVAL", "1h"));
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  @Test
  void pingAnswersAliveWithoutCredentials() {
    HttpResponse<Buffer> response = service.get("/ping");
    assertEquals(200, response.statusCode());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(true, body.getBoolean("alive"));
    assertTrue(body.getDouble("uptime") > 0);
  }

  @Test
  void claimAnswersCredentialsForTheActiveUserAndTheReclaimTime() {
    String ns = TestEnv.unique("claim");
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    HttpResponse<Buffer> response = service.claim(ns, new JsonObject().put("contact", "owner@example.com"));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(Sets.of("namespace", "created", "expires", "connectionString", "reclaimAt"), body.fieldNames());
    assertEquals(ns, body.getString("namespace"));

    Instant created = Instant.parse(body.getString("created"));
    Instant expires = Instant.parse(body.getString("expires"));
    Instant reclaimAt = Instant.parse(body.getString("reclaimAt"));
    assertFalse(created.isBefore(before.minusSeconds(5)), "created " + created);
    // expires defaults to four hours from now; reclaimAt is the next rotation (1h) plus half an interval.
    assertEquals(Duration.ofHours(4).toSeconds(), Duration.between(before, expires).toSeconds(), 5);
    assertEquals(Duration.ofMinutes(90).toSeconds(), Duration.between(created, reclaimAt).toSeconds(), 5);

    URI uri = URI.create(body.getString("connectionString"));
    assertEquals("amqp", uri.getScheme());
    assertEquals(TestEnv.AMQP_PORT, uri.getPort());
    assertEquals("/" + TestEnv.encode(service.vhost), uri.getRawPath());
    String[] userInfo = uri.getRawUserInfo().split(":");
    assertEquals(service.username(ns, 1), userInfo[0]);
    assertTrue(userInfo[1].length() >= 22, "a password of at least 128 bits");
    assertFalse(response.bodyAsString().contains("owner@example.com"), "the contact is never returned");

    List<Row> rows = TestEnv.sql(service.vertx, service.database,
        "SELECT contact, active_user, password_2, provisioned FROM namespaces WHERE name = $1", ns);
    assertEquals(1, rows.size());
    assertEquals("owner@example.com", rows.get(0).getString("contact"));
    assertEquals(1, (int) rows.get(0).getShort("active_user"));
    assertTrue(rows.get(0).getBoolean("provisioned"));
  }

  @Test
  void claimCreatesTheActiveUserWithPermissionsFromTheTemplates() {
    String ns = TestEnv.unique("users");
    assertEquals(200, service.claim(ns, null).statusCode());
    String name = service.username(ns, 1);
    assertNotNull(TestEnv.user(service.client, name), name + " exists");
    JsonObject permissions = TestEnv.management(service.client, "GET",
        "/permissions/" + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(name), null).bodyAsJsonObject();
    String escaped = ns.replace("-", "\\-");
    assertEquals("^(queue/" + escaped + "/.*|exchange/" + escaped + "/.*)", permissions.getString("configure"));
    assertEquals("^(queue/" + escaped + "/.*|exchange/" + escaped + "/.*)", permissions.getString("write"));
    assertEquals("^(queue/" + escaped + "/.*|exchange/.*)", permissions.getString("read"));
  }

  @Test
  void issuedCredentialsWorkInsideTheNamespaceAndAreRefusedOutsideIt() throws Exception {
    String ns = TestEnv.unique("amqp");
    String other = TestEnv.unique("other");
    String connectionString = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
    assertEquals(200, service.claim(other, null).statusCode());

    // Another namespace's exchange and queue, made by the broker admin.
    try (Connection admin = TestEnv.connect(TestEnv.amqpUrl(service.vhost)
        .replace("amqp://", "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"));
        Channel channel = admin.createChannel()) {
      channel.exchangeDeclare("exchange/" + other + "/events", "topic", false, true, null);
      channel.queueDeclare("queue/" + other + "/work", false, false, true, null);

      try (Connection connection = TestEnv.connect(connectionString)) {
        Channel own = connection.createChannel();
        own.exchangeDeclare("exchange/" + ns + "/events", "topic", false, true, null);
        own.queueDeclare("queue/" + ns + "/inbox", false, false, true, null);
        own.queueBind("queue/" + ns + "/inbox", "exchange/" + ns + "/events", "#");
        // Reading (binding to) any exchange is allowed, also another namespace's.
        own.queueBind("queue/" + ns + "/inbox", "exchange/" + other + "/events", "#");
        own.basicPublish("exchange/" + ns + "/events", "hello", null, "own".getBytes(StandardCharsets.UTF_8));
        channel.basicPublish("exchange/" + other + "/events", "hi", null, "theirs".getBytes(StandardCharsets.UTF_8));
        // Two publishers on two connections: their messages may arrive in either order.
        assertEquals(java.util.Set.of("own", "theirs"),
            java.util.Set.of(receive(own, "queue/" + ns + "/inbox"), receive(own, "queue/" + ns + "/inbox")));

        assertRefused(connection, c -> c.queueDeclare("queue/" + other + "/mine", false, false, true, null));
        assertRefused(connection, c -> c.exchangeDeclare("exchange/" + other + "/mine", "topic", false, true, null));
        assertRefused(connection, c -> c.queueDeclare("unprefixed", false, false, true, null));
        assertRefused(connection, c -> c.basicGet("queue/" + other + "/work", true));
        assertRefused(connection, c -> c.queueBind("queue/" + other + "/work", "exchange/" + ns + "/events", "#"));
        assertRefused(connection, c -> {
          c.basicPublish("exchange/" + other + "/events", "x", null, new byte[0]);
          c.queueDeclarePassive("queue/" + ns + "/inbox");
        });
      }
    }
  }

  @Test
  void theStandbyUserCannotLogIn() {
    String ns = TestEnv.unique("standby");
    String connectionString = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
    URI uri = URI.create(connectionString);
    String password = uri.getRawUserInfo().split(":")[1];
    String standby = connectionString.replace(service.username(ns, 1) + ":", service.username(ns, 2) + ":");
    assertThrows(AuthenticationFailureException.class, () -> TestEnv.connect(standby).close());
    assertThrows(AuthenticationFailureException.class,
        () -> TestEnv.connect(standby.replace(":" + password + "@", ":@")).close());
  }

  @Test
  void repeatedClaimsReturnTheSameCredentialsAndUpdateExpiresAndContact() {
    String ns = TestEnv.unique("again");
    JsonObject first = service.claim(ns, new JsonObject().put("contact", "first@example.com")).bodyAsJsonObject();
    String later = Instant.now().plus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS).toString();
    HttpResponse<Buffer> again = service.claim(ns, new JsonObject().put("expires", later));
    assertEquals(200, again.statusCode(), again.bodyAsString());
    JsonObject second = again.bodyAsJsonObject();
    assertEquals(first.getString("connectionString"), second.getString("connectionString"));
    assertEquals(first.getString("created"), second.getString("created"));
    assertEquals(first.getString("reclaimAt"), second.getString("reclaimAt"));
    assertEquals(Instant.parse(later), Instant.parse(second.getString("expires")));
    assertNotEquals(first.getString("expires"), second.getString("expires"));
    assertEquals("first@example.com", contact(ns), "a claim without contact keeps the one on record");

    service.claim(ns, new JsonObject().put("contact", "second@example.com"));
    assertEquals("second@example.com", contact(ns));
    assertEquals(1, TestEnv.users(service.client, service.userPrefix + ns + "-").size(), "repeated claims make no user");
  }

  @Test
  void getNamespaceAnswersItsDatesAndNothingElse() {
    String ns = TestEnv.unique("get");
    JsonObject claimed = service.claim(ns, new JsonObject().put("contact", "x@example.com")).bodyAsJsonObject();
    HttpResponse<Buffer> response = service.get("/namespace/" + ns);
    assertEquals(200, response.statusCode());
    assertEquals(new JsonObject().put("namespace", ns).put("created", claimed.getString("created"))
        .put("expires", claimed.getString("expires")), response.bodyAsJsonObject());
  }

  @Test
  void getUnknownNamespaceIs404() {
    HttpResponse<Buffer> response = service.get("/namespace/" + TestEnv.unique("nobody"));
    assertEquals(404, response.statusCode());
    assertEquals("ResourceNotFound", response.bodyAsJsonObject().getString("code"));
  }

  @Test
  void unknownRouteIsJson404() {
    HttpResponse<Buffer> response = service.get("/nothing/here");
    assertEquals(404, response.statusCode());
    assertEquals("ResourceNotFound", response.bodyAsJsonObject().getString("code"));
  }

  private String contact(String ns) {
    return TestEnv.sql(service.vertx, service.database, "SELECT contact FROM namespaces WHERE name = $1", ns)
        .get(0).getString("contact");
  }

  private static String receive(Channel channel, String queue) throws Exception {
    for (int i = 0; i < 100; i++) {
      GetResponse message = channel.basicGet(queue, true);
      if (message != null) {
        return new String(message.getBody(), StandardCharsets.UTF_8);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no message arrived on " + queue);
  }

  interface ChannelAction {
    void run(Channel channel) throws Exception;
  }

  private static void assertRefused(Connection connection, ChannelAction action) throws Exception {
    Channel channel = connection.createChannel();
    Exception failure = assertThrows(Exception.class, () -> action.run(channel));
    Throwable cause = failure instanceof IOException && failure.getCause() != null ? failure.getCause() : failure;
    assertTrue(cause instanceof ShutdownSignalException, "expected a channel error, got " + failure);
    assertTrue(cause.getMessage().contains("ACCESS_REFUSED"), cause.getMessage());
  }

  private static final class Sets {
    static java.util.Set<String> of(String... names) {
      return java.util.Set.of(names);
    }
  }
}
