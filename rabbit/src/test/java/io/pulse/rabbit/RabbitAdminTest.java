package io.pulse.rabbit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pulse.config.PulseConfig;
import io.pulse.rabbit.api.RabbitAdmin;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.serviceproxy.ServiceException;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rabbit verticle against the real management API, in a vhost of its own. */
class RabbitAdminTest {

  private static Vertx vertx;
  private static WebClient client;
  private static String vhost;
  private static String prefix;
  private static RabbitAdmin admin;

  @BeforeAll
  static void deploy() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    vhost = TestEnv.createVhost(client);
    prefix = TestEnv.unique("ra") + "-";
    vertx.deployVerticle(new RabbitVerticle(config(TestEnv.managementApi(), TestEnv.ADMIN_PASSWORD),
        new SimpleMeterRegistry())).await();
    admin = RabbitAdmin.createProxy(vertx, 10_000);
  }

  @AfterAll
  static void undeploy() {
    TestEnv.deleteUsers(client, prefix);
    TestEnv.deleteVhost(client, vhost);
    vertx.close().await();
  }

  private static PulseConfig config(String api, String password) {
    return PulseConfig.fromMap(Map.of("PULSE_RABBIT_API", api, "PULSE_RABBIT_USER", TestEnv.ADMIN_USER,
        "PULSE_RABBIT_PASSWORD", password, "PULSE_RABBIT_TIMEOUT", "2s",
        "PULSE_AMQP_URL", TestEnv.amqpUrl(vhost)));
  }

  private static Connection connect(String user, String password) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost(TestEnv.RABBIT_HOST);
    factory.setPort(TestEnv.AMQP_PORT);
    factory.setVirtualHost(vhost);
    factory.setUsername(user);
    factory.setPassword(password);
    factory.setAutomaticRecoveryEnabled(false);
    return factory.newConnection();
  }

  @Test
  void aUserWithAPasswordAndPermissionsCanLogInAndIsReadBack() throws Exception {
    String user = prefix + "login";
    admin.putUser(user, "secret-password", List.of("monitoring")).await();
    admin.putPermissions(vhost, user, new JsonObject().put("configure", "^q").put("write", "^q").put("read", "^q"))
        .await();
    connect(user, "secret-password").close();

    JsonObject read = admin.getUser(user).await();
    assertEquals(user, read.getString("name"));
    assertTrue(read.getValue("tags").toString().contains("monitoring"), read.encode());
    assertEquals("^q", admin.getPermissions(vhost, user).await().getString("read"));
    assertTrue(admin.listUsers().await().stream().anyMatch(u -> user.equals(((JsonObject) u).getString("name"))));
  }

  @Test
  void aNewPasswordReplacesTheOldOneAndOnlyTheRightPasswordLogsIn() throws Exception {
    // The service hashes passwords itself (salted SHA-256, as the broker would): the hash must be the password's.
    String user = prefix + "repassword";
    admin.putUser(user, "old-password", List.of("pulse-managed")).await();
    admin.putPermissions(vhost, user, new JsonObject().put("configure", "").put("write", "").put("read", "")).await();
    connect(user, "old-password").close();
    assertThrows(Exception.class, () -> connect(user, "old-passwore").close());
    admin.putUser(user, "new-password", List.of("pulse-managed")).await();
    connect(user, "new-password").close();
    assertThrows(Exception.class, () -> connect(user, "old-password").close(), "the old password no longer works");
    assertEquals("rabbit_password_hashing_sha256", admin.getUser(user).await().getString("hashing_algorithm"));
  }

  @Test
  void aUserWithoutAPasswordCannotLogIn() {
    String user = prefix + "standby";
    admin.putUser(user, null, List.of()).await();
    admin.putPermissions(vhost, user, new JsonObject().put("configure", ".*").put("write", ".*").put("read", ".*"))
        .await();
    assertThrows(Exception.class, () -> connect(user, "").close());
    assertEquals("", admin.getUser(user).await().getString("password_hash"));
  }

  @Test
  void deletingWhatIsAlreadyGoneIsNotAnError() {
    admin.deleteUser(prefix + "never").await();
    admin.deleteQueue(vhost, "queue/never/here").await();
    admin.deleteExchange(vhost, "exchange/never/here").await();
    assertNull(admin.getUser(prefix + "never").await());
    assertNull(admin.getPermissions(vhost, prefix + "never").await());
  }

  @Test
  void nameFiltersAreOnlyAPreFilterBecauseTheBrokerIgnoresCase() throws Exception {
    try (Connection connection = connect(TestEnv.ADMIN_USER, TestEnv.ADMIN_PASSWORD)) {
      Channel channel = connection.createChannel();
      channel.queueDeclare("queue/casetwin/a", false, false, false, null);
      channel.queueDeclare("queue/CASETWIN/b", false, false, false, null);
      channel.exchangeDeclare("exchange/casetwin/e", "topic");
    }
    List<String> queues = admin.listQueueNames(vhost, "^queue/CASETWIN/").await();
    assertEquals(List.of("queue/CASETWIN/b", "queue/casetwin/a"), queues.stream().sorted().toList(),
        "RabbitMQ matches name filters case-insensitively: callers must check names themselves");
    assertEquals(List.of("exchange/casetwin/e"), admin.listExchangeNames(vhost, "^exchange/CASETWIN/").await());
    JsonArray withColumns = admin.listQueues(vhost, "^queue/casetwin/a$", List.of("name", "messages")).await();
    assertEquals(1, withColumns.size());
    assertEquals(0L, withColumns.getJsonObject(0).getLong("messages", 0L));
  }

  @Test
  void manyUsersImportedInOneCallLogInWithTheirPasswordsAndPermissions() throws Exception {
    String first = prefix + "bulk-1";
    String second = prefix + "bulk-2";
    String standby = prefix + "bulk-standby";
    admin.putUser(second, "old-password", List.of()).await();
    admin.putPermissions(vhost, second, new JsonObject().put("configure", "^old/").put("write", "^old/")
        .put("read", "^old/")).await();
    JsonObject permissions = new JsonObject().put("configure", "^bulk/").put("write", "^bulk/").put("read", "^bulk/");

    admin.putUsers(vhost, new JsonArray()
        .add(new JsonObject().put("name", first).put("password", "first-password").put("permissions", permissions))
        .add(new JsonObject().put("name", second).put("password", "second-password"))
        .add(new JsonObject().put("name", standby).putNull("password").put("permissions", permissions)),
        List.of("pulse-managed", "monitoring")).await();

    try (Connection c = connect(first, "first-password")) {
      assertTrue(c.isOpen());
    }
    assertEquals("^bulk/", admin.getPermissions(vhost, first).await().getString("configure"));
    assertEquals(new JsonArray().add("pulse-managed").add("monitoring"), admin.getUser(first).await().getJsonArray("tags"));
    try (Connection c = connect(second, "second-password")) {
      assertTrue(c.isOpen(), "an existing user's password is replaced");
    }
    assertThrows(Exception.class, () -> connect(second, "old-password").close());
    assertEquals("^old/", admin.getPermissions(vhost, second).await().getString("read"),
        "permissions not named in the import are left alone");
    assertEquals("", admin.getUser(standby).await().getString("password_hash"), "nobody can log in as it");
    assertEquals("^bulk/", admin.getPermissions(vhost, standby).await().getString("read"));
    admin.putUsers(vhost, new JsonArray(), List.of()).await();
  }

  @Test
  void createUserMakesOnlyAUserThatIsNotThereAndLeavesAnExistingOneAlone() throws Exception {
    String user = prefix + "create";
    assertTrue(admin.createUser(user, "first-password", List.of("pulse-managed")).await());
    assertFalse(admin.createUser(user, "second-password", List.of("administrator")).await());
    assertEquals(new JsonArray().add("pulse-managed"), admin.getUser(user).await().getJsonArray("tags"));
    admin.putPermissions(vhost, user, new JsonObject().put("configure", "").put("write", "").put("read", "")).await();
    try (Connection c = connect(user, "first-password")) {
      assertTrue(c.isOpen(), "the refused create changed nothing");
    }
  }

  @Test
  void findUsersAnswersTheUsersThatExistByListingOrOneByOne() {
    String mine = prefix + "find-mine";
    String plain = prefix + "find-plain";
    admin.putUser(mine, "p", List.of("pulse-managed", "monitoring")).await();
    admin.putUser(plain, "p", List.of()).await();
    List<String> names = List.of(mine, plain, prefix + "find-absent");
    RabbitAdminImpl direct = new RabbitAdminImpl(client, java.net.URI.create(TestEnv.managementApi()),
        TestEnv.ADMIN_USER, TestEnv.ADMIN_PASSWORD, 5000);
    for (long knownUsers : List.of(-1L, 0L, Long.MAX_VALUE)) {
      direct.knownUsers = knownUsers;
      JsonObject found = direct.findUsers(names).await();
      assertEquals(Set.of(mine, plain), found.fieldNames(), "known users " + knownUsers);
      assertEquals(new JsonArray().add("pulse-managed").add("monitoring"),
          found.getJsonObject(mine).getJsonArray("tags"));
      assertEquals(new JsonArray(), found.getJsonObject(plain).getJsonArray("tags"));
    }
    direct.knownUsers = 0;
    direct.findUsers(List.of(mine)).await();
    assertTrue(direct.knownUsers >= 2, "a listing counts the broker's users: " + direct.knownUsers);
    RabbitAdminImpl fresh = new RabbitAdminImpl(client, java.net.URI.create(TestEnv.managementApi()),
        TestEnv.ADMIN_USER, TestEnv.ADMIN_PASSWORD, 5000);
    assertEquals(-1, fresh.knownUsers, "unknown until a full listing");
    fresh.findUsers(List.of(mine)).await();
    assertEquals(-1, fresh.knownUsers, "a few names are read one by one, whatever the broker holds");
    List<String> many = new java.util.ArrayList<>(names);
    for (int i = many.size(); i <= RabbitAdminImpl.READS_WHILE_UNKNOWN; i++) {
      many.add(prefix + "find-absent-" + i);
    }
    assertEquals(Set.of(mine, plain), fresh.findUsers(many).await().fieldNames());
    assertTrue(fresh.knownUsers >= 2 && fresh.knownUsers < Long.MAX_VALUE, "a lookup of many names lists: "
        + fresh.knownUsers);
    RabbitAdminImpl failing = new RabbitAdminImpl(client, java.net.URI.create("http://127.0.0.1:"
        + TestEnv.closedPort() + "/api"), TestEnv.ADMIN_USER, TestEnv.ADMIN_PASSWORD, 5000);
    failing.findUsers(many).otherwiseEmpty().await();
    assertEquals(Long.MAX_VALUE, failing.knownUsers, "a listing that fails means: read names one by one");
  }

  @Test
  void aClosedConnectionTellsTheClientWhy() throws Exception {
    String user = prefix + "closed";
    admin.putUser(user, "secret-password", List.of()).await();
    admin.putPermissions(vhost, user, new JsonObject().put("configure", "").put("write", "").put("read", "")).await();
    AtomicReference<ShutdownSignalException> closed = new AtomicReference<>();
    Connection connection = connect(user, "secret-password");
    connection.addShutdownListener(closed::set);
    // The management API lists a connection after its next statistics round (up to 5 s).
    TestEnv.eventually(30, "the connection is listed", () -> admin.listConnections(vhost).await().stream()
        .anyMatch(c -> user.equals(((JsonObject) c).getString("user"))));
    String name = admin.listConnections(vhost).await().stream().map(c -> (JsonObject) c)
        .filter(c -> user.equals(c.getString("user"))).findFirst().orElseThrow().getString("name");

    admin.closeConnection(name, "because the test says so").await();

    TestEnv.eventually(10, "the client sees the close", () -> closed.get() != null);
    assertTrue(closed.get().getMessage().contains("because the test says so"), closed.get().getMessage());
    admin.closeConnection(name, "again").await();
  }

  @Test
  void anUnreachableManagementApiAnswers503NamingIt() {
    Vertx other = Vertx.vertx();
    try {
      other.deployVerticle(new RabbitVerticle(config("http://127.0.0.1:" + TestEnv.closedPort() + "/api",
          TestEnv.ADMIN_PASSWORD), new SimpleMeterRegistry())).await();
      ServiceException e = assertThrows(ServiceException.class,
          () -> RabbitAdmin.createProxy(other, 10_000).overview().await());
      assertEquals(503, e.failureCode());
      assertTrue(e.getMessage().contains("RabbitMQ management API"), e.getMessage());
    } finally {
      other.close().await();
    }
  }

  @Test
  void refusedAdminCredentialsAnswer503WithoutThePassword() {
    Vertx other = Vertx.vertx();
    try {
      other.deployVerticle(new RabbitVerticle(config(TestEnv.managementApi(), "wrong-password-xyz"),
          new SimpleMeterRegistry())).await();
      ServiceException e = assertThrows(ServiceException.class,
          () -> RabbitAdmin.createProxy(other, 10_000).overview().await());
      assertEquals(503, e.failureCode());
      assertTrue(e.getMessage().contains("refused the service's admin credentials"), e.getMessage());
      assertFalse(e.getMessage().contains("wrong-password-xyz"));
    } finally {
      other.close().await();
    }
  }
}
