package io.pulse.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ScopesTest {

  private static JsonObject allOf(Object... items) {
    return new JsonObject().put("AllOf", new JsonArray(List.of(items)));
  }

  private static JsonObject anyOf(Object... items) {
    return new JsonObject().put("AnyOf", new JsonArray(List.of(items)));
  }

  @Test
  void exactScopeSatisfiesItself() {
    assertTrue(Scopes.satisfies("pulse:namespace:foo", "pulse:namespace:foo"));
    assertFalse(Scopes.satisfies("pulse:namespace:foo", "pulse:namespace:bar"));
  }

  @Test
  void trailingStarMatchesPrefix() {
    assertTrue(Scopes.satisfies("pulse:namespace:*", "pulse:namespace:foo"));
    assertTrue(Scopes.satisfies("pulse:*", "pulse:namespace:foo"));
    assertTrue(Scopes.satisfies("*", "pulse:namespace:foo"));
    assertTrue(Scopes.satisfies("*", ""));
    assertTrue(Scopes.satisfies("pulse:namespace:foo*", "pulse:namespace:foobar"));
    assertTrue(Scopes.satisfies("pulse:namespace:foo*", "pulse:namespace:foo"));
    assertFalse(Scopes.satisfies("pulse:namespace:*", "pulse:other:foo"));
    assertFalse(Scopes.satisfies("pulse:namespace:*", "pulse:"));
  }

  @Test
  void starInsideRequiredScopeIsLiteral() {
    assertTrue(Scopes.satisfies("pulse:namespace:a*b", "pulse:namespace:a*b"));
    assertTrue(Scopes.satisfies("pulse:namespace:a*", "pulse:namespace:a*b"));
    assertFalse(Scopes.satisfies("pulse:namespace:a", "pulse:namespace:a*b"));
    assertFalse(Scopes.satisfies("pulse:namespace:a*b", "pulse:namespace:axb"));
  }

  @Test
  void heldScopeIsNotAPrefixMatchWithoutStar() {
    assertFalse(Scopes.satisfies("pulse:namespace:foo", "pulse:namespace:foobar"));
    assertFalse(Scopes.satisfies("pulse:namespace:foobar", "pulse:namespace:foo"));
  }

  @Test
  void starInTheMiddleOfHeldScopeIsLiteral() {
    assertFalse(Scopes.satisfies("pulse:*:foo", "pulse:namespace:foo"));
  }

  @Test
  void satisfiesAnyChecksEveryHeldScope() {
    assertTrue(Scopes.satisfiesAny(List.of("a", "b", "pulse:*"), "pulse:x"));
    assertFalse(Scopes.satisfiesAny(List.of("a", "b"), "pulse:x"));
    assertFalse(Scopes.satisfiesAny(List.of(), "pulse:x"));
  }

  @Test
  void emptyAllOfIsSatisfiedAndEmptyAnyOfIsNot() {
    assertTrue(Scopes.satisfied(List.of(), allOf()));
    assertNull(Scopes.unsatisfied(List.of(), allOf()));
    assertFalse(Scopes.satisfied(List.of("*"), anyOf()));
    assertEquals(anyOf(), Scopes.unsatisfied(List.of("*"), anyOf()));
  }

  @Test
  void allOfNeedsEveryScope() {
    Set<String> held = Set.of("a", "b");
    assertTrue(Scopes.satisfied(held, allOf("a", "b")));
    assertFalse(Scopes.satisfied(held, allOf("a", "c")));
  }

  @Test
  void anyOfNeedsOneScope() {
    Set<String> held = Set.of("b");
    assertTrue(Scopes.satisfied(held, anyOf("a", "b")));
    assertFalse(Scopes.satisfied(held, anyOf("a", "c")));
  }

  @Test
  void nestedExpressionsAreEvaluated() {
    Object expr = anyOf(allOf("a", "b"), allOf("c", anyOf("d", "e")));
    assertTrue(Scopes.satisfied(Set.of("a", "b"), expr));
    assertTrue(Scopes.satisfied(Set.of("c", "e"), expr));
    assertTrue(Scopes.satisfied(Set.of("*"), expr));
    assertFalse(Scopes.satisfied(Set.of("a", "c"), expr));
    assertFalse(Scopes.satisfied(Set.of("b", "d"), expr));
  }

  @Test
  void plainStringExpressionIsAScope() {
    assertTrue(Scopes.satisfied(List.of("pulse:namespace:*"), "pulse:namespace:x"));
    assertNull(Scopes.unsatisfied(List.of("pulse:namespace:*"), "pulse:namespace:x"));
    assertEquals("pulse:namespace:x", Scopes.unsatisfied(List.of("other"), "pulse:namespace:x"));
  }

  @Test
  void unsatisfiedAllOfNamesOnlyTheMissingScopes() {
    assertEquals("c", Scopes.unsatisfied(Set.of("a", "b"), allOf("a", "b", "c")));
    assertEquals(allOf("c", "d"), Scopes.unsatisfied(Set.of("a"), allOf("a", "c", "d")));
  }

  @Test
  void unsatisfiedAnyOfNamesAllAlternatives() {
    assertEquals(anyOf("a", "b"), Scopes.unsatisfied(Set.of(), anyOf("a", "b")));
    assertEquals("a", Scopes.unsatisfied(Set.of(), anyOf("a")));
  }

  @Test
  void unsatisfiedSimplifiesNestedExpressions() {
    Object expr = allOf("x", anyOf(allOf("a", "b"), "c"));
    assertEquals(anyOf("b", "c"), Scopes.unsatisfied(Set.of("x", "a"), expr));
    assertEquals(allOf("x", anyOf("b", "c")), Scopes.unsatisfied(Set.of("a"), expr));
    assertNull(Scopes.unsatisfied(Set.of("x", "c"), expr));
  }

  @Test
  void nonExpressionIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> Scopes.unsatisfied(Set.of("*"), 42));
    assertThrows(IllegalArgumentException.class, () -> Scopes.unsatisfied(Set.of("*"), new JsonObject().put("Nope", new JsonArray())));
    assertThrows(IllegalArgumentException.class, () -> Scopes.unsatisfied(Set.of("*"), new JsonObject().put("AllOf", "a")));
  }

  @Test
  void describeGivesReadableForm() {
    assertEquals("a", Scopes.describe("a"));
    assertEquals("AllOf(a, b)", Scopes.describe(allOf("a", "b")));
    assertEquals("AnyOf(a, AllOf(b, c))", Scopes.describe(anyOf("a", allOf("b", "c"))));
    assertEquals("AnyOf()", Scopes.describe(anyOf()));
  }
}
