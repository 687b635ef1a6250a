import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark harness (bench/run): starts app/target/pulse.jar on its own database and vhost, and measures each
 * figure of the service against the bare operation it rests on, on the same machine in the same run, the way an
 * outside harness would: fresh names for every namespace, rounds interleaved with the bare path (alternating which goes
 * first) after equal warm-ups, bare paths with real passwords, per-round figures and their median. Two reference
 * paths run in the same rounds without a target of their own: the floor of a first claim (its three management calls
 * made directly) and password changes with hashes the client computed (the service sends hashes). Each claim round also
 * says where the machine's CPU went (broker, service, harness, the rest).
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
  static final String BARE = "bare" + RUN + "-";

  static Vertx vertx;
  static WebClient mgmt;
  static WebClient http;
  static int port;
  static Process service;
  static String token;
  static long peakRssKb;
  static final List<Double> startups = new ArrayList<>();
  static final List<String[]> results = new ArrayList<>();
  static final List<String> rounds = new ArrayList<>();

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
    int claims = intArg(args, "--claims", 134);
    int warmup = intArg(args, "--warmup", 40);
    int claimRounds = intArg(args, "--rounds", 3);
    int rotations = intArg(args, "--rotations", 1000);
    int rotationRounds = intArg(args, "--rotation-rounds", 3);
    int reclaimRounds = intArg(args, "--reclaim-rounds", 3);
    List<String> only = List.of(stringArg(args, "--only", "claims,reclaims,rotation,embedded").split(","));
    idleCheck();
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
      warmHarness();
      double firstStart = startService(externalDb());
      System.out.printf("Pulse bench %s: vhost %s, database %s, service pid %d, started in %.2f s%n", RUN, VHOST, DB,
          service.pid(), firstStart);
      if (only.contains("claims")) {
        firstClaims(warmup, claims, claimRounds);
      }
      if (only.contains("reclaims")) {
        reclaims(reclaimRounds);
      }
      if (only.contains("rotation")) {
        rotation(rotations, rotationRounds);
      }
      stopService();
      results.add(new String[] {"service peak resident memory (VmHWM, external database)", (peakRssKb / 1024) + " MB",
          "", "", "<= 250 MB", peakRssKb / 1024 <= 250 ? "met" : "MISSED"});
      results.add(new String[] {"start-up, external database (first, with migrations; later launches)",
          String.format(Locale.ROOT, "%.2f s; %s", firstStart, startups.isEmpty() ? "-"
              : String.format(Locale.ROOT, "%.2f s median of %d", median(startups), startups.size())), "", "", "",
          ""});
      if (only.contains("embedded")) {
        embedded();
      }
      print();
    } finally {
      stopService();
      cleanUsers(PREFIX);
      cleanUsers(BARE);
      management(HttpMethod.DELETE, "/vhosts/" + enc(VHOST), null).await();
      admin.query("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)").execute().await();
      admin.close().await();
      vertx.close().await();
    }
  }

  // --- first claims ---------------------------------------------------------------------------------------

  /**
   * Equal warm-ups (as many bare namespaces as service claims), then rounds of fresh namespaces, 16 in flight,
   * alternating which path goes first; the figure is the median of the per-round ratios.
   */
  static void firstClaims(int warmup, int n, int roundCount) {
    bareNamespaces("w", warmup);
    serviceClaims("w", warmup);
    floorNamespaces("w", warmup);
    List<Double> ratios = new ArrayList<>();
    List<Double> floorRatios = new ArrayList<>();
    List<Double> bare = new ArrayList<>();
    List<Double> svc = new ArrayList<>();
    List<Double> floors = new ArrayList<>();
    for (int r = 0; r < roundCount; r++) {
      double b;
      double s;
      double f;
      // The floor runs between the two, so the bare path and the service keep their alternating order.
      if (r % 2 == 0) {
        b = bareNamespaces("r" + r, n);
        f = floorNamespaces("r" + r, n);
        s = serviceClaims("r" + r, n);
      } else {
        s = serviceClaims("r" + r, n);
        f = floorNamespaces("r" + r, n);
        b = bareNamespaces("r" + r, n);
      }
      bare.add(b);
      svc.add(s);
      floors.add(f);
      ratios.add(s / b);
      floorRatios.add(f / b);
      round("first claims", r, s, b, (r % 2 == 0 ? "bare" : "service") + " first; the floor "
          + String.format(Locale.ROOT, "%.3f s, %.2fx", f, f / b));
    }
    double ratio = median(ratios);
    results.add(row("first claims (" + n + " new namespaces, " + IN_FLIGHT + " in flight; " + warmup
        + " warm-up each; median of " + roundCount + " interleaved rounds)", median(svc), median(bare), "s", ratio,
        "<= 0.7x", ratio <= 0.7));
    results.add(new String[] {"floor of a first claim: its three management calls made directly (no service, no"
        + " database; same rounds)", String.format(Locale.ROOT, "%.2f s", median(floors)),
        String.format(Locale.ROOT, "%.2f s", median(bare)), String.format(Locale.ROOT, "%.2fx", median(floorRatios)),
        "(no target: what any service making these calls starts from)", ""});
  }

  /**
   * The broker's part of a first claim made directly, with no service and no database: per namespace, create user -1
   * only if absent ({@code If-None-Match: *}, with a password hash as the service sends it, and the service's tag)
   * beside a read of user -2 (404),
   * then PUT user -1's permissions; 16 namespaces in flight. No service making these calls can beat this. Seconds.
   */
  static double floorNamespaces(String round, int n) {
    String p = BARE + "f" + round + "-";
    List<IntFunction<Future<?>>> namespaces = new ArrayList<>();
    JsonArray names = new JsonArray();
    for (int i = 0; i < n; i++) {
      String ns = p + i;
      JsonObject perms = permissions(ns);
      names.add(ns + "-1");
      namespaces.add(k -> {
        // The read goes through the other client's pool, so the two calls of a namespace never wait for a connection.
        Future<HttpResponse<Buffer>> standby = http.request(HttpMethod.GET, MGMT, HOST, "/api/users/" + enc(ns + "-2"))
            .basicAuthentication("guest", "guest").send();
        Future<HttpResponse<Buffer>> created = mgmt.request(HttpMethod.PUT, MGMT, HOST, "/api/users/" + enc(ns + "-1"))
            .basicAuthentication("guest", "guest").putHeader("If-None-Match", "*")
            .sendJsonObject(userBody(true).put("tags", "pulse-managed"));
        return Future.all(standby, created).compose(both -> standby.result().statusCode() == 404
                && created.result().statusCode() < 300 ? Future.succeededFuture()
                : Future.failedFuture("floor " + ns + ": " + standby.result().statusCode() + " / "
                    + created.result().statusCode()))
            .compose(v -> management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/" + enc(ns + "-1"), perms));
      });
    }
    long[] costs = costs();
    double seconds = timed(namespaces, IN_FLIGHT);
    System.out.println("  floor round " + round + ":" + costsSince(costs, n, "namespace"));
    deleteUsers(names);
    return seconds;
  }

  /**
   * What a namespace costs done by hand: per namespace, one after another, PUT user -1 (with a password), PUT its
   * permissions, PUT user -2 (with a password), PUT its permissions; 16 namespaces in flight. Seconds.
   */
  static double bareNamespaces(String round, int n) {
    String p = BARE + round + "-";
    List<IntFunction<Future<?>>> namespaces = new ArrayList<>();
    JsonArray names = new JsonArray();
    for (int i = 0; i < n; i++) {
      String ns = p + i;
      JsonObject perms = permissions(ns);
      names.add(ns + "-1").add(ns + "-2");
      namespaces.add(k -> management(HttpMethod.PUT, "/users/" + enc(ns + "-1"),
              new JsonObject().put("password", password()).put("tags", ""))
          .compose(v -> management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/" + enc(ns + "-1"), perms))
          .compose(v -> management(HttpMethod.PUT, "/users/" + enc(ns + "-2"),
              new JsonObject().put("password", password()).put("tags", "")))
          .compose(v -> management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/" + enc(ns + "-2"), perms)));
    }
    long[] costs = costs();
    double seconds = timed(namespaces, IN_FLIGHT);
    System.out.println("  bare round " + round + ":" + costsSince(costs, n, "namespace"));
    deleteUsers(names);
    return seconds;
  }

  static double serviceClaims(String round, int n) {
    List<IntFunction<Future<?>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String ns = "c" + round + "-" + i;
      calls.add(k -> claim(ns, new JsonObject()));
    }
    Map<String, double[]> before = rabbitCalls();
    long cpuBefore = cpuMillis(service.pid());
    long systemBefore = cpuMillis(service.pid(), false);
    long[] costs = costs();
    double seconds = timed(calls, IN_FLIGHT);
    String costed = costsSince(costs, n, "claim");
    long cpu = cpuMillis(service.pid()) - cpuBefore;
    long system = cpuMillis(service.pid(), false) - systemBefore;
    Map<String, double[]> after = rabbitCalls();
    StringBuilder counted = new StringBuilder();
    after.forEach((method, now) -> {
      double[] was = before.getOrDefault(method, new double[2]);
      double count = now[0] - was[0];
      if (count > 0) {
        counted.append(String.format(Locale.ROOT, " %s %.2f/claim (mean %.1f ms);", method, count / n,
            1000 * (now[1] - was[1]) / count));
      }
    });
    System.out.println("  service round " + round + ": management calls" + counted + String.format(Locale.ROOT,
        " service CPU %.1f ms/claim (%.0f%% in the kernel); standby users made %.2f s after the round",
        (double) cpu / n, 100.0 * system / Math.max(1, cpu), standbysMade("c" + round + "-")) + ";" + costed);
    return seconds;
  }

  /**
   * Waits until maintenance has made the standby users of the namespaces named {@code prefix...} (work the service
   * does after a burst of claims), so that none of it runs inside the next measurement, the bare path's included;
   * answers how long that took.
   */
  static double standbysMade(String prefix) {
    Pool db = pool(DB);
    long started = System.nanoTime();
    try {
      while (db.preparedQuery("SELECT 1 FROM namespaces WHERE name LIKE $1 AND password_2 IS NULL LIMIT 1")
          .execute(io.vertx.sqlclient.Tuple.of(prefix + "%")).await().size() > 0) {
        if (System.nanoTime() - started > TimeUnit.SECONDS.toNanos(60)) {
          throw new IllegalStateException("standby users of " + prefix + "* not made within 60 s; see"
              + " bench/service.log");
        }
        sleep(20);
      }
    } finally {
      db.close().await();
    }
    return (System.nanoTime() - started) / 1e9;
  }

  /** The service's management calls so far, by method: {count, seconds}. */
  static Map<String, double[]> rabbitCalls() {
    Map<String, double[]> calls = new HashMap<>();
    HttpResponse<Buffer> r = http.get(port, HOST, "/metrics").send().await();
    Matcher m = Pattern.compile("^pulse_rabbit_api_seconds_(count|sum)\\{[^}]*method=\"([A-Z]+)\"[^}]*} ([0-9.eE+-]+)$",
        Pattern.MULTILINE).matcher(r.bodyAsString());
    while (m.find()) {
      double[] c = calls.computeIfAbsent(m.group(2), k -> new double[2]);
      c[m.group(1).equals("count") ? 0 : 1] += Double.parseDouble(m.group(3));
    }
    return calls;
  }

  /**
   * Warms this harness's own HTTP client (this JVM's JIT) for 4 s on a local server that answers at once, before the
   * service starts: without it the harness compiled its client during the first rounds and took CPU from whichever
   * side those rounds measured (0.3-0.5 ms of CPU per reclaim in the first reclaim rounds, 0.04 ms once warm; pgbench,
   * the reclaims' bare path, is C and needs no warming). Neither the service nor the broker gets warmer by it.
   */
  static void warmHarness() {
    var server = vertx.createHttpServer()
        .requestHandler(request -> request.body().onSuccess(body -> request.response()
            .putHeader("Content-Type", "application/json").end("{\"connectionString\":\"amqp://u:p@h/v\"}")))
        .listen(0, HOST).await();
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    List<Future<Void>> loops = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      loops.add(warmLoop(server.actualPort(), end, done));
    }
    Future.all(loops).await();
    server.close().await();
    System.out.printf(Locale.ROOT, "harness warmed: %d requests to a local stub in 4 s%n", done.get());
  }

  static Future<Void> warmLoop(int stubPort, long end, AtomicLong done) {
    return repeat(() -> System.nanoTime() < end, () -> http.post(stubPort, HOST, "/api/pulse/v1/namespace/warm")
        .putHeader("Authorization", "Bearer warm")
        .sendJsonObject(new JsonObject().put("expires", Instant.now().toString()))
        .onSuccess(r -> done.incrementAndGet()));
  }

  /**
   * Runs {@code step} again and again while {@code more} says so, each time from the previous step's callback. Not a
   * chain of composed futures: one of those completes through as many nested calls as it had steps, and with a few
   * thousand reclaims per loop two runs hung at the end of a round (one logging a JDK class whose initialisation had
   * failed, as a stack overflow mid-initialisation leaves it; -Xss512k), while the service had answered everything.
   */
  static Future<Void> repeat(BooleanSupplier more, Supplier<Future<?>> step) {
    Promise<Void> finished = Promise.promise();
    next(more, step, finished);
    return finished.future();
  }

  private static void next(BooleanSupplier more, Supplier<Future<?>> step, Promise<Void> finished) {
    if (!more.getAsBoolean()) {
      finished.complete();
      return;
    }
    step.get().onComplete(ar -> {
      if (ar.failed()) {
        finished.fail(ar.cause());
      } else {
        next(more, step, finished);
      }
    });
  }

  // --- reclaims -------------------------------------------------------------------------------------------

  /**
   * 64 namespaces re-claimed with a new expires by 32 loops (each loop alternates between two namespaces) for 8 s,
   * against pgbench -N -c 32 -j 2 -T 8 on the same PostgreSQL; both warmed up for 4 s, rounds alternating.
   */
  static void reclaims(int roundCount) throws Exception {
    int loops = 32;
    for (int i = 0; i < 2 * loops; i++) {
      claim("re-" + i, new JsonObject()).await();
    }
    String pgbenchDb = "pulse_pgbench_" + RUN;
    Pool admin = pool("postgres");
    admin.query("CREATE DATABASE " + pgbenchDb).execute().await();
    try {
      sh("pgbench", "-i", "-q", "-s", "10", "-h", HOST, "-U", "postgres", pgbenchDb);
      reclaimRate(loops, 4);
      pgbench(pgbenchDb, 4);
      List<Double> ratios = new ArrayList<>();
      List<Double> svc = new ArrayList<>();
      List<Double> bare = new ArrayList<>();
      for (int r = 0; r < roundCount; r++) {
        double s;
        double b;
        if (r % 2 == 0) {
          b = pgbench(pgbenchDb, 8);
          s = reclaimRate(loops, 8);
        } else {
          s = reclaimRate(loops, 8);
          b = pgbench(pgbenchDb, 8);
        }
        svc.add(s);
        bare.add(b);
        ratios.add(s / b);
        round("reclaims", r, s, b, (r % 2 == 0 ? "pgbench" : "service") + " first; per second");
      }
      double ratio = median(ratios);
      results.add(new String[] {"reclaims with a new expires (64 namespaces, 32 loops, 8 s; median of " + roundCount
          + " interleaved rounds)", String.format(Locale.ROOT, "%.0f/s", median(svc)),
          String.format(Locale.ROOT, "%.0f tps (pgbench -N -c 32 -j 2)", median(bare)),
          String.format(Locale.ROOT, "%.2fx", ratio), ">= 1.2x", ratio >= 1.2 ? "met" : "MISSED"});
    } finally {
      admin.query("DROP DATABASE IF EXISTS " + pgbenchDb + " WITH (FORCE)").execute().await();
      admin.close().await();
    }
  }

  static double reclaimRate(int loops, int seconds) {
    long cpuBefore = cpuMillis(service.pid());
    long clientBefore = cpuMillis(ProcessHandle.current().pid());
    long[] machineBefore = machineTicks();
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long started = System.nanoTime();
    List<Future<Void>> all = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      all.add(reclaimLoop(i, loops, end, done));
    }
    Future.all(all).await();
    double rate = done.get() / ((System.nanoTime() - started) / 1e9);
    long[] machine = machineTicks();
    System.out.printf(Locale.ROOT, "  service reclaims: %.0f/s, service CPU %.2f ms/reclaim, this harness's CPU %.2f"
        + " ms/reclaim, machine busy %.0f%% (stolen %.0f%%)%n", rate,
        (double) (cpuMillis(service.pid()) - cpuBefore) / done.get(),
        (double) (cpuMillis(ProcessHandle.current().pid()) - clientBefore) / done.get(),
        100.0 * (machine[0] - machineBefore[0]) / Math.max(1, machine[1] - machineBefore[1]),
        100.0 * (machine[2] - machineBefore[2]) / Math.max(1, machine[1] - machineBefore[1]));
    return rate;
  }

  static Future<Void> reclaimLoop(int loop, int loops, long end, AtomicLong done) {
    AtomicLong k = new AtomicLong();
    return repeat(() -> System.nanoTime() < end, () -> {
      String ns = "re-" + (loop + (k.getAndIncrement() % 2) * loops);
      String expires = Instant.now().plusSeconds(14_400 + done.get() % 1000).toString();
      return claim(ns, new JsonObject().put("expires", expires)).onSuccess(r -> done.incrementAndGet());
    });
  }

  static double pgbench(String database, int seconds) throws Exception {
    String out = sh("pgbench", "-N", "-c", "32", "-j", "2", "-T", String.valueOf(seconds), "-h", HOST, "-U",
        "postgres", database);
    Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no tps in pgbench's output:\n" + out);
    }
    return Double.parseDouble(m.group(1));
  }

  // --- rotation -------------------------------------------------------------------------------------------

  /**
   * Per round: n fresh namespaces claimed, the service stopped, their rotations made due, the service launched again;
   * the sweep's time is from launch until pulse_rotations_total reaches n, less the start-up time (launch until the
   * first answer). Bare: n PUT /api/users with a password on existing users, 16 in flight. Rounds alternate.
   */
  static void rotation(int n, int roundCount) throws Exception {
    Pool db = pool(DB);
    List<Double> ratios = new ArrayList<>();
    List<Double> hashedRatios = new ArrayList<>();
    List<Double> svc = new ArrayList<>();
    List<Double> bare = new ArrayList<>();
    List<Double> hashed = new ArrayList<>();
    try {
      for (int r = 0; r < roundCount; r++) {
        double s;
        double b;
        double h;
        // The bare path with hashes runs between the two, so the bare path and the service keep their alternation.
        if (r % 2 == 0) {
          b = barePasswords("rot" + r, n, false);
          h = barePasswords("roth" + r, n, true);
          s = serviceSweep(db, "rot" + r + "-", n);
        } else {
          s = serviceSweep(db, "rot" + r + "-", n);
          h = barePasswords("roth" + r, n, true);
          b = barePasswords("rot" + r, n, false);
        }
        svc.add(s);
        bare.add(b);
        hashed.add(h);
        ratios.add(s / b);
        hashedRatios.add(s / h);
        round("rotation sweep", r, s, b, (r % 2 == 0 ? "bare" : "service") + " first; bare with hashes "
            + String.format(Locale.ROOT, "%.3f s, %.2fx", h, s / h));
      }
    } finally {
      db.close().await();
    }
    double ratio = median(ratios);
    results.add(row("rotation sweep of " + n + " due namespaces (from relaunch, less start-up; median of "
        + roundCount + " interleaved rounds)", median(svc), median(bare), "s", ratio, "<= 1x", ratio <= 1));
    double hashedRatio = median(hashedRatios);
    results.add(row("the same sweeps against PUTs with password hashes the client computed (the service hashes its"
        + " own; same rounds)", median(svc), median(hashed), "s", hashedRatio, "<= 1x", hashedRatio <= 1));
  }

  static double serviceSweep(Pool db, String prefix, int n) throws Exception {
    List<IntFunction<Future<?>>> claims = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String ns = prefix + i;
      claims.add(k -> claim(ns, new JsonObject()));
    }
    timed(claims, IN_FLIGHT);
    stopService();
    db.preparedQuery("UPDATE namespaces SET next_rotation = now() - interval '1 second' WHERE name LIKE $1")
        .execute(io.vertx.sqlclient.Tuple.of(prefix + "%")).await();
    long launched = System.nanoTime();
    double startup = startService(externalDb());
    startups.add(startup);
    while (metricValue("pulse_rotations_total") < n) {
      if (System.nanoTime() - launched > TimeUnit.SECONDS.toNanos(300)) {
        throw new IllegalStateException("fewer than " + n + " rotations within 300 s; see bench/service.log");
      }
      sleep(10);
    }
    double seconds = (System.nanoTime() - launched) / 1e9 - startup;
    StringBuilder counted = new StringBuilder();
    rabbitCalls().forEach((method, c) -> counted.append(String.format(Locale.ROOT, " %s %.0f (mean %.1f ms);",
        method, c[0], 1000 * c[1] / c[0])));
    System.out.println("  service sweep " + prefix + ": management calls since launch" + counted + " service CPU "
        + cpuMillis(service.pid()) + " ms since launch;" + String.format(Locale.ROOT, " done %.3f s after launch,"
        + " start-up %.3f s (a sweep that overlaps the start-up reads low)", seconds + startup, startup));
    return seconds;
  }

  /**
   * 1,000 password changes made by hand: {@code PUT /api/users/<u>} on existing users, 16 in flight, with the password
   * (the broker hashes it) or, with {@code hashed}, its salted SHA-256 hash computed here at the time of the request
   * (as the service sends them; the broker then hashes nothing). Seconds, for the changes only.
   */
  static double barePasswords(String round, int n, boolean hashed) {
    String p = BARE + round + "-";
    List<IntFunction<Future<?>>> create = new ArrayList<>();
    List<IntFunction<Future<?>>> update = new ArrayList<>();
    JsonArray names = new JsonArray();
    for (int i = 0; i < n; i++) {
      String user = p + i;
      names.add(user);
      create.add(k -> management(HttpMethod.PUT, "/users/" + enc(user),
          new JsonObject().put("password", password()).put("tags", "")));
      update.add(k -> management(HttpMethod.PUT, "/users/" + enc(user), userBody(hashed)));
    }
    timed(create, IN_FLIGHT);
    double seconds = timed(update, IN_FLIGHT);
    deleteUsers(names);
    return seconds;
  }

  /** A user's body with a fresh password, or with that password's salted SHA-256 hash (RabbitMQ's own scheme). */
  static JsonObject userBody(boolean hashed) {
    JsonObject body = new JsonObject().put("tags", "");
    if (!hashed) {
      return body.put("password", password());
    }
    try {
      byte[] salt = new byte[4];
      RANDOM.nextBytes(salt);
      java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
      digest.update(salt);
      byte[] hash = digest.digest(password().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] salted = new byte[salt.length + hash.length];
      System.arraycopy(salt, 0, salted, 0, salt.length);
      System.arraycopy(hash, 0, salted, salt.length, hash.length);
      return body.put("password_hash", java.util.Base64.getEncoder().encodeToString(salted))
          .put("hashing_algorithm", "rabbit_password_hashing_sha256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- embedded database ------------------------------------------------------------------------------------

  /** Start-up with the embedded PostgreSQL (first: initdb; then a warm restart), and the peak memory then. */
  static void embedded() throws Exception {
    Path dir = Files.createTempDirectory("pulse-bench-embedded-");
    sh("chmod", "0777", dir.toString());
    long peakBefore = peakRssKb;
    peakRssKb = 0;
    try {
      Map<String, String> env = new HashMap<>();
      env.put("PULSE_DATA_DIR", dir.toString());
      double cold = startService(env);
      stopService();
      double warm = startService(env);
      stopService();
      results.add(new String[] {"start-up, embedded database (first, with initdb; restart)",
          String.format(Locale.ROOT, "%.2f s; %.2f s", cold, warm), "", "",
          "", ""});
      results.add(new String[] {"service peak resident memory (VmHWM, embedded database, start-up only)",
          (peakRssKb / 1024) + " MB", "", "", "", ""});
    } catch (Exception e) {
      results.add(new String[] {"start-up, embedded database", "failed: " + e.getMessage(), "", "", "", ""});
      stopService();
    } finally {
      peakRssKb = Math.max(peakRssKb, peakBefore);
      sh("rm", "-rf", dir.toString());
    }
  }

  // --- the service ----------------------------------------------------------------------------------------

  static Map<String, String> externalDb() {
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", "postgresql://postgres@" + HOST + ":5432/" + DB);
    env.put("PULSE_SECRET_KEY", "YmVuY2gta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0tLS0=");
    return env;
  }

  /** Launches the jar with scripts/jvm.options; answers the seconds from launch until it answers a ping. */
  static double startService(Map<String, String> database) throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@scripts/jvm.options"));
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
    builder.environment().putAll(database);
    builder.environment().put("PULSE_AMQP_URL", "amqp://" + HOST + ":5672/" + enc(VHOST));
    builder.environment().put("PULSE_RABBIT_API", "http://" + HOST + ":" + MGMT + "/api");
    builder.environment().put("PULSE_USERNAME_PREFIX", PREFIX);
    builder.environment().put("PULSE_JWT_SECRET", SECRET);
    builder.environment().put("PULSE_ROTATION_INTERVAL", "1h");
    builder.environment().put("PULSE_MAINTENANCE_INTERVAL", "1s");
    builder.environment().put("PULSE_MONITOR_INTERVAL", "3s");
    // The per-caller limit on first claims guards against abuse; the bench is one caller making thousands.
    builder.environment().put("PULSE_FIRST_CLAIMS_PER_SECOND", "100000");
    long launched = System.nanoTime();
    service = builder.start();
    for (int i = 0; ; i++) {
      try {
        if (http.get(port, HOST, "/api/pulse/v1/ping").send().await().statusCode() == 200) {
          break;
        }
      } catch (Exception notYet) {
        if (i > 20_000 || !service.isAlive()) {
          throw new IllegalStateException("the service did not start; see bench/service.log");
        }
      }
      sleep(5);
    }
    double startup = (System.nanoTime() - launched) / 1e9;
    if (token == null) {
      JWTAuth auth = JWTAuth.create(vertx, new JWTAuthOptions()
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
      token = auth.generateToken(new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")),
          new JWTOptions().setExpiresInMinutes(120).setSubject("bench"));
    }
    return startup;
  }

  /** Stops the service (SIGTERM: it finishes what is in flight), noting its peak resident memory first. */
  static void stopService() throws Exception {
    if (service == null) {
      return;
    }
    if (service.isAlive()) {
      peakRssKb = Math.max(peakRssKb, peakRssKb(service.pid()));
      service.destroy();
      if (!service.waitFor(60, TimeUnit.SECONDS)) {
        service.destroyForcibly();
      }
    }
    service = null;
  }

  static Future<HttpResponse<Buffer>> claim(String ns, JsonObject body) {
    // A generous limit: a claim the harness never sees answered fails the run with a message instead of hanging it.
    return http.post(port, HOST, "/api/pulse/v1/namespace/" + ns)
        .timeout(30_000)
        .putHeader("Authorization", "Bearer " + token)
        .sendJsonObject(body)
        .compose(r -> r.statusCode() == 200 ? Future.succeededFuture(r)
            : Future.failedFuture("claim " + ns + ": " + r.statusCode() + " " + r.bodyAsString()));
  }

  static double metricValue(String name) {
    HttpResponse<Buffer> r = http.get(port, HOST, "/metrics").send().await();
    if (r.statusCode() != 200) {
      return -1;
    }
    for (String line : r.bodyAsString().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return 0;
  }

  // --- helpers --------------------------------------------------------------------------------------------

  static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  /** A password as strong as the service's (256 random bits). */
  static String password() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** A namespace's permissions, as the service gives them: its own queues and exchanges, and reading any exchange. */
  static JsonObject permissions(String ns) {
    return new JsonObject().put("configure", "^(queue/" + ns + "/.*|exchange/" + ns + "/.*)")
        .put("write", "^(queue/" + ns + "/.*|exchange/" + ns + "/.*)").put("read", "^(queue/" + ns + "/.*|exchange/.*)");
  }

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
    return repeat(() -> next.get() < calls.size(), () -> {
      int i = (int) next.getAndIncrement();
      return i < calls.size() ? calls.get(i).apply(i) : Future.succeededFuture();
    });
  }

  static void deleteUsers(JsonArray names) {
    for (int from = 0; from < names.size(); from += 1000) {
      JsonArray some = new JsonArray(names.getList().subList(from, Math.min(names.size(), from + 1000)));
      management(HttpMethod.POST, "/users/bulk-delete", new JsonObject().put("users", some)).await();
    }
  }

  /** Deletes every user whose name starts with {@code prefix}; the listing may answer 500 while users go: retried. */
  static void cleanUsers(String prefix) {
    for (int attempt = 1; attempt <= 5; attempt++) {
      try {
        JsonArray users = management(HttpMethod.GET, "/users?columns=name", null).await().bodyAsJsonArray();
        JsonArray mine = new JsonArray();
        users.forEach(u -> {
          String name = ((JsonObject) u).getString("name");
          if (name.startsWith(prefix)) {
            mine.add(name);
          }
        });
        deleteUsers(mine);
        return;
      } catch (Exception e) {
        System.err.println("cleanup of users " + prefix + "* failed (attempt " + attempt + "): " + e.getMessage());
        sleep(1000);
      }
    }
  }

  static Pool pool(String database) {
    return PgBuilder.pool().connectingTo(new PgConnectOptions().setHost(HOST).setPort(5432).setUser("postgres")
        .setDatabase(database)).using(vertx).build();
  }

  /** CPU time (user and system) the process has used so far, in milliseconds. */
  static long cpuMillis(long pid) {
    return cpuMillis(pid, true);
  }

  /** A process's CPU time in milliseconds: user and system, or system (the kernel's work for it) only. */
  static long cpuMillis(long pid, boolean withUser) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return ((withUser ? Long.parseLong(fields[11]) : 0) + Long.parseLong(fields[12])) * 10;
    } catch (Exception e) {
      return 0;
    }
  }

  /**
   * Says how busy the machine is before anything starts (2 s), and how much time its hypervisor took from it (steal):
   * a run on a machine that something else keeps busy measures that too. The same code (0dd7133) ran its reclaim
   * rounds at 0.80-0.97x pgbench on one machine of this kind and at 1.21-1.46x on a fresh one a few hours later, with
   * the service's CPU per reclaim 0.17-0.21 ms there and 0.13-0.16 ms here.
   */
  static void idleCheck() {
    long[] before = machineTicks();
    sleep(2000);
    long[] after = machineTicks();
    double total = Math.max(1, after[1] - before[1]);
    double busy = 100.0 * (after[0] - before[0]) / total;
    double steal = 100.0 * (after[2] - before[2]) / total;
    System.out.printf(Locale.ROOT, "machine before the run: %.0f%% busy, %.0f%% stolen by the hypervisor%s%n", busy,
        steal, busy + steal > 10 ? " (something else is running: the figures below measure it too)" : "");
  }

  /**
   * What a stretch of work cost the machine: {busy ticks, total ticks, broker CPU ms, service CPU ms, harness CPU ms};
   * {@link #costsSince} says it per unit of work, the rest of the busy time being PostgreSQL's and everything else's.
   */
  static long[] costs() {
    long[] machine = machineTicks();
    return new long[] {machine[0], machine[1], cpuMillis(brokerPid()), service == null ? 0 : cpuMillis(service.pid()),
        cpuMillis(ProcessHandle.current().pid())};
  }

  static String costsSince(long[] before, int n, String unit) {
    long[] now = costs();
    double tickMs = 10.0;
    double busy = (now[0] - before[0]) * tickMs;
    double broker = now[2] - before[2];
    double svc = now[3] - before[3];
    double harness = now[4] - before[4];
    return String.format(Locale.ROOT, " machine %.0f%% busy; CPU ms/%s: broker %.2f, service %.2f, harness %.2f,"
            + " rest (PostgreSQL, kernel threads) %.2f", 100.0 * (now[0] - before[0]) / Math.max(1, now[1] - before[1]),
        unit, broker / n, svc / n, harness / n, (busy - broker - svc - harness) / n);
  }

  static long brokerPid = -1;

  /** The broker's Erlang VM (beam.smp), or 0 when it cannot be found. */
  static long brokerPid() {
    if (brokerPid < 0) {
      brokerPid = ProcessHandle.allProcesses()
          .filter(p -> p.info().command().map(c -> c.endsWith("beam.smp")).orElse(false))
          .mapToLong(ProcessHandle::pid).findFirst().orElse(0);
    }
    return brokerPid;
  }

  /** The machine's busy, total and stolen CPU ticks since boot (/proc/stat), to say how loaded a round left it. */
  static long[] machineTicks() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < cpu.length; i++) {
        total += Long.parseLong(cpu[i]);
      }
      long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
      long steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
      return new long[] {total - idle - steal, total, steal};
    } catch (Exception e) {
      return new long[] {0, 0, 0};
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

  static void round(String figure, int r, double svc, double bare, String note) {
    String line = String.format(Locale.ROOT, "%s round %d: service %.3f, bare %.3f, ratio %.2fx (%s)", figure, r + 1,
        svc, bare, svc / bare, note);
    rounds.add(line);
    System.out.println(line);
  }

  static String[] row(String what, double svc, double bare, String unit, double ratio, String target, boolean met) {
    return new String[] {what, String.format(Locale.ROOT, "%.2f %s", svc, unit),
        String.format(Locale.ROOT, "%.2f %s", bare, unit), String.format(Locale.ROOT, "%.2fx", ratio), target,
        Double.isNaN(ratio) ? "n/a" : met ? "met" : "MISSED"};
  }

  static void print() {
    System.out.println();
    System.out.println("Per round:");
    rounds.forEach(r -> System.out.println("- " + r));
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
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
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
