package io.pulse.core;

import io.pulse.client.PulseError;
import io.pulse.config.Text;
import io.vertx.codegen.annotations.GenIgnore;
import io.vertx.codegen.annotations.ProxyIgnore;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import io.vertx.serviceproxy.ServiceExceptionMessageCodec;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code @ProxyGen} service on the event bus with its wire contract enforced: the generated handler sees only
 * messages whose {@code action} header names a method of the interface and whose body is a JSON object holding that
 * method's parameters, by name (an absent key is null), each of its type. Anything else is answered with a 400
 * {@link ServiceException} naming the problem and logged on one line, never as a stack trace: the generated handler
 * would answer 500 and let the bus log its exception, and it silently ignores unknown keys.
 *
 * <p>The contract is read from the interface (its parameter names need the client compiled with {@code -parameters}),
 * so any service interface of the client can be served this way. It is a consumer in front of the generated handler
 * rather than a {@code ServiceBinder} interceptor because an interceptor's failure reaches the caller as a bare
 * {@code ReplyException}, without the {@code {"code"}} the contract promises.
 */
final class ServiceEndpoint implements Handler<Message<Object>> {

  private static final Logger log = LoggerFactory.getLogger(ServiceEndpoint.class);
  static final String ACTION_HEADER = "action";

  /** What a parameter may hold on the wire. */
  enum Kind {
    STRING("a string"), BOOLEAN("a boolean"), WHOLE_NUMBER("a whole number"), NUMBER("a number"),
    OBJECT("a JSON object"), ARRAY("a JSON array");

    final String description;

    Kind(String description) {
      this.description = description;
    }
  }

  /** One key of an action's body; {@code required} for primitives, which cannot be null. */
  record Param(String name, Kind kind, boolean required) {

    String describe() {
      return "\"" + name + "\": " + kind.description + (required ? "" : " or null");
    }
  }

  /** One action: a method of the interface and the body it takes. */
  record Action(String name, List<Param> params) {

    String describe() {
      return "{" + params.stream().map(Param::describe).collect(Collectors.joining(", ")) + "}";
    }
  }

  private final String address;
  private final Map<String, Action> actions;
  private final Handler<Message<JsonObject>> dispatch;

  private ServiceEndpoint(String address, Map<String, Action> actions, Handler<Message<JsonObject>> dispatch) {
    this.address = address;
    this.actions = actions;
    this.dispatch = dispatch;
  }

  /**
   * Serves {@code generated} (the {@code <Interface>VertxProxyHandler} made for the service) at {@code address}, on
   * this Vert.x instance only, behind the contract of {@code contract}.
   */
  static MessageConsumer<Object> registerLocal(Vertx vertx, String address, Class<?> contract,
      Handler<Message<JsonObject>> generated) {
    try {
      vertx.eventBus().registerDefaultCodec(ServiceException.class, new ServiceExceptionMessageCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // The generated handler registers it too.
    }
    return vertx.eventBus().localConsumer(address, new ServiceEndpoint(address, actions(contract), generated));
  }

  /** The actions of a service interface, by name: its abstract methods, their parameters by name and kind. */
  static Map<String, Action> actions(Class<?> contract) {
    Map<String, Action> actions = new TreeMap<>();
    for (Method method : contract.getMethods()) {
      if (Modifier.isStatic(method.getModifiers()) || method.isDefault()
          || method.isAnnotationPresent(ProxyIgnore.class) || method.isAnnotationPresent(GenIgnore.class)) {
        continue;
      }
      List<Param> params = new ArrayList<>();
      for (Parameter p : method.getParameters()) {
        if (!p.isNamePresent()) {
          throw new IllegalStateException(contract.getName() + " was compiled without -parameters: its parameter"
              + " names are the body keys of each action");
        }
        params.add(new Param(p.getName(), kindOf(contract, method, p.getType()), p.getType().isPrimitive()));
      }
      if (actions.put(method.getName(), new Action(method.getName(), List.copyOf(params))) != null) {
        throw new IllegalStateException(contract.getName() + " overloads " + method.getName()
            + ": an action names one method");
      }
    }
    return Collections.unmodifiableMap(actions);
  }

  private static Kind kindOf(Class<?> contract, Method method, Class<?> type) {
    if (type == String.class) {
      return Kind.STRING;
    }
    if (type == boolean.class || type == Boolean.class) {
      return Kind.BOOLEAN;
    }
    if (Arrays.asList(int.class, long.class, Integer.class, Long.class).contains(type)) {
      return Kind.WHOLE_NUMBER;
    }
    if (type == double.class || type == Double.class) {
      return Kind.NUMBER;
    }
    if (type == JsonObject.class) {
      return Kind.OBJECT;
    }
    if (type == JsonArray.class) {
      return Kind.ARRAY;
    }
    throw new IllegalStateException(contract.getName() + "." + method.getName() + " takes a " + type.getName()
        + ", which ServiceEndpoint does not check yet: add its kind");
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void handle(Message<Object> message) {
    ServiceException refused = check(message.headers().get(ACTION_HEADER), message.body());
    if (refused != null) {
      log.info("Refused a message to {}: {}", address, Text.loggable(refused.getMessage()));
      message.reply(refused);
      return;
    }
    try {
      dispatch.handle((Message) message);
    } catch (RuntimeException e) {
      // The generated handler has answered 500; the one log line is here, not the bus's "Unhandled exception".
      log.error("The service at {} failed on action {}", address, message.headers().get(ACTION_HEADER), e);
    }
  }

  /** Why a message breaks the contract, or null when it keeps it. */
  ServiceException check(String actionName, Object body) {
    if (actionName == null) {
      return PulseError.INVALID_REQUEST_ARGUMENTS.exception("A message to " + address + " needs an '"
          + ACTION_HEADER + "' header naming the call: one of " + String.join(", ", actions.keySet()));
    }
    Action action = actions.get(actionName);
    if (action == null) {
      return PulseError.INVALID_REQUEST_ARGUMENTS.exception("Unknown action '" + Text.printable(actionName) + "' at "
          + address + ": the actions are " + String.join(", ", actions.keySet()));
    }
    if (!(body instanceof JsonObject)) {
      return PulseError.MALFORMED_PAYLOAD.exception("The body of action '" + action.name() + "' must be a JSON object"
          + " (io.vertx.core.json.JsonObject) " + action.describe() + ", not " + describe(body));
    }
    JsonObject json = (JsonObject) body;
    for (String key : json.fieldNames()) {
      if (action.params().stream().noneMatch(p -> p.name().equals(key))) {
        return PulseError.INPUT_VALIDATION.exception("The body of action '" + action.name() + "' has an unknown key '"
            + Text.printable(key) + "': it takes " + action.describe());
      }
    }
    for (Param param : action.params()) {
      Object value = json.getValue(param.name());
      if (value == null ? param.required() : !fits(param.kind(), value)) {
        return PulseError.INPUT_VALIDATION.exception("Key '" + param.name() + "' of action '" + action.name()
            + "' must be " + param.kind().description + (param.required() ? "" : " or null") + ", not "
            + describe(value));
      }
    }
    return null;
  }

  private static boolean fits(Kind kind, Object value) {
    switch (kind) {
      case STRING:
        return value instanceof String;
      case BOOLEAN:
        return value instanceof Boolean;
      case WHOLE_NUMBER:
        return value instanceof Number && ((Number) value).doubleValue() == ((Number) value).longValue();
      case NUMBER:
        return value instanceof Number;
      case OBJECT:
        return value instanceof JsonObject;
      default:
        return value instanceof JsonArray;
    }
  }

  /** What a value is, in the contract's words; never its content, which may be anything a caller sent. */
  private static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof JsonObject) {
      return "a JSON object";
    }
    if (value instanceof JsonArray) {
      return "a JSON array";
    }
    return "a " + value.getClass().getName();
  }
}
