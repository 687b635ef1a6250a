package io.pulse.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.pulse.config.Naming;
import io.pulse.config.PulseConfig;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.ext.web.client.WebClient;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both sources of queue depths against the real broker, in a vhost of the test's own: the management listing and the
 * rabbitmq_prometheus endpoint. Counts come from the broker's statistics, which lag up to 5 s: waits are generous.
 */
class DepthSourcesTest {

  private final Vertx vertx = Vertx.vertx();
  private final WebClient web = WebClient.create(vertx);
  private final HttpClient http = vertx.createHttpClient();
  private final Context context = vertx.getOrCreateContext();
  private final String prefix = TestEnv.unique("dq") + "-";
  private Naming naming;
  private Predicate<String> managed;
  private String vhost;
  private Connection admin;

  @BeforeEach
  void setUp() throws Exception {
    vhost = TestEnv.createVhost(web);
    naming = PulseConfig.fromMap(Map.of("PULSE_NAMESPACE_PREFIX", prefix)).naming();
    managed = name -> naming.namespaceOfQueue(name) != null;
    admin = TestEnv.connect(TestEnv.amqpUrl(vhost)
        .replace("amqp://", "amqp://" + TestEnv.ADMIN_USER + ":" + TestEnv.ADMIN_PASSWORD + "@"));
  }

  @AfterEach
  void tearDown() throws Exception {
    admin.close();
    TestEnv.deleteVhost(web, vhost);
    vertx.close().await();
  }

  private DepthSource listing() {
    return onContext(new ManagementListing(http, URI.create(TestEnv.managementApi()), TestEnv.ADMIN_USER,
        TestEnv.ADMIN_PASSWORD, vhost, 30_000));
  }

  private DepthSource prometheus() {
    return onContext(new PrometheusDepths(http, URI.create(TestEnv.prometheusUrl()), vhost, 30_000));
  }

  /**
   * A source read on one Vert.x context, as the monitor verticle reads it: a streamed body's handlers are set on the
   * context its connection delivers to (from the test's own thread, each call would get another event loop).
   */
  private DepthSource onContext(DepthSource source) {
    return new DepthSource() {
      @Override
      public Future<QueueDepths> read(Predicate<String> keep) {
        Promise<QueueDepths> read = Promise.promise();
        context.runOnContext(v -> source.read(keep).onComplete(read));
        return read.future();
      }

      @Override
      public String describe() {
        return source.describe();
      }
    };
  }

  private void queue(String name, int messages) throws Exception {
    try (Channel channel = admin.createChannel()) {
      channel.queueDeclare(name, false, false, false, null);
      for (int i = 0; i < messages; i++) {
        channel.basicPublish("", name, null, ("m" + i).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static Map<String, Long> asMap(QueueDepths depths) {
    Map<String, Long> map = new HashMap<>();
    for (int i = 0; i < depths.size(); i++) {
      map.put(depths.name(i), depths.messages(i));
    }
    return map;
  }

  /** The managed queues the test made, with what was published to each; the rest must be ignored. */
  private Map<String, Long> fill() throws Exception {
    Map<String, Long> expected = new HashMap<>();
    expected.put("queue/" + prefix + "a/one", 3L);
    expected.put("queue/" + prefix + "a/empty", 0L);
    expected.put("queue/" + prefix + "b/with \"quotes\" and spaces", 2L);
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      queue(e.getKey(), e.getValue().intValue());
    }
    queue("queue/" + prefix.toUpperCase(Locale.ROOT) + "a/one", 5);
    queue("queue/other" + prefix + "/one", 4);
    queue("unmanaged-" + prefix, 1);
    return expected;
  }

  @Test
  void theManagementListingAnswersTheManagedQueuesWithWhatWasPublished() throws Exception {
    Map<String, Long> expected = fill();
    TestEnv.eventually(60, "the listing to show " + expected, () -> expected.equals(asMap(listing().read(managed)
        .await())));
    QueueDepths read = listing().read(managed).await();
    assertEquals(3, read.size(), "the case twin and the other names are not kept");
    assertFalse(read.ambiguous());
  }

  @Test
  void thePrometheusEndpointAnswersTheManagedQueuesWithWhatWasPublished() throws Exception {
    Map<String, Long> expected = fill();
    TestEnv.eventually(60, "the endpoint to show " + expected, () -> expected.equals(asMap(prometheus().read(managed)
        .await())));
    assertFalse(prometheus().read(managed).await().ambiguous());
    // Each source shows the statistics as they were when it last collected them: both come to the same counts.
    TestEnv.eventually(60, "the listing to agree", () -> expected.equals(asMap(listing().read(managed).await())));
  }

  @Test
  void aQueueNameThePrometheusTextCannotCarryUnambiguouslyMarksTheReading() throws Exception {
    queue("queue/" + prefix + "a/plain", 1);
    queue("queue/" + prefix + "a/back\\slash", 1);
    TestEnv.eventually(60, "the endpoint to show the queue with a backslash, and the other's message", () -> {
      QueueDepths read = prometheus().read(managed).await();
      return read.ambiguous() && asMap(read).equals(Map.of("queue/" + prefix + "a/plain", 1L));
    });
    assertEquals(1, prometheus().read(managed).await().size(), "the name with a backslash is not guessed");
    TestEnv.eventually(60, "the listing to show both", () -> asMap(listing().read(managed).await())
        .equals(Map.of("queue/" + prefix + "a/plain", 1L, "queue/" + prefix + "a/back\\slash", 1L)));
  }

  @Test
  void anUnreachableOrRefusingSourceFailsTheReadingWithAReason() {
    int closed = TestEnv.closedPort();
    Throwable down = assertThrows(Throwable.class, () -> onContext(new PrometheusDepths(http,
        URI.create("http://127.0.0.1:" + closed), vhost, 5_000)).read(managed).await());
    assertTrue(down.getMessage().contains("unreachable"), down.getMessage());

    Throwable missing = assertThrows(Throwable.class, () -> onContext(new PrometheusDepths(http,
        URI.create(TestEnv.prometheusUrl() + "/not-here"), vhost, 5_000)).read(managed).await());
    assertTrue(missing.getMessage().contains("answered 404"), missing.getMessage());

    Throwable refused = assertThrows(Throwable.class, () -> onContext(new ManagementListing(http,
        URI.create(TestEnv.managementApi()), TestEnv.ADMIN_USER, "not-the-password", vhost, 5_000))
        .read(managed).await());
    assertTrue(refused.getMessage().contains("answered 401"), refused.getMessage());
    assertFalse(refused.getMessage().contains("not-the-password"), "no secret in the message");
  }
}
