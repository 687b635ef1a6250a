package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The OpenAPI document at /api/pulse/v1/openapi.json describes exactly the routes the router serves. */
@ExtendWith(VertxExtension.class)
class OpenApiTest {

  private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  @Test
  void everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx)) {
      HttpResponse<Buffer> response = service.get("/openapi.json");
      assertEquals(200, response.statusCode());
      JsonObject document = response.bodyAsJsonObject();
      assertTrue(document.getString("openapi").startsWith("3."), "an OpenAPI 3 document");

      Set<String> documented = new TreeSet<>();
      JsonObject paths = document.getJsonObject("paths");
      for (String path : paths.fieldNames()) {
        for (String key : paths.getJsonObject(path).fieldNames()) {
          if (OPERATIONS.contains(key)) {
            documented.add(key.toUpperCase(Locale.ROOT) + " " + path);
            JsonObject operation = paths.getJsonObject(path).getJsonObject(key);
            assertFalse(operation.getJsonObject("responses").isEmpty(), key + " " + path + " lists its responses");
          }
        }
      }

      Set<String> served = new TreeSet<>();
      for (Route route : service.deployment.http().router().getRoutes()) {
        if (route.getPath() == null) {
          continue; // handlers for every request (headers, request log)
        }
        String path = route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
        assertFalse(route.methods() == null || route.methods().isEmpty(), "route " + path + " names its methods");
        for (HttpMethod method : route.methods()) {
          served.add(method.name() + " " + path);
        }
      }
      assertTrue(served.size() >= 10, "routes found: " + served);
      assertEquals(served, documented, "the router's routes and the document's operations");
    }
  }

  @Test
  void errorBodiesAndClaimPayloadAreDescribed(Vertx vertx) {
    try (RunningService service = RunningService.start(vertx)) {
      JsonObject document = service.get("/openapi.json").bodyAsJsonObject();
      JsonObject schemas = document.getJsonObject("components").getJsonObject("schemas");
      JsonObject error = schemas.getJsonObject("Error").getJsonObject("properties");
      assertTrue(error.containsKey("code") && error.containsKey("message") && error.containsKey("requestInfo"));
      JsonObject claim = schemas.getJsonObject("ClaimRequest");
      assertEquals(Set.of("expires", "contact"), claim.getJsonObject("properties").fieldNames());
      assertEquals(false, claim.getBoolean("additionalProperties"));
      JsonObject post = document.getJsonObject("paths").getJsonObject("/api/pulse/v1/namespace/{namespace}")
          .getJsonObject("post");
      assertTrue(post.getJsonObject("responses").fieldNames().containsAll(Set.of("200", "400", "401", "403", "503")));
    }
  }
}
