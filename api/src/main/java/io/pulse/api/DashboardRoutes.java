package io.pulse.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The dashboard: static files from the jar ({@value #WEB_ROOT}) at {@code /}, {@code /app.js} and {@code /app.css}. It
 * calls the REST API from the browser with the bearer token its user pastes; the server holds no session. Mounted
 * after every other route, for the paths of its files only, so the API and the operational routes never reach it.
 */
final class DashboardRoutes {

  /** The name of the one route this mounts: it is a page, not an operation of the OpenAPI document. */
  static final String ROUTE_NAME = "dashboard";
  /** On the class path; a name no working directory is likely to shadow (the file system is looked at first). */
  static final String WEB_ROOT = "io/pulse/api/dashboard";
  /** Only the dashboard's own files: the index at {@code /} and flat file names with an extension. */
  private static final String FILES = "/|/[a-z0-9-]+\\.(?:html|js|css|png|svg|ico)";
  /**
   * Scripts, styles and calls from this origin only: no inline script or style element, no other host, no frames.
   * Styles set through the DOM (a bar's width) are not inline style in CSP's sense.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";

  void mount(Router router) {
    router.routeWithRegex(FILES).setName(ROUTE_NAME).method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(DashboardRoutes::headers)
        .handler(StaticHandler.create(WEB_ROOT)
            .setIndexPage("index.html")
            .setDirectoryListing(false)
            .setIncludeHidden(false)
            // The files have no version in their names: browsers fetch them again rather than keep a stale copy.
            .setCachingEnabled(false)
            .setDefaultContentEncoding("UTF-8"));
  }

  private static void headers(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-cache");
    ctx.next();
  }
}
