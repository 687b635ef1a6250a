package io.pulse.api.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Taskcluster's scope rules. A held scope satisfies a required one when equal, or when it ends in {@code *} and the
 * required scope starts with what precedes the star ({@code *} inside a required scope is literal). Requirements are
 * a scope string, {@code {"AllOf": [...]}} (empty: satisfied) or {@code {"AnyOf": [...]}} (empty: not), nested.
 */
public final class Scopes {

  private Scopes() {
  }

  public static boolean satisfies(String held, String required) {
    if (held.equals(required)) {
      return true;
    }
    return held.endsWith("*") && required.startsWith(held.substring(0, held.length() - 1));
  }

  public static boolean satisfiesAny(Collection<String> held, String required) {
    for (String scope : held) {
      if (satisfies(scope, required)) {
        return true;
      }
    }
    return false;
  }

  public static boolean satisfied(Collection<String> held, Object expression) {
    return unsatisfied(held, expression) == null;
  }

  /**
   * The part of {@code expression} that {@code held} does not satisfy, simplified ({@code null} when satisfied):
   * what an InsufficientScopes message names.
   */
  public static Object unsatisfied(Collection<String> held, Object expression) {
    if (expression instanceof String) {
      return satisfiesAny(held, (String) expression) ? null : expression;
    }
    if (expression instanceof JsonObject) {
      JsonObject object = (JsonObject) expression;
      if (object.size() == 1 && object.getValue("AllOf") instanceof JsonArray) {
        List<Object> missing = new ArrayList<>();
        for (Object sub : object.getJsonArray("AllOf")) {
          Object m = unsatisfied(held, sub);
          if (m != null) {
            missing.add(m);
          }
        }
        return missing.isEmpty() ? null : missing.size() == 1 ? missing.get(0)
            : new JsonObject().put("AllOf", new JsonArray(missing));
      }
      if (object.size() == 1 && object.getValue("AnyOf") instanceof JsonArray) {
        List<Object> missing = new ArrayList<>();
        for (Object sub : object.getJsonArray("AnyOf")) {
          Object m = unsatisfied(held, sub);
          if (m == null) {
            return null;
          }
          missing.add(m);
        }
        return missing.size() == 1 ? missing.get(0) : new JsonObject().put("AnyOf", new JsonArray(missing));
      }
    }
    throw new IllegalArgumentException("not a scope expression: " + expression);
  }

  /** A readable form of an expression: {@code a}, {@code AllOf(a, b)}, {@code AnyOf(a, AllOf(b, c))}. */
  public static String describe(Object expression) {
    if (expression instanceof String) {
      return (String) expression;
    }
    JsonObject object = (JsonObject) expression;
    String kind = object.containsKey("AllOf") ? "AllOf" : "AnyOf";
    List<String> parts = new ArrayList<>();
    object.getJsonArray(kind).forEach(sub -> parts.add(describe(sub)));
    return kind + "(" + String.join(", ", parts) + ")";
  }
}
