package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.Certificates;
import io.pulse.testkit.JarProcess;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The jar serving HTTPS, and {@code kill -HUP} making it serve a renewed certificate at once. */
@ExtendWith(VertxExtension.class)
class HttpsIT {

  @TempDir
  Path dir;

  @Test
  void sighupMakesTheJarServeTheRenewedCertificate(Vertx vertx) throws Exception {
    Certificates.Pair first = Certificates.selfSigned(dir, "jar-first");
    Certificates.Pair renewed = Certificates.selfSigned(dir, "jar-renewed");
    Certificates.Pair served = new Certificates.Pair(dir.resolve("served.crt"), dir.resolve("served.key"));
    Certificates.replace(served, first);
    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", TestEnv.unique("https") + "-");
    env.put("PULSE_TLS_CERT", served.cert().toString());
    env.put("PULSE_TLS_KEY", served.key().toString());
    // Only the signal can make the change seen within this test.
    env.put("PULSE_TLS_RELOAD_INTERVAL", "1h");
    int port = TestEnv.freePort();
    env.put("PULSE_HTTP_PORT", String.valueOf(port));
    try (JarProcess jar = JarProcess.start(env, Files.createTempFile("pulse-https", ".log"))) {
      TestEnv.eventually(240, "the jar serves HTTPS", () -> "CN=jar-first".equals(servedSubject(port)));

      Certificates.replace(served, renewed);
      Process hup = new ProcessBuilder("kill", "-HUP", String.valueOf(jar.process().pid())).start();
      assertTrue(hup.waitFor(30, TimeUnit.SECONDS) && hup.exitValue() == 0);

      TestEnv.eventually(30, "the renewed certificate is served", () -> "CN=jar-renewed".equals(servedSubject(port)));
      assertTrue(jar.process().isAlive(), "SIGHUP does not stop the service");
      assertEquals(0, jar.stop(), jar.logText());
      assertTrue(jar.logText().contains("Reloaded the HTTPS certificate (asked (SIGHUP))"), jar.logText());
    } finally {
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
    }
  }

  private static String servedSubject(int port) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new X509TrustManager() {
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
      }}, null);
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
}
