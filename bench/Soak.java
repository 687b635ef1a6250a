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
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak (bench/soak): app/target/pulse.jar against a PRIVATE RabbitMQ node (never the shared one) and a
 * database of its own, under a steady mix of first claims, reclaims and revocations while the monitor sweeps the
 * 5,000 queues of the claimed namespaces every 10 s; half-way the private node is stopped and started again.
 * Prints the answers by kind and status/code (the 503s inside the restart window apart), latency percentiles, the
 * monitor's sweeps, and the service's resident memory after the warm-up and at the end.
 *
 * <p>The node is named by SOAK_RABBIT_NODE (soak@localhost) and reached on SOAK_AMQP_PORT (5675) and
 * SOAK_MGMT_PORT (15675); the RABBITMQ_* variables that bench/soak exports let rabbitmqctl and rabbitmq-server
 * address it for the restart.
 */
public final class Soak {

  static final String HOST = "127.0.0.1";
  static final String SECRET = "soak-secret-of-at-least-thirty-two-bytes!";
  static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  static final String VHOST = "pulse-soak";
  static final String DB = "pulse_soak_" + RUN;
  static final String NODE = env("SOAK_RABBIT_NODE", "soak@localhost");
  static final int AMQP = Integer.parseInt(env("SOAK_AMQP_PORT", "5675"));
  static final int MGMT = Integer.parseInt(env("SOAK_MGMT_PORT", "15675"));
  static final int MAX_IN_FLIGHT = 256;

  static Vertx vertx;
  static WebClient mgmt;
  static WebClient http;
  static int port;
  static Process service;
  static String token;
  static volatile long measuredStart = System.nanoTime();
  static final AtomicInteger peakInFlight = new AtomicInteger();

  // --- what is recorded ---------------------------------------------------------------------------------------

  /** One answer (or failure) of the service. */
  record Answer(String kind, long startNanos, long latencyNanos, int status, String code) {}

  static final ConcurrentLinkedDeque<Answer> answers = new ConcurrentLinkedDeque<>();
  static volatile boolean measuring;
  static final AtomicInteger inFlight = new AtomicInteger();
  static final Map<String, AtomicLong> notSent = new ConcurrentHashMap<>();
  /** Restart window: from the stop of the node until the first 200 of a first claim after it is back. */
  static volatile long restartFrom = Long.MAX_VALUE;
  static volatile long restartBack = Long.MAX_VALUE;
  static volatile long restartTo = Long.MAX_VALUE;
  static final List<String> base = new ArrayList<>();
  static final ConcurrentLinkedDeque<String> churn = new ConcurrentLinkedDeque<>();
  static final AtomicLong churnSeq = new AtomicLong();
  static final AtomicLong credentialsOk = new AtomicLong();
  static final Map<String, AtomicLong> credentialsFailed = new ConcurrentHashMap<>();
  static final List<double[]> sweeps = Collections.synchronizedList(new ArrayList<>());
  static final List<String> timeline = Collections.synchronizedList(new ArrayList<>());

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    double minutes = Double.parseDouble(stringArg(args, "--minutes", "10"));
    // Long enough for one rotation sweep and one reconciliation (every 2 m) besides the JIT: every path once.
    int warmup = intArg(args, "--warmup", 150);
    int queues = intArg(args, "--queues", 5000);
    int namespaces = intArg(args, "--namespaces", 250);
    double reclaimRate = Double.parseDouble(stringArg(args, "--reclaims", "40"));
    double claimRate = Double.parseDouble(stringArg(args, "--claims", "2"));
    double revokeRate = Double.parseDouble(stringArg(args, "--revocations", "2"));
    boolean restart = !List.of(args).contains("--no-restart");
    vertx = Vertx.vertx();
    mgmt = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(8));
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setIdleTimeout(30),
        new PoolOptions().setHttp1MaxSize(MAX_IN_FLIGHT));
    Pool admin = pool("postgres");
    admin.query("CREATE DATABASE " + DB).execute().await();
    management(HttpMethod.PUT, "/vhosts/" + enc(VHOST), new JsonObject()).await();
    management(HttpMethod.PUT, "/permissions/" + enc(VHOST) + "/guest",
        new JsonObject().put("configure", ".*").put("write", ".*").put("read", ".*")).await();
    try {
      startService();
      System.out.printf("Pulse soak %s: node %s (amqp %d, management %d), vhost %s, database %s, service pid %d%n",
          RUN, NODE, AMQP, MGMT, VHOST, DB, service.pid());
      setUp(namespaces, queues);
      Metrics m0 = Metrics.read();

      System.out.printf("warm-up: %d s of the same traffic%n", warmup);
      traffic(warmup, reclaimRate, claimRate, revokeRate, -1);
      Metrics mStart = Metrics.read();
      long rssStart = status(service.pid(), "VmRSS:");
      System.out.printf("after warm-up: VmRSS %d MB, heap used %.0f MB, committed %.0f MB%n", rssStart / 1024,
          mStart.heapUsed / 1e6, mStart.heapCommitted / 1e6);

      measuring = true;
      long measuredFrom = System.nanoTime();
      measuredStart = measuredFrom;
      peakInFlight.set(0);
      long seconds = Math.round(minutes * 60);
      traffic(seconds, reclaimRate, claimRate, revokeRate, restart ? seconds / 2 : -1);
      long measuredTo = System.nanoTime();
      measuring = false;
      // Let the answers in flight arrive.
      for (int i = 0; i < 300 && inFlight.get() > 0; i++) {
        sleep(100);
      }
      long rssEnd = status(service.pid(), "VmRSS:");
      long hwm = status(service.pid(), "VmHWM:");
      Metrics mEnd = Metrics.read();
      String consistency = checkConsistency();
      report(measuredFrom, measuredTo, rssStart, rssEnd, hwm, m0, mStart, mEnd, consistency);
    } finally {
      if (service != null) {
        service.destroy();
        service.waitFor(30, TimeUnit.SECONDS);
      }
      try {
        management(HttpMethod.DELETE, "/vhosts/" + enc(VHOST), null).await();
      } catch (Exception e) {
        System.err.println("vhost clean-up failed: " + e.getMessage());
      }
      cleanUsers();
      admin.query("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)").execute().await();
      admin.close().await();
      vertx.close().await();
    }
  }

  // --- set-up -------------------------------------------------------------------------------------------------

  /** Claims the base namespaces and declares the queues under queue/<ns>/ with the admin's AMQP connection. */
  static void setUp(int namespaces, int queues) throws Exception {
    long started = System.nanoTime();
    List<Future<?>> claims = new ArrayList<>();
    for (int i = 0; i < namespaces; i++) {
      String ns = "soak-b" + i;
      base.add(ns);
      claims.add(send("setup", HttpMethod.POST, ns, new JsonObject()));
      if (claims.size() == 16) {
        Future.all(claims).await();
        claims.clear();
      }
    }
    Future.all(claims).await();
    long bad = answers.stream().filter(a -> a.kind.equals("setup") && a.status != 200).count();
    if (bad > 0) {
      throw new IllegalStateException(bad + " set-up claims failed; see bench/soak-service.log");
    }
    com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
    factory.setUri("amqp://guest:guest@" + HOST + ":" + AMQP + "/" + enc(VHOST));
    try (com.rabbitmq.client.Connection connection = factory.newConnection("pulse-soak-setup");
        com.rabbitmq.client.Channel channel = connection.createChannel()) {
      for (int i = 0; i < queues; i++) {
        // Durable, so they are still there after the node restarts.
        channel.queueDeclare("queue/" + base.get(i % base.size()) + "/q" + i, true, false, false, null);
      }
    }
    System.out.printf("set-up: %d namespaces, %d durable queues in %.1f s%n", namespaces, queues,
        (System.nanoTime() - started) / 1e9);
  }

  // --- traffic ------------------------------------------------------------------------------------------------

  /**
   * Open loop: each kind is sent at its rate (requests per second) whatever the answers, at most MAX_IN_FLIGHT at
   * once (beyond, a request is counted as not sent). At restartAt seconds (if not negative) the node is restarted
   * on another thread. Also samples the service's RSS and /metrics every 10 s and the monitor's sweeps every 2 s.
   */
  static void traffic(long seconds, double reclaimRate, double claimRate, double revokeRate, long restartAt)
      throws Exception {
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    double[] due = new double[3];
    long last = start;
    long nextSample = start;
    long nextSweepPoll = start;
    Thread restarter = null;
    double lastOk = Metrics.read().sweepsOk;
    while (System.nanoTime() < end) {
      long now = System.nanoTime();
      double dt = (now - last) / 1e9;
      last = now;
      due[0] += reclaimRate * dt;
      due[1] += claimRate * dt;
      due[2] += revokeRate * dt;
      while (due[0] >= 1) {
        due[0]--;
        reclaim();
      }
      while (due[1] >= 1) {
        due[1]--;
        firstClaim();
      }
      while (due[2] >= 1) {
        due[2]--;
        revoke();
      }
      if (restartAt >= 0 && restarter == null && now - start >= TimeUnit.SECONDS.toNanos(restartAt)) {
        restarter = new Thread(Soak::restartNode, "restart");
        restarter.start();
      }
      if (now >= nextSweepPoll) {
        nextSweepPoll = now + TimeUnit.SECONDS.toNanos(2);
        try {
          Metrics m = Metrics.read();
          if (m.sweepsOk > lastOk) {
            if (measuring) {
              sweeps.add(new double[] {m.sweepSeconds, m.queuesManaged});
            }
            lastOk = m.sweepsOk;
          }
        } catch (Exception e) {
          // The service is busy: the next poll sees the sweep's counter anyway.
        }
      }
      if (now >= nextSample) {
        nextSample = now + TimeUnit.SECONDS.toNanos(measuring ? 30 : 10);
        sample(start);
      }
      sleep(5);
    }
    if (restarter != null) {
      restarter.join();
    }
  }

  static void sample(long start) {
    long n = answers.stream().filter(a -> !a.kind.equals("setup")).count();
    String line;
    try {
      Metrics m = Metrics.read();
      line = String.format(Locale.ROOT,
          "%s t=%4.0fs answers=%d inFlight=%d VmRSS=%d MB heap used/committed=%.0f/%.0f MB live=%.0f",
          measuring ? "soak" : "warm", (System.nanoTime() - start) / 1e9, n, inFlight.get(),
          status(service.pid(), "VmRSS:") / 1024, m.heapUsed / 1e6, m.heapCommitted / 1e6, m.namespaces);
    } catch (Exception e) {
      line = String.format(Locale.ROOT, "%s t=%4.0fs answers=%d (metrics: %s)", measuring ? "soak" : "warm",
          (System.nanoTime() - start) / 1e9, n, e.getMessage());
    }
    System.out.println(line);
  }

  static void reclaim() {
    String ns = base.get(ThreadLocalRandom.current().nextInt(base.size()));
    String expires = Instant.now().plusSeconds(14_400 + ThreadLocalRandom.current().nextInt(3600)).toString();
    send("reclaim", HttpMethod.POST, ns, new JsonObject().put("expires", expires));
  }

  static void firstClaim() {
    long seq = churnSeq.incrementAndGet();
    String ns = "soak-c" + seq;
    send("first claim", HttpMethod.POST, ns, new JsonObject()).onSuccess(r -> {
      if (r.statusCode() != 200) {
        return;
      }
      if (restartFrom != Long.MAX_VALUE && restartBack != Long.MAX_VALUE && restartTo == Long.MAX_VALUE) {
        restartTo = System.nanoTime();
        timeline.add(String.format(Locale.ROOT, "first 200 of a first claim after the node was back: +%.1f s",
            (restartTo - restartFrom) / 1e9));
      }
      if (seq % 10 != 0) {
        churn.add(ns);
        return;
      }
      // Every tenth: the credentials handed out work (declare two queues with them), then it may be revoked.
      String uri = r.bodyAsJsonObject().getString("connectionString");
      long started = System.nanoTime();
      vertx.executeBlocking(() -> {
        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        f.setUri(uri);
        f.setConnectionTimeout(5000);
        try (com.rabbitmq.client.Connection c = f.newConnection("pulse-soak-check");
            com.rabbitmq.client.Channel ch = c.createChannel()) {
          ch.queueDeclare("queue/" + ns + "/a", false, false, false, null);
          ch.queueDeclare("queue/" + ns + "/b", false, false, false, null);
        }
        return null;
      }, false).onComplete(done -> {
        if (done.succeeded()) {
          if (measuring) {
            credentialsOk.incrementAndGet();
          }
        } else if (measuring) {
          String why = done.cause().getClass().getSimpleName()
              + (inRestart(started) ? " (restart window)" : "");
          credentialsFailed.computeIfAbsent(why, k -> new AtomicLong()).incrementAndGet();
        }
        churn.add(ns);
      });
    });
  }

  static void revoke() {
    String ns = churn.pollFirst();
    if (ns == null) {
      notSent.computeIfAbsent("revocation (none claimed yet)", k -> new AtomicLong()).incrementAndGet();
      return;
    }
    // Not sent (the in-flight cap), no answer, 429 or 5xx: the namespace is still held; revoke it again later.
    send("revocation", HttpMethod.DELETE, ns, null).onComplete(ar -> {
      if (ar.failed() || ar.result().statusCode() >= 500 || ar.result().statusCode() == 429) {
        churn.addFirst(ns);
      }
    });
  }

  static Future<HttpResponse<Buffer>> send(String kind, HttpMethod method, String ns, JsonObject body) {
    if (inFlight.get() >= MAX_IN_FLIGHT && !kind.equals("setup")) {
      notSent.computeIfAbsent(kind + " (" + MAX_IN_FLIGHT + " in flight)", k -> new AtomicLong()).incrementAndGet();
      return Future.failedFuture("not sent");
    }
    peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    boolean counted = measuring;
    long started = System.nanoTime();
    var request = http.request(method, port, HOST, "/api/pulse/v1/namespace/" + ns)
        .putHeader("Authorization", "Bearer " + token).timeout(60_000);
    Future<HttpResponse<Buffer>> f = body == null ? request.send() : request.sendJsonObject(body);
    return f.andThen(ar -> {
      inFlight.decrementAndGet();
      long latency = System.nanoTime() - started;
      if (ar.succeeded()) {
        HttpResponse<Buffer> r = ar.result();
        String code = "";
        if (r.statusCode() >= 400) {
          try {
            code = r.bodyAsJsonObject().getString("code", "");
          } catch (Exception notJson) {
            code = "(not JSON)";
          }
        }
        if (counted || kind.equals("setup")) {
          answers.add(new Answer(kind, started, latency, r.statusCode(), code));
        }
      } else if (counted) {
        answers.add(new Answer(kind, started, latency, 0, ar.cause().getClass().getSimpleName()));
      }
    });
  }

  // --- the node's restart -------------------------------------------------------------------------------------

  static void restartNode() {
    try {
      restartFrom = System.nanoTime();
      timeline.add(String.format(Locale.ROOT, "rabbitmqctl -n %s stop at %.0f s of the measured soak", NODE,
          (restartFrom - measuredStart) / 1e9));
      sh("rabbitmqctl", "-n", NODE, "stop");
      long stopped = System.nanoTime();
      timeline.add(String.format(Locale.ROOT, "node stopped: +%.1f s", (stopped - restartFrom) / 1e9));
      sh("rabbitmq-server", "-detached");
      // await_startup fails at once while the node has not yet registered with epmd.
      for (int i = 0; ; i++) {
        try {
          sh("rabbitmqctl", "-n", NODE, "await_startup");
          break;
        } catch (IllegalStateException notYet) {
          if (i >= 120) {
            throw notYet;
          }
          sleep(500);
        }
      }
      restartBack = System.nanoTime();
      timeline.add(String.format(Locale.ROOT, "node started again (await_startup): +%.1f s",
          (restartBack - restartFrom) / 1e9));
    } catch (Exception e) {
      timeline.add("restart failed: " + e.getMessage());
      restartBack = System.nanoTime();
    }
  }

  static boolean inRestart(long nanos) {
    return nanos >= restartFrom && nanos <= restartTo;
  }

  // --- checks at the end --------------------------------------------------------------------------------------

  /** The live namespaces the service counts against the ones this run holds; credentials of a sample work. */
  static String checkConsistency() throws Exception {
    StringBuilder out = new StringBuilder();
    // Revocations answered 202 finish in the background; give maintenance a few seconds.
    sleep(5000);
    Pool db = pool(DB);
    String count = "SELECT count(*) FILTER (WHERE provisioned AND NOT expiring), count(*) FILTER (WHERE expiring), "
        + "count(*) FILTER (WHERE NOT provisioned AND NOT expiring) FROM namespaces";
    var row = db.query(count).execute().await().iterator().next();
    long drainFrom = System.nanoTime();
    out.append(String.format(Locale.ROOT, "namespaces in the database when the traffic stopped: %d live, %d being "
        + "removed, %d not provisioned (first claims answered 503: invisible until a claim finishes them)%n",
        row.getLong(0), row.getLong(1), row.getLong(2)));
    while (row.getLong(1) > 0 && System.nanoTime() - drainFrom < TimeUnit.SECONDS.toNanos(180)) {
      sleep(1000);
      row = db.query(count).execute().await().iterator().next();
    }
    db.close().await();
    long expected = base.size() + churn.size();
    out.append(String.format(Locale.ROOT, "after %.0f s: %d live, %d being removed; held by the soak %d (%d base + "
        + "%d claimed and not revoked)%n", (System.nanoTime() - drainFrom) / 1e9, row.getLong(0), row.getLong(1),
        expected, base.size(), churn.size()));
    JsonArray qs = management(HttpMethod.GET, "/queues/" + enc(VHOST) + "?columns=name", null).await()
        .bodyAsJsonArray();
    long baseQueues = qs.stream().filter(q -> ((JsonObject) q).getString("name").startsWith("queue/soak-b")).count();
    out.append(String.format(Locale.ROOT, "queues on the node: %d (%d of the base namespaces)%n", qs.size(),
        baseQueues));
    // Reclaim a sample of base namespaces and connect with what the service answers.
    int ok = 0;
    int tried = 0;
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < base.size(); i += Math.max(1, base.size() / 25)) {
      tried++;
      HttpResponse<Buffer> r = http.request(HttpMethod.POST, port, HOST, "/api/pulse/v1/namespace/" + base.get(i))
          .putHeader("Authorization", "Bearer " + token).sendJsonObject(new JsonObject()).await();
      if (r.statusCode() != 200) {
        failures.add(base.get(i) + ": " + r.statusCode());
        continue;
      }
      com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
      f.setUri(r.bodyAsJsonObject().getString("connectionString"));
      try (com.rabbitmq.client.Connection c = f.newConnection("pulse-soak-final")) {
        ok++;
      } catch (Exception e) {
        failures.add(base.get(i) + ": " + e.getClass().getSimpleName());
      }
    }
    out.append(String.format(Locale.ROOT, "credentials of %d base namespaces after the soak: %d connect%s%n", tried,
        ok, failures.isEmpty() ? "" : " (failed: " + failures + ")"));
    return out.toString();
  }

  // --- the report ---------------------------------------------------------------------------------------------

  static void report(long from, long to, long rssStart, long rssEnd, long hwm, Metrics m0, Metrics mStart,
      Metrics mEnd, String consistency) {
    double secs = (to - from) / 1e9;
    List<Answer> all = answers.stream().filter(a -> !a.kind.equals("setup")).toList();
    System.out.println();
    System.out.printf(Locale.ROOT, "## Soak %s: %.0f s measured, %d answers (%.1f/s), at most %d in flight%n", RUN,
        secs, all.size(), all.size() / secs, peakInFlight.get());
    System.out.println();
    timeline.forEach(t -> System.out.println("- " + t));
    System.out.println();
    System.out.println("| request | sent | 2xx | p50 | p99 | max | p50 / p99 outside the restart window |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (String kind : List.of("first claim", "reclaim", "revocation")) {
      List<Answer> of = all.stream().filter(a -> a.kind.equals(kind)).toList();
      List<Answer> outside = of.stream().filter(a -> !inRestart(a.startNanos)).toList();
      long ok = of.stream().filter(a -> a.status >= 200 && a.status < 300).count();
      System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s / %s |%n", kind, of.size(), ok,
          ms(pct(of, 50)), ms(pct(of, 99)), ms(pct(of, 100)), ms(pct(outside, 50)), ms(pct(outside, 99)));
    }
    System.out.println();
    System.out.println("| request | answer | in the restart window | elsewhere |");
    System.out.println("|---|---|---|---|");
    Map<String, long[]> byKind = new TreeMap<>();
    for (Answer a : all) {
      String key = a.kind + " | " + (a.status == 0 ? "no answer: " + a.code : a.status + (a.code.isEmpty() ? ""
          : " " + a.code));
      byKind.computeIfAbsent(key, k -> new long[2])[inRestart(a.startNanos) ? 0 : 1]++;
    }
    byKind.forEach((k, v) -> System.out.printf("| %s | %d | %d |%n", k, v[0], v[1]));
    // When the answers other than 2xx outside the restart window came, in seconds of the measured soak.
    Map<String, List<Long>> when = new TreeMap<>();
    for (Answer a : all) {
      if ((a.status < 200 || a.status >= 300) && !inRestart(a.startNanos)) {
        when.computeIfAbsent(a.kind + " " + a.status + " " + a.code, k -> new ArrayList<>())
            .add(Math.round((a.startNanos - from) / 1e9));
      }
    }
    when.forEach((k, v) -> System.out.printf("outside the restart window, %s sent at s %s%n", k, v));
    if (restartFrom != Long.MAX_VALUE) {
      System.out.printf(Locale.ROOT, "restart window: s %.0f to %.0f of the measured soak%n",
          (restartFrom - from) / 1e9, (restartTo == Long.MAX_VALUE ? to - from : restartTo - from) / 1e9);
    }
    notSent.forEach((k, v) -> System.out.printf("| %s | not sent | %d |%n", k, v.get()));
    System.out.println();
    List<Double> sweepSeconds = new ArrayList<>();
    double minQueues = Double.MAX_VALUE;
    for (double[] s : sweeps) {
      sweepSeconds.add(s[0]);
      minQueues = Math.min(minQueues, s[1]);
    }
    Collections.sort(sweepSeconds);
    System.out.printf(Locale.ROOT, "monitor sweeps while measured: %.0f ok, %.0f failed (counters); seen by polling:"
        + " %d, duration p50 %.2f s, p99 %.2f s, max %.2f s; managed queues at a sweep: min %.0f%n",
        mEnd.sweepsOk - mStart.sweepsOk, mEnd.sweepsFailed - mStart.sweepsFailed, sweepSeconds.size(),
        pctD(sweepSeconds, 50), pctD(sweepSeconds, 99), pctD(sweepSeconds, 100),
        minQueues == Double.MAX_VALUE ? Double.NaN : minQueues);
    System.out.printf(Locale.ROOT, "maintenance while measured: %.0f rotations, %.0f sweeps failed%n",
        mEnd.rotations - mStart.rotations, mEnd.maintenanceFailed - mStart.maintenanceFailed);
    long failedChecks = credentialsFailed.values().stream().mapToLong(AtomicLong::get).sum();
    System.out.printf("credentials of every tenth first claim: %d worked, %d failed %s%n", credentialsOk.get(),
        failedChecks, credentialsFailed);
    System.out.print(consistency);
    System.out.printf(Locale.ROOT, "service memory: VmRSS %d MB after warm-up, %d MB at the end (drift %+.1f %%), "
        + "VmHWM %d MB; heap used %.0f MB -> %.0f MB, committed %.0f MB -> %.0f MB%n", rssStart / 1024,
        rssEnd / 1024, 100.0 * (rssEnd - rssStart) / rssStart, hwm / 1024, mStart.heapUsed / 1e6,
        mEnd.heapUsed / 1e6, mStart.heapCommitted / 1e6, mEnd.heapCommitted / 1e6);
  }

  static double pct(List<Answer> of, int p) {
    if (of.isEmpty()) {
      return Double.NaN;
    }
    long[] l = of.stream().mapToLong(Answer::latencyNanos).sorted().toArray();
    int i = (int) Math.ceil(p / 100.0 * l.length) - 1;
    return l[Math.max(0, Math.min(l.length - 1, i))] / 1e6;
  }

  static double pctD(List<Double> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  static String ms(double v) {
    return Double.isNaN(v) ? "-" : v >= 1000 ? String.format(Locale.ROOT, "%.2f s", v / 1000)
        : String.format(Locale.ROOT, "%.1f ms", v);
  }

  // --- the service --------------------------------------------------------------------------------------------

  static void startService() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    // The flags the service ships with (scripts/run, the Dockerfile).
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@scripts/jvm.options"));
    String javaOpts = System.getenv("PULSE_SOAK_JAVA_OPTS");
    if (javaOpts != null && !javaOpts.isBlank()) {
      command.addAll(List.of(javaOpts.trim().split("\\s+")));
    }
    command.addAll(List.of("-jar", "app/target/pulse.jar"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("bench/soak-service.log").toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    Map<String, String> env = builder.environment();
    env.put("PULSE_HTTP_PORT", String.valueOf(port));
    env.put("PULSE_HTTP_HOST", HOST);
    env.put("PULSE_DB_URL", "postgresql://postgres@" + HOST + ":5432/" + DB);
    env.put("PULSE_SECRET_KEY", "c29hay1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0tLS0=");
    env.put("PULSE_AMQP_URL", "amqp://" + HOST + ":" + AMQP + "/" + enc(VHOST));
    env.put("PULSE_RABBIT_API", "http://" + HOST + ":" + MGMT + "/api");
    env.put("PULSE_USERNAME_PREFIX", "soak-");
    env.put("PULSE_JWT_SECRET", SECRET);
    env.put("PULSE_MAINTENANCE_INTERVAL", "1s");
    env.put("PULSE_MONITOR_INTERVAL", "10s");
    env.put("PULSE_ROTATION_INTERVAL", "2m");
    env.put("PULSE_RECONCILE_INTERVAL", "2m");
    env.put("PULSE_LOG_LEVEL", "WARN");
    Files.deleteIfExists(Path.of("bench/soak-service.log"));
    service = builder.start();
    for (int i = 0; ; i++) {
      try {
        if (http.get(port, HOST, "/api/pulse/v1/ping").send().await().statusCode() == 200) {
          break;
        }
      } catch (Exception notYet) {
        if (i > 600 || !service.isAlive()) {
          throw new IllegalStateException("the service did not start; see bench/soak-service.log");
        }
      }
      sleep(100);
    }
    JWTAuth auth = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
    token = auth.generateToken(new JsonObject().put("scopes", new JsonArray().add("pulse:namespace:*")),
        new JWTOptions().setExpiresInMinutes(180).setSubject("soak"));
  }

  /** The figures read from the service's /metrics. */
  record Metrics(double sweepsOk, double sweepsFailed, double sweepSeconds, double queuesManaged, double heapUsed, double heapCommitted,
      double namespaces, double rotations, double maintenanceFailed) {

    static Metrics read() {
      HttpResponse<Buffer> r = http.get(port, HOST, "/metrics").timeout(10_000).send().await();
      double ok = 0, failed = 0, seconds = Double.NaN, queues = 0, heap = 0, committed = 0, live = 0, rot = 0;
      double mfailed = 0;
      for (String line : r.bodyAsString().split("\n")) {
        if (line.startsWith("#")) {
          continue;
        }
        double v;
        try {
          v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
        } catch (NumberFormatException e) {
          continue;
        }
        if (line.startsWith("pulse_monitor_sweeps_total{") && line.contains("outcome=\"ok\"")) {
          ok += v;
        } else if (line.startsWith("pulse_monitor_sweeps_total{") && line.contains("outcome=\"failed\"")) {
          failed += v;
        } else if (line.startsWith("pulse_monitor_sweep_seconds")) {
          seconds = v;
        } else if (line.startsWith("pulse_monitor_queues{") && !line.contains("state=\"deleted\"")) {
          queues += v;
        } else if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          heap += v;
        } else if (line.startsWith("jvm_memory_committed_bytes{") && line.contains("area=\"heap\"")) {
          committed += v;
        } else if (line.startsWith("pulse_namespaces")) {
          live = v;
        } else if (line.startsWith("pulse_rotations_total")) {
          rot = v;
        } else if (line.startsWith("pulse_maintenance_sweeps_total{") && line.contains("outcome=\"failed\"")) {
          mfailed += v;
        }
      }
      return new Metrics(ok, failed, seconds, queues, heap, committed, live, rot, mfailed);
    }
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  static Future<HttpResponse<Buffer>> management(HttpMethod method, String path, JsonObject body) {
    var request = mgmt.request(method, MGMT, HOST, "/api" + path).basicAuthentication("guest", "guest");
    return (body == null ? request.send() : request.sendJsonObject(body)).compose(r -> r.statusCode() < 400
        ? Future.succeededFuture(r) : Future.failedFuture(method + " " + path + ": " + r.statusCode()));
  }

  static void cleanUsers() {
    try {
      JsonArray users = management(HttpMethod.GET, "/users?columns=name", null).await().bodyAsJsonArray();
      JsonArray mine = new JsonArray();
      users.forEach(u -> {
        String name = ((JsonObject) u).getString("name");
        if (name.startsWith("soak-")) {
          mine.add(name);
        }
      });
      if (!mine.isEmpty()) {
        management(HttpMethod.POST, "/users/bulk-delete", new JsonObject().put("users", mine)).await();
      }
    } catch (Exception e) {
      System.err.println("clean-up of users failed: " + e.getMessage());
    }
  }

  static Pool pool(String database) {
    return PgBuilder.pool().connectingTo(new PgConnectOptions().setHost(HOST).setPort(5432).setUser("postgres")
        .setDatabase(database)).using(vertx).build();
  }

  static long status(long pid, String field) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(field)) {
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

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
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
    return Integer.parseInt(stringArg(args, name, String.valueOf(fallback)));
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
