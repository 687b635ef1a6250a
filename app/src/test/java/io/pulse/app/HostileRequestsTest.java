package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Requests meant to stall the service, authenticated or not: none keeps an event loop or a connection for long. */
@ExtendWith(VertxExtension.class)
class HostileRequestsTest {

  private static RunningService service;

  @BeforeAll
  static void start(Vertx vertx) {
    service = RunningService.start(vertx, Map.of("PULSE_HTTP_HEADER_TIMEOUT", "500ms"));
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  @Test
  void worstCaseHawkHeadersAreRefusedWhileTheServiceKeepsAnswering() {
    // What froze the event loop for over 30 s: 16 headers of 32 KiB built to make backtracking regexes explode.
    // Each just under the server's 32 KiB limit on all headers together.
    List<String> headers = List.of("Hawk " + "a=\"".repeat(10_000), "Hawk " + " ".repeat(30_000) + "x",
        "Hawk id=\"a\", ts=\"1\", nonce=\"n\", mac=\"m\", ext=\"" + "=".repeat(30_000) + "A\"",
        "Hawk " + "id".repeat(15_000));
    List<Future<HttpResponse<Buffer>>> hostile = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      hostile.add(service.request(HttpMethod.POST, "/namespace/" + TestEnv.unique("h"), null)
          .putHeader("Authorization", headers.get(i % headers.size())).send());
    }
    long started = System.nanoTime();
    assertEquals(200, service.get("/ping").statusCode());
    long pingMillis = (System.nanoTime() - started) / 1_000_000;
    Future.join(hostile).await();
    for (Future<HttpResponse<Buffer>> response : hostile) {
      assertEquals(401, response.result().statusCode(), response.result().bodyAsString());
    }
    // A generous bound: the event loop was blocked for over 30 s before; now every refusal is linear work.
    assertTrue(pingMillis < 5_000, "ping answered in " + pingMillis + " ms while the hostile requests ran");
  }

  @Test
  void aClientThatTricklesItsHeadersIsDisconnected() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", service.deployment.httpPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /api/pulse/v1/ping HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      // The headers never end: the server closes the connection after PULSE_HTTP_HEADER_TIMEOUT (0.5 s here).
      assertEquals(-1, in.read(), "the connection is closed by the server");
    }
  }

  @Test
  void aClientThatCompletesItsHeadersIsServed() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", service.deployment.httpPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write("GET /api/pulse/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 200", status);
    }
  }
}
