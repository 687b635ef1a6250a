package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Connection;
import io.pulse.api.HttpVerticle;
import io.pulse.testkit.Certificates;
import io.pulse.testkit.TcpRelay;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS with certificates the test makes: the REST API over HTTPS (PULSE_TLS_CERT/PULSE_TLS_KEY) picking up a renewed
 * certificate without a restart, and the management API over {@code https://} trusted through PULSE_RABBIT_CA (a
 * TLS-terminating relay in front of the shared broker, which has no TLS of its own).
 */
@ExtendWith(VertxExtension.class)
class TlsTest {

  @TempDir
  Path dir;

  @Test
  void theRestApiServesHttpsAndPicksUpARenewedCertificateWithoutARestart(Vertx vertx) throws Exception {
    Certificates.Pair first = Certificates.selfSigned(dir, "pulse-first");
    Certificates.Pair renewed = Certificates.selfSigned(dir, "pulse-renewed");
    Certificates.Pair served = new Certificates.Pair(dir.resolve("served.crt"), dir.resolve("served.key"));
    Certificates.replace(served, first);
    try (RunningService service = RunningService.start(vertx, Map.of("PULSE_TLS_CERT", served.cert().toString(),
        "PULSE_TLS_KEY", served.key().toString(), "PULSE_TLS_RELOAD_INTERVAL", "1s"))) {
      int port = service.deployment.httpPort();
      assertEquals("CN=pulse-first", servedSubject(port));

      WebClient https = WebClient.create(vertx, new WebClientOptions().setSsl(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(first.cert().toString())));
      String ns = TestEnv.unique("tls");
      HttpResponse<Buffer> claim = https.post(port, "localhost", HttpVerticle.BASE + "/namespace/" + ns)
          .putHeader("Authorization", "Bearer " + service.token("pulse:namespace:" + ns))
          .sendJsonObject(new JsonObject()).await();
      assertEquals(200, claim.statusCode(), claim.bodyAsString());
      try (Connection amqp = TestEnv.connect(claim.bodyAsJsonObject().getString("connectionString"))) {
        assertTrue(amqp.isOpen());
      }
      assertThrows(Exception.class, () -> service.get("/ping"), "plain HTTP is not served on the HTTPS port");

      // Renewed as an operator does it: the files are replaced in place.
      Certificates.replace(served, renewed);
      TestEnv.eventually(30, "the renewed certificate is served", () -> "CN=pulse-renewed".equals(servedSubject(port)));

      // A renewal may also be announced (SIGHUP publishes this); a file that is not a certificate is refused and the
      // current certificate kept.
      java.nio.file.Files.writeString(served.cert(), "not a certificate");
      vertx.eventBus().publish(HttpVerticle.TLS_RELOAD_ADDRESS, null);
      Certificates.replace(served, first);
      vertx.eventBus().publish(HttpVerticle.TLS_RELOAD_ADDRESS, null);
      TestEnv.eventually(30, "the first certificate is served again", () -> "CN=pulse-first".equals(servedSubject(port)));
      assertEquals(200, https.get(port, "localhost", HttpVerticle.BASE + "/ping").send().await().statusCode());
    }
  }

  @Test
  void theManagementApiIsReachedOverHttpsTrustingPulseRabbitCaOnly(Vertx vertx) throws Exception {
    Certificates.Pair broker = Certificates.selfSigned(dir, "broker");
    Certificates.Pair stranger = Certificates.selfSigned(dir, "stranger");
    try (TcpRelay tls = TcpRelay.startTls(vertx, TestEnv.RABBIT_HOST, TestEnv.MANAGEMENT_PORT, broker)) {
      String api = "https://localhost:" + tls.port() + "/api";
      try (RunningService service = RunningService.start(vertx, Map.of("PULSE_RABBIT_API", api,
          "PULSE_RABBIT_CA", broker.cert().toString()))) {
        String ns = TestEnv.unique("tlsapi");
        HttpResponse<Buffer> claim = service.claim(ns, null);
        assertEquals(200, claim.statusCode(), claim.bodyAsString());
        try (Connection amqp = TestEnv.connect(claim.bodyAsJsonObject().getString("connectionString"))) {
          assertTrue(amqp.isOpen());
        }
      }
      try (RunningService untrusting = RunningService.start(vertx, Map.of("PULSE_RABBIT_API", api,
          "PULSE_RABBIT_CA", stranger.cert().toString()))) {
        String ns = TestEnv.unique("tlsapi");
        HttpResponse<Buffer> claim = untrusting.claim(ns, null);
        assertEquals(503, claim.statusCode(), claim.bodyAsString());
        assertTrue(claim.bodyAsJsonObject().getString("message").contains("RabbitMQ management API"),
            claim.bodyAsString());
      }
    }
  }

  /** The subject of the certificate the server at {@code port} presents (whoever signed it). */
  private static String servedSubject(int port) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AnyCertificate()}, null);
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        socket.startHandshake();
        return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
      }
    } catch (Exception e) {
      return "no TLS handshake: " + e;
    }
  }

  /** Only for reading which certificate is served; never for trusting a server. */
  private static final class AnyCertificate implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
