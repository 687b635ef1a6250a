package io.pulse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The OpenAPI document at /api/pulse/v1/openapi.json describes exactly the routes the router serves. The REST
 * server alone is enough: reading the document needs neither the database nor the broker.
 */
@ExtendWith(VertxExtension.class)
class OpenApiTest {

  private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
  private static HttpVerticle http;
  private static JsonObject document;

  @BeforeAll
  static void deploy(Vertx vertx) {
    http = new HttpVerticle(PulseConfig.fromMap(Map.of("PULSE_HTTP_PORT", "0", "PULSE_HTTP_HOST", "127.0.0.1")),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    vertx.deployVerticle(http).await();
    HttpResponse<Buffer> response = WebClient.create(vertx)
        .get(http.actualPort(), "127.0.0.1", HttpVerticle.BASE + "/openapi.json").send().await();
    assertEquals(200, response.statusCode());
    document = response.bodyAsJsonObject();
  }


  @Test
  void everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() {
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
    for (Route route : http.router().getRoutes()) {
      if (route.getPath() == null || DashboardRoutes.ROUTE_NAME.equals(route.getName())) {
        continue; // handlers for every request (headers, request log), and the dashboard's static files
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

  @Test
  void errorBodiesAndClaimPayloadAreDescribed() {
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
