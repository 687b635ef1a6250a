package io.pulse.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The fat jar ({@code app/target/pulse.jar}, given to the integration tests as the system property {@code pulse.jar})
 * run as a process with an environment of its own, its output appended to a log file.
 */
public final class JarProcess implements AutoCloseable {

  /** The jar under test. */
  public static final Path JAR = Path.of(System.getProperty("pulse.jar", "target/pulse.jar"));
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path log;

  private JarProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code java -jar pulse.jar args...} with only the given {@code PULSE_*} variables set. */
  public static JarProcess start(Map<String, String> env, Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().putAll(env);
    return new JarProcess(builder.start(), log);
  }

  /**
   * Mints a bearer token with {@code java -jar pulse.jar token args...} (PULSE_JWT_SECRET from {@code env}), as a
   * developer would.
   */
  public static String mintToken(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", JAR.toAbsolutePath().toString(), "token"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().keySet().removeIf(k -> k.startsWith("PULSE_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    String token = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
        .trim();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || token.isEmpty()) {
      throw new AssertionError("pulse.jar token " + String.join(" ", args) + " failed");
    }
    return token;
  }

  public static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public Process process() {
    return process;
  }

  public Path log() {
    return log;
  }

  public String logText() throws IOException {
    return Files.readString(log);
  }

  /** Waits (at most four minutes) until {@code http://127.0.0.1:<port><path>} answers 200; fails if the jar exits. */
  public void awaitOk(int port, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + path);
    for (int i = 0; i < 480; i++) {
      if (!process.isAlive()) {
        throw new AssertionError("the service exited with " + process.exitValue() + ":\n" + logText());
      }
      try {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("the service did not answer " + path + ":\n" + logText());
  }

  /** SIGTERM, then SIGKILL if it has not exited within a minute; answers the exit code. */
  public int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    return process.exitValue();
  }

  /** SIGKILL: the process gets no chance to finish anything. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }
}
