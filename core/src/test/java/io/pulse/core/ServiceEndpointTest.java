package io.pulse.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pulse.client.NamespaceService;
import io.pulse.client.NamespaceServiceVertxProxyHandler;
import io.pulse.client.PulseAdminService;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Raw messages, as code that does not use the generated proxy sends them, against the namespace service on the fakes:
 * the documented wire format works, and whatever breaks it is a 400 with the documented code, never a 500, and is
 * logged on one line without a stack trace.
 */
class ServiceEndpointTest {

  private final CoreFixture f = new CoreFixture();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private MessageConsumer<Object> consumer;

  @BeforeEach
  void serve() {
    logged.start();
    root.addAppender(logged);
    consumer = ServiceEndpoint.registerLocal(f.vertx, NamespaceService.ADDRESS, NamespaceService.class,
        new NamespaceServiceVertxProxyHandler(f.vertx, f.core, true, -1));
    consumer.completion().await();
  }

  @AfterEach
  void close() {
    root.detachAppender(logged);
    f.close();
  }

  private Future<Object> send(String action, Object body) {
    DeliveryOptions options = new DeliveryOptions();
    if (action != null) {
      options.addHeader("action", action);
    }
    return f.vertx.eventBus().request(NamespaceService.ADDRESS, body, options).map(reply -> reply.body());
  }

  private static ServiceException refused(Future<?> call, int status, String code, String... named) {
    ServiceException e = assertThrows(ServiceException.class, call::await);
    assertEquals(status, e.failureCode(), e.getMessage());
    assertEquals(code, e.getDebugInfo().getString("code"), e.getMessage());
    for (String word : named) {
      assertTrue(e.getMessage().contains(word), "the message names " + word + ": " + e.getMessage());
    }
    return e;
  }

  @Test
  void theDocumentedRawClaimWorksAndKeepsTheContact() {
    JsonObject answer = (JsonObject) send("claimNamespace", new JsonObject().put("namespace", "raw")
        .put("payload", new JsonObject().put("contact", "owner@example.com"))).await();

    assertEquals("raw", answer.getString("namespace"));
    assertTrue(answer.getString("connectionString").startsWith("amqp://u-raw-1:"));
    assertEquals("owner@example.com", f.store.record("raw").contact());
    JsonObject listed = (JsonObject) send("listNamespaces", new JsonObject()).await();
    assertEquals("raw", listed.getJsonArray("namespaces").getJsonObject(0).getString("namespace"));
    assertNull(send("revokeNamespace", new JsonObject().put("namespace", "raw")).await(), "revoke answers null");
  }

  @Test
  void theNaturalGuessWithTheContactAtTopLevelIsRefusedNotSilentlyDropped() {
    refused(send("claimNamespace", new JsonObject().put("namespace", "guess").put("contact", "owner@example.com")),
        400, "InputValidationError", "'contact'", "\"payload\"");
    assertNull(f.store.record("guess"), "nothing is claimed");
    assertEquals(List.of(), f.rabbit.calls, "nothing is made on the broker");
  }

  @Test
  void aMessageWithoutActionOrWithAnUnknownOneIsA400NamingTheActions() {
    refused(send(null, new JsonObject().put("namespace", "x")), 400, "InvalidRequestArguments",
        "'action'", "claimNamespace", "listNamespaces", "namespace", "revokeNamespace");
    refused(send("deleteEverything", new JsonObject()), 400, "InvalidRequestArguments",
        "'deleteEverything'", "claimNamespace");
  }

  @Test
  void aBodyThatIsNotAJsonObjectIsMalformed() {
    refused(send("namespace", "{\"namespace\": \"x\"}"), 400, "MalformedPayload", "JSON object", "a string");
    refused(send("namespace", null), 400, "MalformedPayload", "not null");
    refused(send("namespace", new JsonArray().add("x")), 400, "MalformedPayload", "a JSON array");
    refused(send("namespace", Buffer.buffer("{}")), 400, "MalformedPayload", "Buffer");
  }

  @Test
  void valuesOfTheWrongTypeAreRefusedBeforeTheServiceSeesThem() {
    refused(send("namespace", new JsonObject().put("namespace", 42)), 400, "InputValidationError",
        "'namespace'", "a string", "a number");
    refused(send("claimNamespace", new JsonObject().put("namespace", "typed").put("payload", "contact=me")),
        400, "InputValidationError", "'payload'", "a JSON object");
    refused(send("listNamespaces", new JsonObject().put("query", new JsonArray())), 400, "InputValidationError",
        "'query'");
    assertNull(f.store.record("typed"));
  }

  @Test
  void anAbsentKeyIsNullAndTheServiceAppliesItsOwnRules() {
    refused(send("namespace", new JsonObject()), 400, "InvalidNamespace");
    JsonObject claimed = (JsonObject) send("claimNamespace", new JsonObject().put("namespace", "nopayload")).await();
    assertEquals("nopayload", claimed.getString("namespace"));
  }

  @Test
  void refusalsAreOneInfoLineEachAndNeverAStackTrace() {
    List<Future<Object>> calls = List.of(
        send(null, new JsonObject()),
        send("unknown\nforged line", new JsonObject()),
        send("namespace", "text"),
        send("namespace", new JsonObject().put("namespace", 1)),
        send("claimNamespace", new JsonObject().put("namespace", "x").put("contact", "a@example.com")));
    for (Future<Object> call : calls) {
      assertInstanceOf(ServiceException.class, assertThrows(Exception.class, call::await));
    }
    List<ILoggingEvent> refusals = logged.list.stream()
        .filter(e -> e.getFormattedMessage().startsWith("Refused a message to pulse.namespaces"))
        .collect(Collectors.toList());
    assertEquals(calls.size(), refusals.size(), "one line per refusal: " + refusals);
    refusals.forEach(e -> assertEquals(Level.INFO, e.getLevel()));
    assertTrue(refusals.stream().noneMatch(e -> e.getFormattedMessage().contains("\n")),
        "caller text cannot forge a log line");
    List<ILoggingEvent> traces = logged.list.stream()
        .filter(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(Level.WARN))
        .collect(Collectors.toList());
    assertEquals(List.of(), traces, "no stack trace, no warning");
  }

  @Test
  void theActionsAreTheInterfaceMethodsWithTheirParameterNames() {
    Map<String, ServiceEndpoint.Action> actions = ServiceEndpoint.actions(NamespaceService.class);
    assertEquals("{claimNamespace={\"namespace\": a string or null, \"payload\": a JSON object or null},"
        + " deleteQueue={\"namespace\": a string or null, \"queue\": a string or null},"
        + " listNamespaces={\"query\": a JSON object or null}, namespace={\"namespace\": a string or null},"
        + " namespaceConnections={\"namespace\": a string or null},"
        + " namespaceDetails={\"namespace\": a string or null},"
        + " namespaceHistory={\"namespace\": a string or null, \"query\": a JSON object or null},"
        + " namespaceQueues={\"namespace\": a string or null, \"query\": a JSON object or null},"
        + " purgeQueue={\"namespace\": a string or null, \"queue\": a string or null},"
        + " revokeNamespace={\"namespace\": a string or null},"
        + " updateNamespace={\"namespace\": a string or null, \"changes\": a JSON object or null}}",
        actions.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().describe())
            .collect(Collectors.joining(", ", "{", "}")));
  }

  /** docs/event-bus.md documents every action with each of its body keys, so the document cannot fall behind. */
  @Test
  void theWireContractDocumentListsEveryActionAndItsKeys() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "event-bus.md"));
    Stream.of(NamespaceService.class, PulseAdminService.class).flatMap(service ->
        ServiceEndpoint.actions(service).values().stream()).forEach(action -> {
      String row = doc.lines().filter(line -> line.startsWith("| `" + action.name() + "` |")).findFirst()
          .orElseThrow(() -> new AssertionError("docs/event-bus.md has no row for action " + action.name()));
      action.params().forEach(p -> assertTrue(row.contains("\"" + p.name() + "\""),
          "the row of " + action.name() + " names the key " + p.name() + ": " + row));
    });
  }
}
