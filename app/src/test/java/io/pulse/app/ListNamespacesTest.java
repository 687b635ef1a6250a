package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Listing has a database of its own, so it sees exactly the namespaces it made. */
@ExtendWith(VertxExtension.class)
class ListNamespacesTest {

  private static RunningService service;

  @BeforeAll
  static void start(Vertx vertx) {
    service = RunningService.start(vertx);
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  @Test
  void pagesWalkEveryNamespaceInOrderAndAreStableUnderConcurrentInserts() {
    String stem = TestEnv.unique("page");
    List<String> original = new ArrayList<>();
    for (String suffix : List.of("b", "d", "f", "h", "j", "l", "n")) {
      String ns = stem + "-" + suffix;
      assertEquals(200, service.claim(ns, null).statusCode());
      original.add(ns);
    }
    List<String> seen = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      JsonObject page = service.get("/namespaces?limit=2" + (token == null ? "" : "&continuationToken=" + token))
          .bodyAsJsonObject();
      JsonArray namespaces = page.getJsonArray("namespaces");
      assertTrue(namespaces.size() <= 2);
      namespaces.forEach(n -> {
        JsonObject entry = (JsonObject) n;
        assertEquals(Set.of("namespace", "created", "expires"), entry.fieldNames());
        seen.add(entry.getString("namespace"));
      });
      token = page.getString("continuationToken");
      if (pages == 0) {
        // Inserts before and after the cursor while paging: the walk neither repeats nor skips what existed.
        assertEquals(200, service.claim(stem + "-a", null).statusCode());
        assertEquals(200, service.claim(stem + "-m", null).statusCode());
      }
      pages++;
    } while (token != null && pages < 20);

    assertEquals(seen.size(), Set.copyOf(seen).size(), "no namespace twice: " + seen);
    assertTrue(seen.containsAll(original), "every namespace that existed before is listed: " + seen);
    assertFalse(seen.contains(stem + "-a"), "one inserted behind the cursor is not");
    assertTrue(seen.contains(stem + "-m"), "one inserted ahead of the cursor is");
    List<String> sorted = new ArrayList<>(seen);
    sorted.sort(String::compareTo);
    assertEquals(sorted, seen, "names come in order");
  }

  @Test
  void theLastPageHasNoContinuationToken() {
    JsonObject all = service.get("/namespaces?limit=1000").bodyAsJsonObject();
    assertNull(all.getString("continuationToken"));
    int count = all.getJsonArray("namespaces").size();
    assertEquals(count, service.get("/namespaces").bodyAsJsonObject().getJsonArray("namespaces").size(),
        "limit defaults to the cap");
    assertEquals(200, service.get("/namespaces?limit=5000").statusCode(), "a larger limit is capped, not refused");
  }
}
