import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark harness (bench/run): starts app/target/pulse.jar on its own database and vhost, and measures
 * each figure of the service against the bare operation it rests on, on the same machine in the same run.
 */
public final class Bench {

  static final String HOST = "127.0.0.1";
  static final int MGMT = 15672;
  static final String SECRET = "bench-secret-of-at-least-thirty-two-bytes";
  static final int IN_FLIGHT = 16;
  static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  static final String VHOST = "pulse-bench-" + RUN;
  static final String DB = "pulse_bench_" + RUN;
  static final String PREFIX = "bench" + RUN + "-";

  static Vertx vertx;
  static WebClient mgmt;
  static WebClient http;
  static int port;
  static Process service;
  static String token;
  static final List<String[]> results = new ArrayList<>();

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      // The source launcher mangles the stack of an exception thrown out of main.
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    int claims = intArg(args, "--claims", 400);
    int rounds = intArg(args, "--rounds", 3);
    int rotations = intArg(args, "--rotations", 1000);
    int queues = intArg(args, "--queues", 5000);
    vertx = Vertx.vertx();
    mgmt = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(IN_FLIGHT));
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(32));
    Pool admin = pool("postgres");
    admin.query("CREATE DATABASE " + DB).execute().await();
    check(management(HttpMethod.PUT, "/vhosts/" + enc(VHOST), new JsonObject()).await(), "create vhost");
    check(management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/guest",
        new JsonObject().put("configure", ".*").put("write", ".*").put("read", ".*")).await(), "grant guest");
    try {
      startService();
      System.out.printf("Pulse bench %s: vhost %s, database %s, service pid %d%n", RUN, VHOST, DB, service.pid());
      List<String> only = List.of(stringArg(args, "--only", "claims,reclaims,rotation,monitor").split(","));
      if (only.contains("claims")) {
        firstClaims(claims, rounds);
      }
      if (only.contains("reclaims")) {
        reclaims();
      }
      if (only.contains("rotation")) {
        rotation(rotations);
      }
      if (only.contains("monitor")) {
        monitor(queues);
      }
      long peak = peakRssKb(service.pid());
      results.add(new String[] {"service peak resident memory", (peak / 1024) + " MB", "", "", "<= 400 MB",
          peak / 1024 <= 400 ? "met" : "MISSED"});
      print();
    } finally {
      if (service != null) {
        service.destroy();
        service.waitFor(30, TimeUnit.SECONDS);
      }
      cleanUsers(PREFIX);
      cleanUsers("bare" + RUN + "-");
      management(HttpMethod.DELETE, "/vhosts/" + enc(VHOST), null).await();
      admin.query("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)").execute().await();
      admin.close().await();
      vertx.close().await();
    }
  }

  // --- first claims ---------------------------------------------------------------------------------------

  static void firstClaims(int n, int rounds) {
    // Warm both up, then interleave rounds and take the median of each.
    // The service's JIT compiles for several seconds after start; its warm-up is as long as a round.
    bareNamespaces("w", n / 4);
    serviceClaims("w", n);
    List<Double> bare = new ArrayList<>();
    List<Double> svc = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      bare.add(bareNamespaces("r" + r, n));
      svc.add(serviceClaims("r" + r, n));
    }
    double b = median(bare);
    double s = median(svc);
    results.add(row("first claims (" + n + ", " + IN_FLIGHT + " in flight)", s, b, "s", s / b, "<= 1.3x",
        s / b <= 1.3));
  }

  /** The management calls a namespace needs (two users, two permission sets), 16 in flight; seconds. */
  static double bareNamespaces(String round, int n) {
    String p = "bare" + RUN + "-" + round + "-";
    List<IntFunction<Future<?>>> users = new ArrayList<>();
    List<IntFunction<Future<?>>> grants = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String ns = p + i;
      JsonObject perms = new JsonObject().put("configure", "^(queue/" + ns + "/.*|exchange/" + ns + "/.*)")
          .put("write", "^(queue/" + ns + "/.*|exchange/" + ns + "/.*)").put("read", "^(queue/" + ns + "/.*|exchange/.*)");
      users.add(k -> management(HttpMethod.PUT, "/users/" + enc(ns + "-1"),
          new JsonObject().put("password", "p" + k).put("tags", "")));
      users.add(k -> management(HttpMethod.PUT, "/users/" + enc(ns + "-2"),
          new JsonObject().put("password_hash", "").put("tags", "")));
      grants.add(k -> management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/" + enc(ns + "-1"), perms));
      grants.add(k -> management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/" + enc(ns + "-2"), perms));
    }
    // Users first, then their permissions (a permission needs its user): 16 calls in flight throughout.
    double seconds = timed(users, IN_FLIGHT) + timed(grants, IN_FLIGHT);
    cleanUsers(p);
    return seconds;
  }

  static double serviceClaims(String round, int n) {
    List<IntFunction<Future<?>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String ns = "c" + round + "-" + i;
      calls.add(k -> claim(ns, new JsonObject()));
    }
    return timed(calls, IN_FLIGHT);
  }

  // --- reclaims -------------------------------------------------------------------------------------------

  static void reclaims() throws Exception {
    int callers = 32;
    for (int i = 0; i < callers; i++) {
      claim("re-" + i, new JsonObject()).await();
    }
    // Warm up (the JIT), then measure.
    long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    List<Future<Void>> warmers = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      warmers.add(reclaimLoop("re-" + i, warm, new AtomicLong()));
    }
    Future.all(warmers).await();
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    List<Future<Void>> loops = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      loops.add(reclaimLoop("re-" + i, end, done));
    }
    Future.all(loops).await();
    double rps = done.get() / 8.0;
    Pool admin = pool("postgres");
    admin.query("DROP DATABASE IF EXISTS pulse_pgbench").execute().await();
    admin.query("CREATE DATABASE pulse_pgbench").execute().await();
    try {
      sh("pgbench", "-i", "-q", "-s", "10", "-h", HOST, "-U", "postgres", "pulse_pgbench");
      String out = sh("pgbench", "-N", "-c", "32", "-j", "2", "-T", "8", "-h", HOST, "-U", "postgres", "pulse_pgbench");
      Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(out);
      double tps = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
      results.add(new String[] {"reclaims with new expires (32 callers, 8 s)", String.format(Locale.ROOT, "%.0f/s", rps),
          String.format(Locale.ROOT, "%.0f tps (pgbench -N -c 32)", tps), String.format(Locale.ROOT, "%.2fx", rps / tps),
          ">= 0.5x", rps / tps >= 0.5 ? "met" : "MISSED"});
    } finally {
      admin.query("DROP DATABASE IF EXISTS pulse_pgbench WITH (FORCE)").execute().await();
      admin.close().await();
    }
  }

  static Future<Void> reclaimLoop(String ns, long end, AtomicLong done) {
    if (System.nanoTime() >= end) {
      return Future.succeededFuture();
    }
    String expires = Instant.now().plusSeconds(14_400 + done.get() % 1000).toString();
    return claim(ns, new JsonObject().put("expires", expires)).compose(r -> {
      done.incrementAndGet();
      return reclaimLoop(ns, end, done);
    });
  }

  // --- rotation -------------------------------------------------------------------------------------------

  static void rotation(int n) {
    // Namespaces to rotate: made now if the claims above left too few.
    Pool db = pool(DB);
    long have = db.query("SELECT count(*) FROM namespaces WHERE provisioned").execute().await().iterator().next()
        .getLong(0);
    List<IntFunction<Future<?>>> more = new ArrayList<>();
    for (long i = have; i < n; i++) {
      String ns = "rot-" + i;
      more.add(k -> claim(ns, new JsonObject()));
    }
    timed(more, IN_FLIGHT);
    // Bare: one password update per user, 16 in flight, on users that exist.
    String p = "bare" + RUN + "-rot-";
    List<IntFunction<Future<?>>> create = new ArrayList<>();
    List<IntFunction<Future<?>>> update = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String user = p + i;
      create.add(k -> management(HttpMethod.PUT, "/users/" + enc(user), new JsonObject().put("password", "a").put("tags", "")));
      update.add(k -> management(HttpMethod.PUT, "/users/" + enc(user), new JsonObject().put("password", "b" + k).put("tags", "")));
    }
    timed(create, IN_FLIGHT);
    double bare = timed(update, IN_FLIGHT);
    cleanUsers(p);

    // The first rotation of a namespace also makes its standby user (two calls); steady state is one call, so the
    // first sweep is untimed and the second is measured.
    rotateAll(db, n);
    double svc = rotateAll(db, n);
    db.close().await();
    results.add(row("rotation sweep of " + n + " due namespaces", svc, bare, "s", svc / bare, "<= 2x", svc / bare <= 2));
  }

  static double rotateAll(Pool db, int n) {
    db.query("UPDATE namespaces SET next_rotation = now() - interval '1 second' WHERE name IN "
        + "(SELECT name FROM namespaces WHERE provisioned ORDER BY name LIMIT " + n + ")").execute().await();
    long started = System.nanoTime();
    while (db.query("SELECT count(*) FROM namespaces WHERE provisioned AND next_rotation <= now()").execute().await()
        .iterator().next().getLong(0) > 0) {
      sleep(20);
    }
    return (System.nanoTime() - started) / 1e9;
  }

  // --- monitor --------------------------------------------------------------------------------------------

  static void monitor(int n) throws Exception {
    // Queues of existing namespaces (not orphans), made with the admin's AMQP connection.
    Pool db = pool(DB);
    List<String> names = new ArrayList<>();
    db.query("SELECT name FROM namespaces WHERE provisioned ORDER BY name LIMIT 1000").execute().await()
        .forEach(row -> names.add(row.getString(0)));
    db.close().await();
    com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
    factory.setUri("amqp://guest:guest@" + HOST + ":5672/" + enc(VHOST));
    try (com.rabbitmq.client.Connection connection = factory.newConnection("pulse-bench");
        com.rabbitmq.client.Channel channel = connection.createChannel()) {
      for (int i = 0; i < n; i++) {
        channel.queueDeclare("queue/" + names.get(i % names.size()) + "/q" + i, false, false, false, null);
      }
    }
    // Service: the monitor sweeps every 20 s (its listings are never served from the plugin's cache); read the
    // duration of a sweep that saw all the queues from /metrics.
    double svc = nextSweepSeconds(n);
    // Bare: the same listing (same columns, pages of 500), 8 s after that sweep so the cache has expired too.
    sleep(8000);
    long started = System.nanoTime();
    int listed = 0;
    for (int page = 1; ; page++) {
      HttpResponse<Buffer> r = management(HttpMethod.GET, "/queues/" + enc(VHOST)
          + "?columns=name,messages&page_size=500&use_regex=true&name=" + enc("^queue/") + "&page=" + page, null).await();
      JsonObject body = r.bodyAsJsonObject();
      listed += body.getJsonArray("items").size();
      if (page >= body.getInteger("page_count")) {
        break;
      }
    }
    double bare = (System.nanoTime() - started) / 1e9;
    results.add(row("monitor sweep over " + listed + " queues (cold)", svc, bare, "s", svc / bare, "<= 1.3x",
        svc / bare <= 1.3));
  }

  static double nextSweepSeconds(int queues) throws Exception {
    String last = metric("pulse_monitor_sweep_seconds");
    if (last == null) {
      System.out.println("(pulse_monitor_sweep_seconds is not exported by this build: monitor figure skipped)");
      return Double.NaN;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int changes = 0;
    while (System.nanoTime() < deadline) {
      String now = metric("pulse_monitor_sweep_seconds");
      if (now != null && !now.equals(last)) {
        last = now;
        if (++changes == 2) {
          // The second sweep after the queues were made has certainly seen all of them.
          return Double.parseDouble(now);
        }
      }
      sleep(200);
    }
    throw new IllegalStateException("no monitor sweep within 120 s");
  }

  static String metric(String name) {
    HttpResponse<Buffer> r = http.get(port, HOST, "/metrics").send().await();
    if (r.statusCode() != 200) {
      return null;
    }
    for (String line : r.bodyAsString().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return line.substring(line.lastIndexOf(' ') + 1).trim();
      }
    }
    return null;
  }

  // --- the service ----------------------------------------------------------------------------------------

  static void startService() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String javaOpts = System.getenv("PULSE_BENCH_JAVA_OPTS");
    if (javaOpts != null && !javaOpts.isBlank()) {
      command.addAll(List.of(javaOpts.trim().split("\\s+")));
    }
    command.addAll(List.of("-jar", "app/target/pulse.jar"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("bench/service.log").toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().put("PULSE_HTTP_PORT", String.valueOf(port));
    builder.environment().put("PULSE_HTTP_HOST", HOST);
    builder.environment().put("PULSE_DB_URL", "postgresql://postgres@" + HOST + ":5432/" + DB);
    builder.environment().put("PULSE_SECRET_KEY", "YmVuY2gta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0tLS0=");
    builder.environment().put("PULSE_DB_POOL_SIZE", "16");
    builder.environment().put("PULSE_AMQP_URL", "amqp://" + HOST + ":5672/" + enc(VHOST));
    builder.environment().put("PULSE_RABBIT_API", "http://" + HOST + ":" + MGMT + "/api");
    builder.environment().put("PULSE_USERNAME_PREFIX", PREFIX);
    builder.environment().put("PULSE_JWT_SECRET", SECRET);
    builder.environment().put("PULSE_MAINTENANCE_INTERVAL", "100ms");
    builder.environment().put("PULSE_RECONCILE_INTERVAL", "1h");
    builder.environment().put("PULSE_MONITOR_INTERVAL", "20s");
    builder.environment().put("PULSE_LOG_LEVEL", "WARN");
    Files.deleteIfExists(Path.of("bench/service.log"));
    service = builder.start();
    for (int i = 0; ; i++) {
      try {
        if (http.get(port, HOST, "/api/pulse/v1/ping").send().await().statusCode() == 200) {
          break;
        }
      } catch (Exception notYet) {
        if (i > 600 || !service.isAlive()) {
          throw new IllegalStateException("the service did not start; see bench/service.log");
        }
      }
      sleep(100);
    }
    JWTAuth auth = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
    token = auth.generateToken(new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")),
        new JWTOptions().setExpiresInMinutes(120).setSubject("bench"));
  }

  static Future<HttpResponse<Buffer>> claim(String ns, JsonObject body) {
    return http.post(port, HOST, "/api/pulse/v1/namespace/" + ns)
        .putHeader("Authorization", "Bearer " + token)
        .sendJsonObject(body)
        .compose(r -> r.statusCode() == 200 ? Future.succeededFuture(r)
            : Future.failedFuture("claim " + ns + ": " + r.statusCode() + " " + r.bodyAsString()));
  }

  // --- helpers --------------------------------------------------------------------------------------------

  static Future<HttpResponse<Buffer>> management(HttpMethod method, String path, JsonObject body) {
    var request = mgmt.request(method, MGMT, HOST, "/api" + path).basicAuthentication("guest", "guest");
    return (body == null ? request.send() : request.sendJsonObject(body)).compose(r -> r.statusCode() < 400
        ? Future.succeededFuture(r) : Future.failedFuture(method + " " + path + ": " + r.statusCode()));
  }

  /** Runs the calls with {@code inFlight} at a time; answers the seconds it took. */
  static double timed(List<IntFunction<Future<?>>> calls, int inFlight) {
    long started = System.nanoTime();
    AtomicLong next = new AtomicLong();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < inFlight; i++) {
      lanes.add(lane(calls, next));
    }
    Future.all(lanes).await();
    return (System.nanoTime() - started) / 1e9;
  }

  static Future<Void> lane(List<IntFunction<Future<?>>> calls, AtomicLong next) {
    int i = (int) next.getAndIncrement();
    if (i >= calls.size()) {
      return Future.succeededFuture();
    }
    return calls.get(i).apply(i).compose(r -> lane(calls, next));
  }

  static void cleanUsers(String prefix) {
    try {
      JsonArray users = management(HttpMethod.GET, "/users?columns=name", null).await().bodyAsJsonArray();
      JsonArray mine = new JsonArray();
      users.forEach(u -> {
        String name = ((JsonObject) u).getString("name");
        if (name.startsWith(prefix)) {
          mine.add(name);
        }
      });
      if (!mine.isEmpty()) {
        management(HttpMethod.POST, "/users/bulk-delete", new JsonObject().put("users", mine)).await();
      }
    } catch (Exception e) {
      System.err.println("cleanup of users " + prefix + "* failed: " + e.getMessage());
    }
  }

  static Pool pool(String database) {
    return PgBuilder.pool().connectingTo(new PgConnectOptions().setHost(HOST).setPort(5432).setUser("postgres")
        .setDatabase(database)).using(vertx).build();
  }

  static long peakRssKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static String sh(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      r.lines().forEach(l -> out.append(l).append('\n'));
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    }
    return out.toString();
  }

  static String[] row(String what, double svc, double bare, String unit, double ratio, String target, boolean met) {
    return new String[] {what, String.format(Locale.ROOT, "%.2f %s", svc, unit),
        String.format(Locale.ROOT, "%.2f %s", bare, unit), String.format(Locale.ROOT, "%.2fx", ratio), target,
        Double.isNaN(ratio) ? "n/a" : met ? "met" : "MISSED"};
  }

  static void print() {
    System.out.println();
    System.out.println("| figure | service | bare | ratio | target | |");
    System.out.println("|---|---|---|---|---|---|");
    for (String[] r : results) {
      System.out.println("| " + String.join(" | ", r) + " |");
    }
  }

  static void check(HttpResponse<Buffer> r, String what) {
    if (r.statusCode() >= 400) {
      throw new IllegalStateException(what + ": " + r.statusCode());
    }
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  static String stringArg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  static int intArg(String[] args, String name, int fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
