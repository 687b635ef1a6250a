package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.testkit.TestEnv;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/run} provisions a local RabbitMQ only when PULSE_RABBIT_API points at this machine and nothing
 * answers there, and says which case it is in. Run from a copy whose {@code scripts/provision} and {@code java} only
 * say they were called (provisioning for real would install packages and start a broker).
 */
class ScriptRunTest {

  @TempDir
  Path checkout;
  private Path bin;

  @BeforeEach
  void copyOfTheScript() throws Exception {
    Path scripts = Files.createDirectories(checkout.resolve("scripts"));
    Files.copy(Path.of("..", "scripts", "run"), scripts.resolve("run"));
    executable(scripts.resolve("provision"), "echo PROVISIONED \"$@\"");
    Files.createDirectories(checkout.resolve("app/target"));
    Files.writeString(checkout.resolve("app/target/pulse.jar"), "");
    bin = Files.createDirectories(checkout.resolve("bin"));
    executable(bin.resolve("java"), "echo STARTED \"$@\"");
  }

  @Test
  void aBrokerElsewhereIsLeftAloneAndItsCredentialsAreNotPrinted() throws Exception {
    String output = run("http://admin:s3cret-pw@rabbit.example.com:15672/api");
    assertTrue(output.contains("points at rabbit.example.com, not this machine: not provisioning"), output);
    assertFalse(output.contains("PROVISIONED"), output);
    assertFalse(output.contains("s3cret-pw"), output);
    assertTrue(output.contains("STARTED @scripts/jvm.options -jar app/target/pulse.jar serve"), output);
  }

  @Test
  void aLocalApiThatAnswersIsLeftAlone() throws Exception {
    String output = run(TestEnv.managementApi().replace(TestEnv.RABBIT_HOST, "localhost"));
    assertTrue(output.contains("answers: not provisioning"), output);
    assertFalse(output.contains("PROVISIONED"), output);
  }

  @Test
  void aLocalApiThatDoesNotAnswerIsProvisionedAndSaysSo() throws Exception {
    String output = run("http://127.0.0.1:" + TestEnv.closedPort() + "/api");
    assertTrue(output.contains("points at this machine and does not answer: provisioning a local RabbitMQ"), output);
    assertTrue(output.contains("PROVISIONED --rabbitmq-only"), output);
  }

  private String run(String api) throws Exception {
    Path out = checkout.resolve("out.txt");
    ProcessBuilder builder = new ProcessBuilder("bash", "scripts/run").directory(checkout.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile());
    builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    builder.environment().put("PULSE_RABBIT_API", api);
    builder.environment().put("PULSE_JWT_SECRET", "not-used-by-the-stub");
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "scripts/run ended");
    String output = Files.readString(out);
    assertEquals(0, process.exitValue(), output);
    return output;
  }

  private static void executable(Path file, String body) throws Exception {
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
