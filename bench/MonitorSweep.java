import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The monitor's sweep against the cost of reading the queue depths it needs, at growing queue counts, on a private
 * RabbitMQ node (bench/private-rabbit): for each count, the service (app/target/pulse.jar) runs with each source of
 * depths in turn (one management listing; the rabbitmq_prometheus endpoint), and each of its sweeps
 * (pulse_monitor_sweep_seconds) is paired with a bare read of the same source made right after it: one cold listing
 * {@code GET /api/queues/<vhost>?columns=name,messages,consumers}, or one read of
 * {@code GET :<prom>/metrics/detailed?vhost=<vhost>&family=queue_coarse_metrics}, each read to its last byte.
 *
 * <p>Run by bench/monitor-sweep (5,000 and 20,000 queues) and bench/scale-monitor (100,000). Arguments: {@code
 * --queues 5000,20000 --namespaces 100 --sweeps 5 --only listing,prometheus --amqp-port 5673 --mgmt-port 15673
 * --prom-port 15693}; PULSE_BENCH_JAVA_OPTS is given to the service's JVM (e.g. {@code -Xmx128m}).
 */
public final class MonitorSweep {

  static final String HOST = "127.0.0.1";
  static final String SECRET = "bench-secret-of-at-least-thirty-two-bytes";
  static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  static final String VHOST = "msweep-" + RUN;
  static final String DB = "pulse_msweep_" + RUN;
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  static int amqpPort;
  static int mgmtPort;
  static int promPort;
  static int port;
  static Process service;
  static final List<String> rows = new ArrayList<>();

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    amqpPort = intArg(args, "--amqp-port", 5673);
    mgmtPort = intArg(args, "--mgmt-port", 15673);
    promPort = intArg(args, "--prom-port", 15693);
    int namespaces = intArg(args, "--namespaces", 100);
    int sweeps = intArg(args, "--sweeps", 5);
    List<String> only = List.of(stringArg(args, "--only", "listing,prometheus").split(","));
    List<Integer> steps = new ArrayList<>();
    for (String n : stringArg(args, "--queues", "5000,20000").split(",")) {
      steps.add(Integer.parseInt(n.trim()));
    }
    management("GET", "/overview", null);
    sql("postgres", "CREATE DATABASE " + DB);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://guest:guest@" + HOST + ":" + amqpPort + "/" + enc(VHOST));
    try {
      management("PUT", "/vhosts/" + enc(VHOST), "{}");
      management("PUT", "/permissions/" + enc(VHOST) + "/guest",
          "{\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}");
      Connection amqp = factory.newConnection("pulse-monitor-bench");
      System.out.printf("Monitor sweep bench %s: vhost %s on the node at %d/%d/%d, database %s%n", RUN, VHOST,
          amqpPort, mgmtPort, promPort, DB);
      startService(false, "1h");
      List<String> names = claim(namespaces);
      stopService();
      int declared = 0;
      for (int n : steps) {
        long started = System.nanoTime();
        declared = declare(amqp, names, declared, n);
        System.out.printf("%d queues declared (%.1f s); waiting for the broker's statistics%n", n,
            (System.nanoTime() - started) / 1e9);
        waitForPrometheus(n);
        step(n, only, sweeps);
      }
      amqp.close();
    } finally {
      if (service != null && service.isAlive()) {
        stopService();
      }
      try {
        management("DELETE", "/vhosts/" + enc(VHOST), null);
      } catch (Exception e) {
        System.err.println("could not delete vhost " + VHOST + ": " + e.getMessage());
      }
      sql("postgres", "DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
    }
    System.out.println();
    System.out.println("| queues | source | sweep (median of " + sweeps + ") | its source's bare read (median) | sweep / "
        + "bare read (median of the pairs) | the pairs' ratios | service peak RSS |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /**
   * One queue count: the service with each source in turn, each of its sweeps paired with one bare read of that source
   * made right after it (the cold listing 6 s after, once the plugin's cached listing has expired), so both meet the
   * same load on this shared machine; the figure is the median of the pairs' ratios.
   */
  static void step(int n, List<String> only, int sweeps) throws Exception {
    URI listing = URI.create("http://" + HOST + ":" + mgmtPort + "/api/queues/" + enc(VHOST)
        + "?columns=name,messages,consumers");
    URI scrape = URI.create("http://" + HOST + ":" + promPort + "/metrics/detailed?vhost=" + enc(VHOST)
        + "&family=queue_coarse_metrics");
    for (String source : List.of("listing", "prometheus")) {
      if (!only.contains(source)) {
        continue;
      }
      boolean prometheus = source.equals("prometheus");
      // The listing's sweeps 20 s apart: the bare listing 6 s after a sweep, and the next sweep 6 s or more after it,
      // each finds the plugin's cache expired. The Prometheus endpoint keeps no cache: sweeps 3 s apart, the first 5
      // to let the JIT compile the parser.
      startService(prometheus, prometheus ? "3s" : "20s");
      long[] bytes = new long[1];
      List<double[]> pairs = sweeps(n, sweeps, prometheus ? 5 : 1, () -> {
        if (!prometheus) {
          Thread.sleep(6000);
        }
        return timedRead(prometheus ? scrape : listing, !prometheus, bytes, 0);
      });
      long peak = peakRssKb(service.pid());
      stopService();
      List<Double> sweep = new ArrayList<>();
      List<Double> bare = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      for (double[] p : pairs) {
        sweep.add(p[0]);
        bare.add(p[1]);
        ratios.add(p[0] / p[1]);
      }
      System.out.printf("%d queues, %s: sweeps %s, bare reads %s (%d KB)%n", n, source, round(sweep), round(bare),
          bytes[0] / 1024);
      rows.add(String.format(Locale.ROOT, "| %,d | %s | %.2f s | %.2f s | %.2fx | %s | %s MB |", n,
          prometheus ? "Prometheus endpoint" : "management listing", median(sweep), median(bare), median(ratios),
          round(ratios), peak / 1024));
    }
  }

  static String round(List<Double> values) {
    List<String> out = new ArrayList<>();
    values.forEach(v -> out.add(String.format(Locale.ROOT, "%.2f", v)));
    return String.join(" ", out);
  }

  interface BareRead {
    double seconds() throws Exception;
  }

  /**
   * The next {@code count} sweeps that saw all {@code n} queues, after {@code warmUp} of them, each as {sweep seconds,
   * seconds of the bare read made right after it}.
   */
  static List<double[]> sweeps(int n, int count, int warmUp, BareRead bare) throws Exception {
    List<double[]> pairs = new ArrayList<>();
    double seen = metric("pulse_monitor_sweeps_total{outcome=\"ok\"");
    int skipped = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (pairs.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no sweeps within 30 minutes; see bench/monitor-service.log");
      }
      if (metric("pulse_monitor_sweeps_total{outcome=\"failed\"") > 0) {
        throw new IllegalStateException("a monitor sweep failed; see bench/monitor-service.log");
      }
      double now = metric("pulse_monitor_sweeps_total{outcome=\"ok\"");
      if (now > seen) {
        seen = now;
        double sweep = metric("pulse_monitor_sweep_seconds");
        double normal = metric("pulse_monitor_queues{state=\"normal\"");
        // The broker's statistics of a few queues may lag (measured: 99,774 of 100,000 shown a minute after they were
        // made); a sweep that saw 99.5% of them counts, and what it saw is printed.
        if (normal < n * 0.995) {
          System.out.printf("  a sweep saw %.0f of %d queues; waiting for the next%n", normal, n);
        } else if (skipped < warmUp) {
          skipped++;
          System.out.printf("  warm-up sweep %.2f s (not counted)%n", sweep);
        } else {
          double read = bare.seconds();
          pairs.add(new double[] {sweep, read});
          System.out.printf("  sweep %.2f s over %.0f queues, then the bare read %.2f s%n", sweep, normal, read);
          seen = metric("pulse_monitor_sweeps_total{outcome=\"ok\"");
        }
      }
      Thread.sleep(100);
    }
    return pairs;
  }

  // --- the service ----------------------------------------------------------------------------------------

  static void startService(boolean prometheus, String interval) throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    // The flags the service ships with (scripts/run, the Dockerfile), so its memory is what an operator sees.
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@scripts/jvm.options"));
    String javaOpts = System.getenv("PULSE_BENCH_JAVA_OPTS");
    if (javaOpts != null && !javaOpts.isBlank()) {
      command.addAll(List.of(javaOpts.trim().split("\\s+")));
    }
    command.addAll(List.of("-jar", "app/target/pulse.jar"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("bench/monitor-service.log").toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().put("PULSE_HTTP_PORT", String.valueOf(port));
    builder.environment().put("PULSE_HTTP_HOST", HOST);
    builder.environment().put("PULSE_DB_URL", "postgresql://postgres@" + HOST + ":5432/" + DB);
    builder.environment().put("PULSE_SECRET_KEY", "YmVuY2gta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0tLS0=");
    builder.environment().put("PULSE_AMQP_URL", "amqp://" + HOST + ":" + amqpPort + "/" + enc(VHOST));
    builder.environment().put("PULSE_RABBIT_API", "http://" + HOST + ":" + mgmtPort + "/api");
    if (prometheus) {
      builder.environment().put("PULSE_RABBIT_PROMETHEUS_URL", "http://" + HOST + ":" + promPort);
    }
    builder.environment().put("PULSE_JWT_SECRET", SECRET);
    builder.environment().put("PULSE_MAINTENANCE_INTERVAL", "1h");
    builder.environment().put("PULSE_RECONCILE_INTERVAL", "1h");
    builder.environment().put("PULSE_MONITOR_INTERVAL", interval);
    builder.environment().put("PULSE_LOG_LEVEL", "INFO");
    service = builder.start();
    for (int i = 0; ; i++) {
      try {
        if (get(URI.create("http://" + HOST + ":" + port + "/api/pulse/v1/ping")).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        if (i > 600 || !service.isAlive()) {
          throw new IllegalStateException("the service did not start; see bench/monitor-service.log");
        }
      }
      Thread.sleep(100);
    }
  }

  static void stopService() throws Exception {
    service.destroy();
    service.waitFor(60, TimeUnit.SECONDS);
  }

  static List<String> claim(int n) throws Exception {
    String token = token();
    List<String> names = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> claims = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String ns = "msw" + RUN + "-" + i;
      names.add(ns);
      claims.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + port
              + "/api/pulse/v1/namespace/" + ns)).header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString()));
      if (claims.size() == 16 || i == n - 1) {
        for (CompletableFuture<HttpResponse<String>> c : claims) {
          HttpResponse<String> r = c.get();
          if (r.statusCode() != 200) {
            throw new IllegalStateException("claim: " + r.statusCode() + " " + r.body());
          }
        }
        claims.clear();
      }
    }
    return names;
  }

  /** HS256 bearer token with every namespace scope, as PULSE_JWT_SECRET verifies it. */
  static String token() throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long now = Instant.now().getEpochSecond();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String claims = b64.encodeToString(("{\"sub\":\"bench\",\"iat\":" + now + ",\"exp\":" + (now + 7200)
        + ",\"scopes\":[\"pulse:namespace:*\"]}").getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature = b64.encodeToString(mac.doFinal((header + "." + claims).getBytes(StandardCharsets.UTF_8)));
    return header + "." + claims + "." + signature;
  }

  // --- the broker -----------------------------------------------------------------------------------------

  /** Declares queues {@code from..to-1}, spread over the namespaces (so none is an orphan); pipelined. */
  static int declare(Connection amqp, List<String> names, int from, int to) throws Exception {
    try (Channel channel = amqp.createChannel()) {
      for (int i = from; i < to; i++) {
        channel.queueDeclareNoWait("queue/" + names.get(i % names.size()) + "/q" + i, false, false, false, null);
      }
      // A synchronous call after them: every declaration before it is done.
      channel.queueDeclare("queue/" + names.get(0) + "/q0", false, false, false, null);
    }
    return to;
  }

  static void waitForPrometheus(int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline) {
      HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + promPort
          + "/metrics/detailed?vhost=" + enc(VHOST) + "&family=queue_coarse_metrics")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      long lines;
      try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        lines = reader.lines().filter(l -> l.startsWith("rabbitmq_detailed_queue_messages{")).count();
      }
      if (lines >= n * 0.995) {
        return;
      }
      Thread.sleep(2000);
    }
    throw new IllegalStateException("the Prometheus endpoint did not show " + n + " queues within 10 minutes");
  }

  /** Seconds from the request to the body's last byte, the body counted and dropped. */
  static double timedRead(URI uri, boolean auth, long[] bytes, int slot) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5));
    if (auth) {
      request.header("Authorization", basic());
    }
    long started = System.nanoTime();
    HttpResponse<InputStream> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    long total = 0;
    byte[] buffer = new byte[65536];
    try (InputStream in = r.body()) {
      for (int read; (read = in.read(buffer)) > 0; ) {
        total += read;
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    if (r.statusCode() != 200) {
      throw new IllegalStateException(uri + ": " + r.statusCode());
    }
    bytes[slot] = total;
    return seconds;
  }

  static void management(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + mgmtPort + "/api" + path))
        .header("Authorization", basic()).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 400) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
  }

  static String basic() {
    return "Basic " + Base64.getEncoder().encodeToString("guest:guest".getBytes(StandardCharsets.UTF_8));
  }

  // --- helpers --------------------------------------------------------------------------------------------

  static double metric(String prefix) throws Exception {
    HttpResponse<String> r = get(URI.create("http://" + HOST + ":" + port + "/metrics"));
    for (String line : r.body().split("\n")) {
      if (line.startsWith(prefix + " ") || line.startsWith(prefix + ",") || line.startsWith(prefix + "}")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static void sql(String database, String statement) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:postgresql://" + HOST + ":5432/" + database, "postgres", "")) {
      c.createStatement().execute(statement);
    }
  }

  static long peakRssKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  /** The last value given for {@code name}: a wrapper script's defaults come first, the caller's after. */
  static String stringArg(String[] args, String name, String fallback) {
    String value = fallback;
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        value = args[i + 1];
      }
    }
    return value;
  }

  static int intArg(String[] args, String name, int fallback) {
    return Integer.parseInt(stringArg(args, name, String.valueOf(fallback)));
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
