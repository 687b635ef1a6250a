package io.pulse.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Properties of Taskcluster's scope rules ({@link Scopes}) on generated scopes and expressions. */
class ScopesProperties {

  // --- single scopes ---------------------------------------------------------------------------------------------

  @Test
  void anyHeldAndRequiredStringsAreComparedWithoutThrowing() {
    ForAll.check(ForAll.TRIES, random -> new Case(held(random), scope(random)), c -> {
      Scopes.satisfiesAny(c.held(), (String) c.required());
      Scopes.satisfied(c.held(), c.required());
      Scopes.unsatisfied(c.held(), c.required());
      c.held().forEach(held -> Scopes.satisfies(held, (String) c.required()));
    });
  }

  @Test
  void aHeldScopeSatisfiesItself() {
    ForAll.checkStrings(ForAll.TRIES, ScopesProperties::scope, scope -> assertTrue(Scopes.satisfies(scope, scope)));
  }

  @Test
  void aHeldPrefixStarSatisfiesEveryScopeWithThatPrefix() {
    ForAll.check(ForAll.TRIES, random -> List.of(scope(random), scope(random)), prefixAndRest ->
        assertTrue(Scopes.satisfies(prefixAndRest.get(0) + "*", prefixAndRest.get(0) + prefixAndRest.get(1))));
  }

  @Test
  void aHeldPrefixStarSatisfiesNothingWithoutThatPrefix() {
    ForAll.check(ForAll.TRIES, random -> List.of(scope(random), scope(random)), prefixAndRequired -> {
      String prefix = prefixAndRequired.get(0);
      String required = prefixAndRequired.get(1);
      assertEquals(required.startsWith(prefix), Scopes.satisfies(prefix + "*", required));
    });
  }

  /**
   * So a {@code *} inside a required scope is a literal character: held {@code a} does not satisfy {@code a*}, and
   * held {@code a*b} satisfies only {@code a*b}.
   */
  @Test
  void aHeldScopeWithoutTrailingStarSatisfiesOnlyItself() {
    ForAll.check(ForAll.TRIES, random -> {
      String held = withStarInside(random);
      String required = random.nextBoolean() ? held : random.nextBoolean() ? withStarInside(random)
          : held.substring(0, random.nextInt(held.length())) + "*";
      return List.of(held, required);
    }, heldAndRequired -> {
      String held = heldAndRequired.get(0);
      String required = heldAndRequired.get(1);
      assertEquals(held.equals(required), Scopes.satisfies(held, required));
    });
  }

  // --- expressions -----------------------------------------------------------------------------------------------

  @Test
  void anEmptyAllOfIsSatisfiedAndAnEmptyAnyOfIsNot() {
    ForAll.check(ForAll.TRIES, ScopesProperties::held, held -> {
      assertTrue(Scopes.satisfied(held, allOf(List.of())));
      assertNull(Scopes.unsatisfied(held, allOf(List.of())));
      assertFalse(Scopes.satisfied(held, anyOf(List.of())));
      assertEquals(anyOf(List.of()), Scopes.unsatisfied(held, anyOf(List.of())));
    });
  }

  @Test
  void unsatisfiedIsNullExactlyWhenTheExpressionHolds() {
    ForAll.check(3 * ForAll.TRIES, random -> new Case(held(random), expression(random, 3)), c -> {
      boolean holds = holds(c.held(), c.required());
      assertEquals(holds, Scopes.unsatisfied(c.held(), c.required()) == null);
      assertEquals(holds, Scopes.satisfied(c.held(), c.required()));
      Scopes.describe(c.required());
    });
  }

  /** What an InsufficientScopes message names is really missing, and granting it is enough. */
  @Test
  void whatUnsatisfiedNamesIsMissingAndEnough() {
    ForAll.check(3 * ForAll.TRIES, random -> new Case(held(random), expression(random, 3)), c -> {
      Object missing = Scopes.unsatisfied(c.held(), c.required());
      if (missing == null) {
        return;
      }
      assertFalse(Scopes.satisfied(c.held(), missing));
      if (!hasEmptyAnyOf(c.required())) {
        List<String> granted = new ArrayList<>(c.held());
        collectScopes(missing, granted);
        assertTrue(Scopes.satisfied(granted, c.required()), "granted " + granted);
      }
    });
  }

  @Test
  void moreHeldScopesNeverUnsatisfyAnExpression() {
    ForAll.check(ForAll.TRIES, random -> new Case(held(random), expression(random, 3)), c -> {
      if (Scopes.satisfied(c.held(), c.required())) {
        List<String> more = new ArrayList<>(c.held());
        more.add("extra");
        more.add("*x");
        assertTrue(Scopes.satisfied(more, c.required()));
      }
    });
  }

  // --- generators and a reference evaluation -------------------------------------------------------------------

  private record Case(List<String> held, Object required) {
  }

  /** Scopes from a small alphabet, so that prefixes and equal scopes are common, and now and then anything. */
  private static String scope(Random random) {
    int length = random.nextInt(random.nextInt(10) == 0 ? 200 : 6);
    StringBuilder scope = new StringBuilder(length);
    boolean anything = random.nextInt(5) == 0;
    for (int i = 0; i < length; i++) {
      scope.append(anything ? (char) random.nextInt(0x10000) : "ab:*".charAt(random.nextInt(4)));
    }
    return scope.toString();
  }

  private static String withStarInside(Random random) {
    String scope = scope(random);
    int at = random.nextInt(scope.length() + 1);
    return scope.substring(0, at) + "*" + scope.substring(at) + "b";
  }

  private static List<String> held(Random random) {
    List<String> held = new ArrayList<>();
    for (int i = random.nextInt(6); i > 0; i--) {
      held.add(scope(random));
    }
    return held;
  }

  private static Object expression(Random random, int depth) {
    if (depth == 0 || random.nextInt(3) == 0) {
      return scope(random);
    }
    List<Object> items = new ArrayList<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      items.add(expression(random, depth - 1));
    }
    return random.nextBoolean() ? allOf(items) : anyOf(items);
  }

  private static JsonObject allOf(List<Object> items) {
    return new JsonObject().put("AllOf", new JsonArray(items));
  }

  private static JsonObject anyOf(List<Object> items) {
    return new JsonObject().put("AnyOf", new JsonArray(items));
  }

  /** The rules as the docs state them, without the simplification that {@link Scopes#unsatisfied} does. */
  private static boolean holds(List<String> held, Object expression) {
    if (expression instanceof String) {
      return held.stream().anyMatch(scope -> scope.equals(expression)
          || scope.endsWith("*") && ((String) expression).startsWith(scope.substring(0, scope.length() - 1)));
    }
    JsonObject object = (JsonObject) expression;
    if (object.containsKey("AllOf")) {
      return object.getJsonArray("AllOf").stream().allMatch(item -> holds(held, item));
    }
    return object.getJsonArray("AnyOf").stream().anyMatch(item -> holds(held, item));
  }

  private static boolean hasEmptyAnyOf(Object expression) {
    if (expression instanceof String) {
      return false;
    }
    JsonObject object = (JsonObject) expression;
    JsonArray items = object.containsKey("AllOf") ? object.getJsonArray("AllOf") : object.getJsonArray("AnyOf");
    return object.containsKey("AnyOf") && items.isEmpty() || items.stream().anyMatch(ScopesProperties::hasEmptyAnyOf);
  }

  private static void collectScopes(Object expression, List<String> into) {
    if (expression instanceof String) {
      into.add((String) expression);
      return;
    }
    JsonObject object = (JsonObject) expression;
    JsonArray items = object.containsKey("AllOf") ? object.getJsonArray("AllOf") : object.getJsonArray("AnyOf");
    items.forEach(item -> collectScopes(item, into));
  }
}
