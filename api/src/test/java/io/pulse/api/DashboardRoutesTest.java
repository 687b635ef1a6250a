package io.pulse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.config.PulseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dashboard's files come from the jar with a strict Content-Security-Policy, and its route takes nothing from the
 * API or the operational routes. The REST server alone is enough: serving files needs neither database nor broker.
 */
@ExtendWith(VertxExtension.class)
class DashboardRoutesTest {

  private static HttpVerticle http;
  private static WebClient client;

  @BeforeAll
  static void deploy(Vertx vertx) {
    http = new HttpVerticle(PulseConfig.fromMap(Map.of("PULSE_HTTP_PORT", "0", "PULSE_HTTP_HOST", "127.0.0.1")),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    vertx.deployVerticle(http).await();
    client = WebClient.create(vertx);
  }

  private static HttpResponse<Buffer> get(String path) {
    return client.get(http.actualPort(), "127.0.0.1", path).send().await();
  }

  @Test
  void theIndexAndItsFilesAreServedWithAStrictContentSecurityPolicy() {
    HttpResponse<Buffer> index = get("/");
    assertEquals(200, index.statusCode());
    assertTrue(index.getHeader("Content-Type").startsWith("text/html"), index.getHeader("Content-Type"));
    String csp = index.getHeader("Content-Security-Policy");
    assertEquals(DashboardRoutes.CONTENT_SECURITY_POLICY, csp);
    assertTrue(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        csp);
    assertEquals("nosniff", index.getHeader("X-Content-Type-Options"));
    assertEquals("no-referrer", index.getHeader("Referrer-Policy"));
    assertEquals("no-cache", index.getHeader("Cache-Control"));
    assertTrue(index.bodyAsString().contains("<script src=\"app.js\""), "the page loads its script from the jar");

    HttpResponse<Buffer> script = get("/app.js");
    assertEquals(200, script.statusCode());
    assertTrue(script.getHeader("Content-Type").contains("javascript"), script.getHeader("Content-Type"));
    assertEquals(csp, script.getHeader("Content-Security-Policy"));
    HttpResponse<Buffer> style = get("/app.css");
    assertEquals(200, style.statusCode());
    assertTrue(style.getHeader("Content-Type").startsWith("text/css"), style.getHeader("Content-Type"));
  }

  @Test
  void thePageHasNoInlineScriptNoOtherHostAndPutsNoDataInHtml() {
    String html = get("/").bodyAsString();
    String js = get("/app.js").bodyAsString();
    String css = get("/app.css").bodyAsString();
    assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)", Pattern.CASE_INSENSITIVE).matcher(html).find(),
        "no inline script (the policy would block it anyway)");
    assertFalse(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(html).find(),
        "no inline event handlers");
    assertFalse(Pattern.compile("<style|\\sstyle=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no inline style");
    for (String text : new String[] {html, js, css}) {
      assertFalse(Pattern.compile("(?:https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/", Pattern.CASE_INSENSITIVE).matcher(text)
          .find(), "nothing is loaded from another host");
    }
    for (String sink : new String[] {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
      assertFalse(js.contains(sink), "the script never parses data as HTML or code: " + sink);
    }
    assertTrue(js.contains("sessionStorage") && !js.contains("localStorage"),
        "the token is kept for the tab's session only");
  }

  @Test
  void theApiAndOperationalRoutesAreUntouchedAndUnknownFilesAreJson404s() {
    HttpResponse<Buffer> openapi = get(HttpVerticle.BASE + "/openapi.json");
    assertEquals(200, openapi.statusCode());
    assertTrue(openapi.getHeader("Content-Type").startsWith("application/json"));
    assertEquals(null, openapi.getHeader("Content-Security-Policy"), "API answers are not dashboard pages");
    assertEquals(200, get("/__lbheartbeat__").statusCode());

    for (String path : new String[] {"/nothing.js", "/../pom.xml", "/openapi.json", "/io/pulse/api/openapi.json",
        HttpVerticle.BASE + "/no-such-route"}) {
      HttpResponse<Buffer> missing = get(path);
      assertEquals(404, missing.statusCode(), path);
      assertEquals("ResourceNotFound", missing.bodyAsJsonObject().getString("code"), path);
    }
  }
}
