package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.pulse.client.Events;
import io.pulse.client.NamespaceService;
import io.pulse.client.PulseAdminService;
import io.pulse.store.api.History;
import io.pulse.testkit.TcpRelay;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import jakarta.mail.internet.MimeMessage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The monitor against the real broker and database, with a real SMTP server (GreenMail) and thresholds of 5 and 10
 * messages. Queue counts come from the management API's statistics, which lag up to 5 s: waits are generous.
 */
@ExtendWith(VertxExtension.class)
class MonitorTest {

  private GreenMail smtp;
  private int smtpPort;

  @BeforeEach
  void startSmtp() throws Exception {
    smtpPort = TestEnv.closedPort();
    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
  }

  @AfterEach
  void stopSmtp() {
    smtp.stop();
  }

  private Map<String, String> settings(String... more) {
    Map<String, String> settings = new HashMap<>(Map.of(
        "PULSE_MONITOR_INTERVAL", "300ms",
        "PULSE_MONITOR_ALERT_THRESHOLD", "5",
        "PULSE_MONITOR_DELETE_THRESHOLD", "10",
        "PULSE_SMTP_HOST", "127.0.0.1",
        "PULSE_SMTP_PORT", String.valueOf(smtpPort),
        "PULSE_SMTP_FROM", "pulse@example.com",
        "PULSE_MAINTENANCE_INTERVAL", "1h",
        "PULSE_RECONCILE_INTERVAL", "1h"));
    for (int i = 0; i < more.length; i += 2) {
      settings.put(more[i], more[i + 1]);
    }
    return settings;
  }

  @Test
  void ownersAreWarnedOnceAndToldWhenTheQueueIsBackToNormalAndEventsArePublished(Vertx vertx) throws Exception {
    List<JsonObject> busEvents = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Events.QUEUE_EVENTS, m -> busEvents.add(m.body()));
    try (RunningService service = RunningService.start(vertx, settings());
        Connection admin = adminConnection(service)) {
      String ns = TestEnv.unique("warn");
      Channel events = eventsQueue(service, admin, ns + ".*");
      String credentials = service.claim(ns, new JsonObject().put("contact", "owner@example.com"))
          .bodyAsJsonObject().getString("connectionString");
      try (Connection connection = TestEnv.connect(credentials)) {
        Channel channel = connection.createChannel();
        String queue = "queue/" + ns + "/slow";
        channel.queueDeclare(queue, true, false, false, null);
        // Namespace users may publish only to their own exchanges; the admin fills the queue directly.
        fill(admin, queue, 7);
        TestEnv.eventually(60, "a warning mail", () -> mails().size() == 1);
        MimeMessage warning = mails().get(0);
        assertEquals("owner@example.com", warning.getAllRecipients()[0].toString());
        assertTrue(warning.getSubject().contains(queue) && warning.getSubject().contains("7 messages"),
            warning.getSubject());
        String body = GreenMailUtil.getBody(warning);
        assertTrue(body.contains("holds 7 messages") && body.contains("above 5") && body.contains("above 10"), body);
        assertTrue(body.contains("consumer"), "the usual cause is named: " + body);

        service.awaitMonitorSweeps(3, "ok");
        assertEquals(1, mails().size(), "no second warning while the queue stays in warning (reminders are daily)");

        channel.queuePurge(queue);
        TestEnv.eventually(60, "a back-to-normal mail", () -> mails().size() == 2);
        assertTrue(mails().get(1).getSubject().contains("back to normal"), mails().get(1).getSubject());
      }
      JsonObject warned = nextEvent(events, ns + ".warning");
      assertEquals(ns, warned.getString("namespace"));
      assertEquals("warning", warned.getString("state"));
      assertEquals(7, warned.getLong("messages"));
      assertEquals("normal", nextEvent(events, ns + ".normal").getString("state"));
      TestEnv.eventually(10, "both events on the event bus", () -> busEvents.stream()
          .filter(e -> ns.equals(e.getString("namespace"))).count() == 2);
    }
  }

  @Test
  void aQueueOverTheDeleteThresholdIsDeletedAndItsOwnerToldHowManyMessagesWereLost(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, settings());
        Connection admin = adminConnection(service)) {
      String ns = TestEnv.unique("del");
      Channel events = eventsQueue(service, admin, ns + ".deleted");
      String credentials = service.claim(ns, new JsonObject().put("contact", "big@example.com"))
          .bodyAsJsonObject().getString("connectionString");
      String queue = "queue/" + ns + "/flood";
      try (Connection connection = TestEnv.connect(credentials)) {
        Channel channel = connection.createChannel();
        channel.queueDeclare(queue, true, false, false, null);
      }
      fill(admin, queue, 12);
      TestEnv.eventually(60, "the queue deleted", () -> queueStatus(service, queue) == 404);
      TestEnv.eventually(30, "a deletion mail", () -> mails().stream()
          .anyMatch(m -> subject(m).contains("was deleted with 12 messages")));
      MimeMessage deleted = mails().stream().filter(m -> subject(m).contains("deleted")).findFirst().orElseThrow();
      assertTrue(GreenMailUtil.getBody(deleted).contains("Those 12 messages are lost"));
      JsonObject event = nextEvent(events, ns + ".deleted");
      assertEquals(12, event.getLong("messages"));
    }
  }

  @Test
  void orphansAreRemovedAndOtherTenantsAreLeftAlone(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, settings());
        Connection admin = adminConnection(service)) {
      String ghost = TestEnv.unique("ghost");
      String live = TestEnv.unique("live");
      service.claim(live, null);
      Channel channel = admin.createChannel();
      channel.queueDeclare("queue/" + ghost + "/left", true, false, false, null);
      channel.exchangeDeclare("exchange/" + ghost + "/left", "topic", true);
      channel.queueDeclare("queue/" + live + "/kept", true, false, false, null);
      channel.queueDeclare("other-tenant-queue", true, false, false, null);
      channel.exchangeDeclare("other.tenant.exchange", "topic", true);

      // A user the service made for a namespace that no longer exists, connected; and a foreign user.
      String ghostUser = service.username(ghost, 1);
      String foreignUser = TestEnv.unique("foreign") + "-1";
      for (String user : List.of(ghostUser, foreignUser)) {
        TestEnv.management(service.client, "PUT", "/users/" + TestEnv.encode(user), new JsonObject()
            .put("password", "pw-" + user).put("tags", user.equals(ghostUser) ? "pulse-managed" : ""));
        TestEnv.management(service.client, "PUT", "/permissions/" + TestEnv.encode(service.vhost) + "/"
            + TestEnv.encode(user), new JsonObject().put("configure", "").put("write", "").put("read", ""));
      }
      AtomicReference<ShutdownSignalException> ghostClosed = new AtomicReference<>();
      Connection ghostConnection = TestEnv.connect(userUrl(service, ghostUser));
      ghostConnection.addShutdownListener(ghostClosed::set);
      Connection foreignConnection = TestEnv.connect(userUrl(service, foreignUser));
      try {
        TestEnv.eventually(60, "orphan queue and exchange removed",
            () -> queueStatus(service, "queue/" + ghost + "/left") == 404
                && exchangeStatus(service, "exchange/" + ghost + "/left") == 404);
        TestEnv.eventually(60, "the orphan user's connection closed", () -> ghostClosed.get() != null);
        assertTrue(ghostClosed.get().getMessage().contains("no longer exists"), ghostClosed.get().getMessage());
        assertEquals(200, queueStatus(service, "queue/" + live + "/kept"));
        assertEquals(200, queueStatus(service, "other-tenant-queue"));
        assertEquals(200, exchangeStatus(service, "other.tenant.exchange"));
        assertTrue(foreignConnection.isOpen(), "a foreign user's connection is left alone");
        assertTrue(admin.isOpen(), "the broker admin's connection is left alone");
      } finally {
        foreignConnection.close();
        TestEnv.management(service.client, "DELETE", "/users/" + TestEnv.encode(foreignUser), null);
      }
    }
  }

  @Test
  void connectionsOlderThanTheMaximumLifetimeAreClosedButTheAdminsIsKept(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, settings("PULSE_CONNECTION_MAX_LIFETIME", "2s"));
        Connection admin = adminConnection(service)) {
      String ns = TestEnv.unique("old");
      String credentials = service.claim(ns, null).bodyAsJsonObject().getString("connectionString");
      AtomicReference<ShutdownSignalException> closed = new AtomicReference<>();
      Connection connection = TestEnv.connect(credentials);
      connection.addShutdownListener(closed::set);
      TestEnv.eventually(60, "the old connection closed", () -> closed.get() != null);
      assertTrue(closed.get().getMessage().contains("at most 2s"), closed.get().getMessage());
      TestEnv.eventually(30, "connection-closed in the history", () -> events(History.createProxy(vertx, 30_000), ns)
          .stream().anyMatch(e -> "connection-closed".equals(e.getString("event"))));
      JsonObject event = events(History.createProxy(vertx, 30_000), ns).stream()
          .filter(e -> "connection-closed".equals(e.getString("event"))).findFirst().orElseThrow();
      assertEquals(service.username(ns, 1), event.getString("user"));
      assertTrue(event.getString("reason").contains("at most 2s"), event.encode());
      assertTrue(event.getString("connection") != null && !event.getString("connection").isEmpty(), event.encode());
      service.awaitMonitorSweeps(2, "ok");
      assertTrue(admin.isOpen(), "the broker admin's connection is not managed, so never closed");
    }
  }

  @Test
  void aDryRunDeletesClosesAndSendsNothing(Vertx vertx) throws Exception {
    try (RunningService service = RunningService.start(vertx, settings("PULSE_DRY_RUN", "true",
        "PULSE_CONNECTION_MAX_LIFETIME", "1s"));
        Connection admin = adminConnection(service)) {
      String ns = TestEnv.unique("dry");
      String ghost = TestEnv.unique("ghost");
      Channel events = eventsQueue(service, admin, "#");
      String credentials = service.claim(ns, new JsonObject().put("contact", "dry@example.com"))
          .bodyAsJsonObject().getString("connectionString");
      Connection connection = TestEnv.connect(credentials);
      Channel channel = connection.createChannel();
      String queue = "queue/" + ns + "/flood";
      channel.queueDeclare(queue, true, false, false, null);
      fill(admin, queue, 12);
      admin.createChannel().queueDeclare("queue/" + ghost + "/left", true, false, false, null);
      // Long enough for the statistics to show the messages and for many sweeps to see them.
      TestEnv.eventually(60, "the broker counts the messages", () -> TestEnv.management(service.client, "GET",
          "/queues/" + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(queue), null).bodyAsJsonObject()
          .getLong("messages", 0L) == 12);
      service.awaitMonitorSweeps(5, "ok");
      assertEquals(200, queueStatus(service, queue), "the full queue stays");
      assertEquals(200, queueStatus(service, "queue/" + ghost + "/left"), "the orphan stays");
      assertTrue(connection.isOpen(), "the old connection stays open");
      assertEquals(0, mails().size(), "no mail");
      assertEquals(null, events.basicGet(eventsQueueName, true), "no event");
      connection.close();
    }
  }

  @Test
  void aSweepSurvivesABrokerOutageAndCarriesOnAfterIt(Vertx vertx) throws Exception {
    // The service reaches the management API through a TCP relay that the test cuts and restores.
    TcpRelay relay = TcpRelay.start(vertx, TestEnv.RABBIT_HOST, TestEnv.MANAGEMENT_PORT);
    try (RunningService service = RunningService.start(vertx, settings(
        "PULSE_RABBIT_API", "http://127.0.0.1:" + relay.port() + "/api", "PULSE_RABBIT_TIMEOUT", "1s"));
        Connection admin = adminConnection(service)) {
      String ns = TestEnv.unique("outage");
      String credentials = service.claim(ns, new JsonObject().put("contact", "outage@example.com"))
          .bodyAsJsonObject().getString("connectionString");
      relay.cut();
      service.awaitMonitorSweeps(1, "failed");
      try (Connection connection = TestEnv.connect(credentials)) {
        Channel channel = connection.createChannel();
        String queue = "queue/" + ns + "/during";
        channel.queueDeclare(queue, true, false, false, null);
        fill(admin, queue, 7);
        service.awaitMonitorSweeps(1, "failed");
        assertEquals(0, mails().size(), "nothing can be seen while the management API is down");
        relay.restore();
        TestEnv.eventually(60, "a warning once the broker is back", () -> mails().size() == 1);
        assertTrue(subject(mails().get(0)).contains(queue));
      }
    } finally {
      relay.close();
    }
  }

  @Test
  void withThePrometheusSourceQueuesAreWarnedAndDeletedAndAnOutageOfTheEndpointFailsSweepsUntilItIsBack(Vertx vertx)
      throws Exception {
    // The service reads depths from the Prometheus endpoint through a relay the test cuts; the management API stays up.
    TcpRelay relay = TcpRelay.start(vertx, TestEnv.RABBIT_HOST, TestEnv.PROMETHEUS_PORT);
    try (RunningService service = RunningService.start(vertx, settings(
        "PULSE_RABBIT_PROMETHEUS_URL", "http://127.0.0.1:" + relay.port(), "PULSE_RABBIT_TIMEOUT", "1s"));
        Connection admin = adminConnection(service)) {
      String ns = TestEnv.unique("prom");
      service.claim(ns, new JsonObject().put("contact", "prom@example.com"));
      String flood = "queue/" + ns + "/flood";
      String slow = "queue/" + ns + "/slow";
      try (Channel channel = admin.createChannel()) {
        channel.queueDeclare(flood, true, false, false, null);
        channel.queueDeclare(slow, true, false, false, null);
      }
      fill(admin, flood, 12);
      TestEnv.eventually(60, "the queue over the delete threshold deleted", () -> queueStatus(service, flood) == 404);

      relay.cut();
      service.awaitMonitorSweeps(1, "failed");
      fill(admin, slow, 7);
      service.awaitMonitorSweeps(1, "failed");
      assertTrue(mails().stream().noneMatch(m -> subject(m).contains(slow)), "nothing seen while the endpoint is down");
      relay.restore();
      TestEnv.eventually(90, "a warning once the endpoint is back (after the backoff)",
          () -> mails().stream().anyMatch(m -> subject(m).contains(slow) && subject(m).contains("7 messages")));
      assertEquals(200, queueStatus(service, slow));
    } finally {
      relay.close();
    }
  }

  @Test
  void aNamespacesOwnThresholdsContactsAndExemptionsRuleItsQueuesAndTheHistoryTellsWhatHappened(Vertx vertx)
      throws Exception {
    List<JsonObject> busEvents = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Events.QUEUE_EVENTS, m -> busEvents.add(m.body()));
    try (RunningService service = RunningService.start(vertx, settings());
        Connection admin = adminConnection(service)) {
      NamespaceService namespaces = NamespaceService.createProxy(vertx, 30_000);
      String strict = TestEnv.unique("strict");
      String plain = TestEnv.unique("plain");
      service.claim(strict, new JsonObject().put("contact", "claimer@example.com"));
      service.claim(plain, new JsonObject().put("contact", "plain@example.com"));
      namespaces.updateNamespace(strict, new JsonObject()
          .put("contacts", new io.vertx.core.json.JsonArray().add("first@example.com").add("second@example.com"))
          .put("alertThreshold", 2)).await();
      String exempt = "queue/" + strict + "/exempt";
      PulseAdminService.createProxy(vertx, 30_000).putExemption(exempt, new JsonObject().put("reason", "a migration")
          .put("expires", Instant.now().plusSeconds(3600).toString())).await();

      String strictQueue = "queue/" + strict + "/q";
      String plainQueue = "queue/" + plain + "/q";
      String flood = "queue/" + plain + "/flood";
      try (Channel channel = admin.createChannel()) {
        for (String queue : List.of(strictQueue, plainQueue, exempt, flood)) {
          channel.queueDeclare(queue, true, false, false, null);
        }
      }
      fill(admin, strictQueue, 3);
      fill(admin, plainQueue, 3);
      fill(admin, exempt, 12);
      fill(admin, flood, 12);

      TestEnv.eventually(60, "the warning to both contacts of " + strict, () -> mails().stream()
          .filter(m -> subject(m).contains(strictQueue)).count() == 2);
      List<String> recipients = new ArrayList<>();
      for (MimeMessage m : mails()) {
        if (subject(m).contains(strictQueue)) {
          recipients.add(m.getAllRecipients()[0].toString());
        }
      }
      recipients.sort(null);
      assertEquals(List.of("first@example.com", "second@example.com"), recipients, "every contact, not the claimer");
      assertTrue(GreenMailUtil.getBody(mails().stream().filter(m -> subject(m).contains(strictQueue)).findFirst()
          .orElseThrow()).contains("above 2"), "the namespace's own threshold is named");

      TestEnv.eventually(60, "the flood queue deleted", () -> queueStatus(service, flood) == 404);
      // Several sweeps after the broker shows the exempt queue's 12 messages: it is still there, and nobody was told.
      TestEnv.eventually(60, "the broker counts the exempt queue's messages", () -> TestEnv.management(service.client,
          "GET", "/queues/" + TestEnv.encode(service.vhost) + "/" + TestEnv.encode(exempt), null).bodyAsJsonObject()
          .getLong("messages", 0L) == 12);
      service.awaitMonitorSweeps(3, "ok");
      assertEquals(200, queueStatus(service, exempt), "an exempt queue above the delete threshold survives");
      assertTrue(mails().stream().noneMatch(m -> subject(m).contains(exempt)), "and nobody is warned about it");
      assertTrue(mails().stream().noneMatch(m -> subject(m).contains(plainQueue)),
          "3 messages are below the default threshold of 5");

      JsonObject warned = busEvents.stream().filter(e -> strictQueue.equals(e.getString("queue"))).findFirst()
          .orElseThrow();
      assertEquals(2, warned.getLong("alertThreshold"), "the event carries the namespace's own threshold");
      assertEquals(10, warned.getLong("deleteThreshold"));

      try (Channel channel = admin.createChannel()) {
        channel.queuePurge(strictQueue);
      }
      History history = History.createProxy(vertx, 30_000);
      TestEnv.eventually(60, "queue-normal in the history of " + strict, () -> events(history, strict).stream()
          .anyMatch(e -> "queue-normal".equals(e.getString("event"))));
      JsonObject warnedEvent = events(history, strict).stream().filter(e -> "queue-warned".equals(e.getString("event")))
          .findFirst().orElseThrow();
      assertEquals(strictQueue, warnedEvent.getString("queue"));
      assertEquals(3, warnedEvent.getLong("messages"));
      assertEquals(2, warnedEvent.getLong("alertThreshold"));
      JsonObject normal = events(history, strict).stream().filter(e -> "queue-normal".equals(e.getString("event")))
          .findFirst().orElseThrow();
      assertEquals(strictQueue, normal.getString("queue"));
      assertEquals(0, normal.getLong("messages"));
      JsonObject deleted = events(history, plain).stream().filter(e -> "queue-deleted".equals(e.getString("event")))
          .findFirst().orElseThrow();
      assertEquals(flood, deleted.getString("queue"));
      assertEquals(12, deleted.getLong("messages"));
      assertEquals("monitor", deleted.getString("by"));
      assertTrue(events(history, strict).stream().noneMatch(e -> exempt.equals(e.getString("queue"))
          && e.getString("event").startsWith("queue-") && !e.getString("event").startsWith("queue-exempt")),
          "nothing happened to the exempt queue");
    }
  }

  private static List<JsonObject> events(History history, String namespace) {
    List<JsonObject> events = new ArrayList<>();
    history.page(new JsonObject().put("namespace", namespace).put("limit", 100)).await().getJsonArray("events")
        .forEach(e -> events.add((JsonObject) e));
    return events;
  }

  // --- helpers --------------------------------------------------------------------------------------------

  private String eventsQueueName;

  /** A queue bound to the events exchange (declared here as the service declares it) with {@code bindingKey}. */
  private Channel eventsQueue(RunningService service, Connection admin, String bindingKey) throws Exception {
    Channel channel = admin.createChannel();
    String exchange = service.config.namespaces().eventsExchange();
    channel.exchangeDeclare(exchange, "topic", true, false, null);
    eventsQueueName = channel.queueDeclare().getQueue();
    channel.queueBind(eventsQueueName, exchange, bindingKey);
    return channel;
  }

  private JsonObject nextEvent(Channel channel, String routingKey) throws Exception {
    for (int i = 0; i < 300; i++) {
      GetResponse message = channel.basicGet(eventsQueueName, true);
      if (message != null && message.getEnvelope().getRoutingKey().equals(routingKey)) {
        return new JsonObject(new String(message.getBody(), StandardCharsets.UTF_8));
      }
      if (message == null) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("no event with routing key " + routingKey);
  }

  private static void fill(Connection admin, String queue, int messages) throws Exception {
    try (Channel channel = admin.createChannel()) {
      for (int i = 0; i < messages; i++) {
        channel.basicPublish("", queue, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static Connection adminConnection(RunningService service) throws Exception {
    return TestEnv.connect(TestEnv.amqpUrl(service.vhost)
        .replace("amqp://", "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"));
  }

  private static String userUrl(RunningService service, String user) {
    return TestEnv.amqpUrl(service.vhost).replace("amqp://", "amqp://" + TestEnv.encode(user) + ":"
        + TestEnv.encode("pw-" + user) + "@");
  }

  private List<MimeMessage> mails() {
    return new ArrayList<>(List.of(smtp.getReceivedMessages()));
  }

  private static String subject(MimeMessage message) {
    try {
      return message.getSubject();
    } catch (Exception e) {
      return "";
    }
  }

  private static int queueStatus(RunningService service, String name) {
    return TestEnv.management(service.client, "GET", "/queues/" + TestEnv.encode(service.vhost) + "/"
        + TestEnv.encode(name), null).statusCode();
  }

  private static int exchangeStatus(RunningService service, String name) {
    return TestEnv.management(service.client, "GET", "/exchanges/" + TestEnv.encode(service.vhost) + "/"
        + TestEnv.encode(name), null).statusCode();
  }
}
