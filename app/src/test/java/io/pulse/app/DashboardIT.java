package io.pulse.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.pulse.testkit.JarProcess;
import io.pulse.testkit.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's headless Chromium through its chromedriver) against the fat jar, the real
 * RabbitMQ and PostgreSQL: an owner signs in with a token, sees the queue the test filled above the namespace's alert
 * threshold in the warning state, purges it through the confirmation dialog and sees the count drop to 0, deletes
 * another queue, sets contacts and thresholds; the page works in a phone-sized window; an operator sees the broker's
 * biggest queues and the deletion, exempts the queue and ends the exemption. Screenshots go to target/.
 */
@ExtendWith(VertxExtension.class)
class DashboardIT {

  private static final String SECRET = "dashboard-test-secret-of-at-least-32-bytes";
  private static final Path TARGET = JarProcess.JAR.toAbsolutePath().getParent();
  private static final Duration PATIENCE = Duration.ofSeconds(90);
  private static final int MESSAGES = 12;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void anOwnerSeesTheirQueueWarnAndPurgesItInABrowserAndAnOperatorSeesTheBrokerAndExemptsAQueue(Vertx vertx)
      throws Exception {
    WebClient client = WebClient.create(vertx);
    String database = TestEnv.createDatabase(vertx);
    String vhost = TestEnv.createVhost(client);
    String prefix = TestEnv.unique("dash") + "-";
    Map<String, String> env = new HashMap<>();
    env.put("PULSE_DB_URL", TestEnv.dbUrl(database));
    env.put("PULSE_SECRET_KEY", TestEnv.SECRET_KEY);
    env.put("PULSE_AMQP_URL", TestEnv.amqpUrl(vhost));
    env.put("PULSE_RABBIT_API", TestEnv.managementApi());
    env.put("PULSE_USERNAME_PREFIX", prefix);
    env.put("PULSE_JWT_SECRET", SECRET);
    int port = TestEnv.freePort();
    env.put("PULSE_HTTP_PORT", String.valueOf(port));
    Path log = Files.createTempFile("pulse-dashboard", ".log");
    Path profile = Files.createTempDirectory("pulse-chromium");
    JarProcess jar = JarProcess.start(env, log);
    WebDriver browser = null;
    Connection amqp = null;
    try {
      jar.awaitOk(port, "/__lbheartbeat__");
      String ns = TestEnv.unique("dash");
      String queue = "queue/" + ns + "/q";
      String token = JarProcess.mintToken(env, "--sub", "dashboard-owner", "pulse:namespace:" + ns);

      // The owner's namespace, warned above 5 messages and deleted above 20, and a queue of theirs with 12 (and a
      // quiet one beside it).
      HttpResponse<String> claim = send(port, "POST", "/namespace/" + ns, token,
          "{\"contact\": \"owner@example.com\"}");
      assertEquals(200, claim.statusCode(), claim.body());
      HttpResponse<String> patch = send(port, "PATCH", "/namespace/" + ns, token,
          "{\"alertThreshold\": 5, \"deleteThreshold\": 20}");
      assertEquals(200, patch.statusCode(), patch.body());
      assertEquals(5, new JsonObject(patch.body()).getInteger("alertThreshold"));
      amqp = connect(new JsonObject(claim.body()).getString("connectionString"), "orders-service");
      Channel channel = amqp.createChannel();
      // Namespace users publish to their own exchanges only (not to the default exchange).
      String exchange = "exchange/" + ns + "/orders";
      channel.exchangeDeclare(exchange, "topic", true);
      channel.queueDeclare(queue, true, false, false, null);
      channel.queueBind(queue, exchange, "orders.#");
      channel.queueDeclare("queue/" + ns + "/audit", true, false, false, null);
      channel.queueBind("queue/" + ns + "/audit", exchange, "audit.#");
      channel.confirmSelect();
      channel.basicPublish(exchange, "audit.login", new AMQP.BasicProperties(), new byte[] {1});
      for (int i = 0; i < MESSAGES; i++) {
        channel.basicPublish(exchange, "orders.new", new AMQP.BasicProperties(),
            ("order " + i).getBytes(StandardCharsets.UTF_8));
      }
      channel.waitForConfirmsOrDie(0);
      assertEquals(MESSAGES, channel.messageCount(queue));

      browser = chromium(profile);
      // The page redraws a table when its data change: an element found a moment ago may be gone, so look again.
      WebDriverWait wait = new WebDriverWait(browser, PATIENCE);
      wait.ignoring(StaleElementReferenceException.class);
      browser.manage().window().setSize(new Dimension(1280, 900));
      browser.get("http://127.0.0.1:" + port + "/");
      signIn(browser, wait, token);

      // The only namespace is opened at once; the queue shows its live size, above the alert threshold: warning.
      String rowCss = "#queues tr[data-queue='" + queue + "']";
      By row = By.cssSelector(rowCss);
      wait.until(d -> {
        WebElement found = first(d, row);
        return found != null && String.valueOf(MESSAGES).equals(found.findElement(By.cssSelector("td.messages"))
            .getText()) && "warning".equals(found.getDomAttribute("data-state"));
      });
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(rowCss + " .badge"), "warning"));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(rowCss + " td.bindings"),
          exchange + " → orders.#"));
      assertEquals(ns, browser.findElement(By.id("ns-title")).getText());
      wait.until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector("#namespaces tr[data-namespace='" + ns + "']"), "5 / 20")); // the thresholds in force
      screenshot(browser, TARGET.resolve("dashboard.png"));

      // The token is in this tab's session storage, never in the address or in local storage.
      JavascriptExecutor js = (JavascriptExecutor) browser;
      assertEquals(token, js.executeScript("return sessionStorage.getItem('pulse.token')"));
      assertEquals(0L, js.executeScript("return localStorage.length"));
      assertFalse(browser.getCurrentUrl().contains(token), browser.getCurrentUrl());

      // Purge: a confirmation first; cancelling it leaves the queue as it is.
      click(wait, By.cssSelector(rowCss + " button.purge"));
      WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
      assertTrue(dialog.getText().contains(queue), dialog.getText());
      browser.findElement(By.id("confirm-cancel")).click();
      wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("confirm")));
      assertEquals(MESSAGES, channel.messageCount(queue), "cancelled: nothing purged");

      click(wait, By.cssSelector(rowCss + " button.purge"));
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
      browser.findElement(By.id("confirm-ok")).click();
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"),
          "Purged " + MESSAGES + " messages from " + queue));
      assertEquals(0, channel.messageCount(queue), "the broker's queue is empty");
      // The table follows the broker's statistics, which lag a few seconds behind: it polls until they agree.
      wait.until(d -> {
        WebElement found = first(d, row);
        return found != null && "0".equals(found.findElement(By.cssSelector("td.messages")).getText())
            && "normal".equals(found.getDomAttribute("data-state"));
      });

      // Delete the other queue, after a confirmation: it is gone from the page and from the broker.
      String audit = "queue/" + ns + "/audit";
      click(wait, By.cssSelector("#queues tr[data-queue='" + audit + "'] button.delete"));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("confirm-text"), "Delete " + audit));
      browser.findElement(By.id("confirm-ok")).click();
      wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("#queues tr[data-queue='" + audit
          + "']")));
      assertEquals(404, TestEnv.queueStatus(client, vhost, audit), "the queue is deleted on the broker");

      // The purge is in the namespace's history; the open AMQP connection is listed with the namespace's user.
      browser.findElement(By.cssSelector(".tabs [data-tab='history']")).click();
      wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#history tr[data-event='queue-purged']")));
      assertTrue(browser.findElement(By.cssSelector("#history tr[data-event='queue-purged']")).getText()
          .contains("dashboard-owner"), "the history names who purged");
      browser.findElement(By.cssSelector(".tabs [data-tab='connections']")).click();
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("connections"), prefix + ns + "-"));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("connections"), "orders-service"));

      // The settings form shows the service's own refusal, then saves contacts and a threshold.
      browser.findElement(By.cssSelector(".tabs [data-tab='settings']")).click();
      WebElement alertField = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("alert")));
      assertEquals("5", alertField.getDomProperty("value"), "the owner's own alert threshold is filled in");
      WebElement deleteField = browser.findElement(By.id("delete"));
      assertEquals("20", deleteField.getDomProperty("value"));
      deleteField.clear();
      deleteField.sendKeys("3");
      browser.findElement(By.cssSelector("#settings button[type='submit']")).click();
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("settings-error"),
          "alertThreshold (5) must be below deleteThreshold (3)"));
      browser.findElement(By.id("delete")).clear();
      alertField.clear();
      alertField.sendKeys("7");
      browser.findElement(By.id("add-contact")).click();
      browser.findElement(By.cssSelector("#contacts input")).sendKeys("team@example.com");
      browser.findElement(By.cssSelector("#settings button[type='submit']")).click();
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Settings of " + ns + " saved"));
      JsonObject saved = new JsonObject(send(port, "GET", "/namespace/" + ns + "/details", token, "").body());
      assertEquals(7, saved.getInteger("alertThreshold"), saved.encode());
      assertEquals("team@example.com", saved.getJsonArray("contacts").getString(0), saved.encode());
      assertFalse(saved.getJsonObject("own").containsKey("deleteThreshold"), "an empty field is the default");

      // A phone-sized window: after a reload (the token is still in the tab's session) the queue table is reachable
      // and its buttons can be scrolled to, while the page itself never scrolls sideways.
      browser.manage().window().setSize(new Dimension(390, 844));
      browser.navigate().refresh();
      wait.until(ExpectedConditions.presenceOfElementLocated(row));
      long viewport = (Long) js.executeScript("return window.innerWidth");
      assertTrue(viewport <= 390, "a phone-sized viewport: " + viewport);
      long pageWidth = (Long) js.executeScript("return document.documentElement.scrollWidth");
      assertTrue(pageWidth <= viewport, "the page fits the phone's width: " + pageWidth + " > " + viewport);
      By purge = By.cssSelector(rowCss + " button.purge");
      wait.until(d -> {
        WebElement button = d.findElement(purge);
        js.executeScript("arguments[0].scrollIntoView({block: 'center'})", button);
        return button.isDisplayed() && button.isEnabled() && button.getRect().getX() >= 0
            && button.getRect().getX() + button.getRect().getWidth() <= viewport;
      });
      screenshot(browser, TARGET.resolve("dashboard-phone.png"));

      // Forget the token: it is gone from the tab, and the sign-in form is back.
      browser.manage().window().setSize(new Dimension(1280, 900));
      browser.findElement(By.id("forget")).click();
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
      assertNull(js.executeScript("return sessionStorage.getItem('pulse.token')"));

      // An operator sees the biggest queues across the broker (this test's vhost holds only this one).
      String admin = JarProcess.mintToken(env, "--sub", "dashboard-operator", "pulse:admin");
      signIn(browser, wait, admin);
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("operator")));
      wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#biggest tr[data-queue='" + queue
          + "']")));
      assertTrue(browser.findElement(By.id("who")).getText().contains("operator"));
      // Among the recent warnings and deletions: the owner's deletion of the other queue.
      wait.until(ExpectedConditions.textToBePresentInElementLocated(
          By.cssSelector("#incidents tr[data-event='queue-deleted']"), ns));

      // The operator exempts the queue from the monitor, with a reason, then ends the exemption.
      click(wait, By.cssSelector("#biggest tr[data-queue='" + queue + "'] button.exempt"));
      assertEquals(queue, browser.findElement(By.id("exempt-queue")).getDomProperty("value"));
      browser.findElement(By.id("exempt-reason")).sendKeys("a replay is being loaded");
      browser.findElement(By.cssSelector("#exempt-form button[type='submit']")).click();
      By exemption = By.cssSelector("#exemptions tr[data-queue='" + queue + "']");
      wait.until(ExpectedConditions.textToBePresentInElementLocated(exemption, "a replay is being loaded"));
      JsonObject exemptions = new JsonObject(send(port, "GET", "/exemptions", admin, "").body());
      assertEquals(queue, exemptions.getJsonArray("exemptions").getJsonObject(0).getString("queue"),
          exemptions.encode());
      screenshot(browser, TARGET.resolve("dashboard-operator.png"));
      click(wait, By.cssSelector("#exemptions tr[data-queue='" + queue + "'] button.end-exemption"));
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
      browser.findElement(By.id("confirm-ok")).click();
      wait.until(ExpectedConditions.invisibilityOfElementLocated(exemption));
      exemptions = new JsonObject(send(port, "GET", "/exemptions", admin, "").body());
      assertTrue(exemptions.getJsonArray("exemptions").isEmpty(), exemptions.encode());

      String output = jar.logText();
      assertFalse(output.contains(token) || output.contains(admin), "no token is ever logged");
    } finally {
      if (browser != null) {
        browser.quit();
      }
      if (amqp != null && amqp.isOpen()) {
        amqp.close();
      }
      jar.close();
      TestEnv.deleteUsers(client, prefix);
      TestEnv.deleteVhost(client, vhost);
      TestEnv.dropDatabase(vertx, database);
      deleteTree(profile);
    }
  }

  private static void signIn(WebDriver browser, WebDriverWait wait, String token) {
    WebElement input = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    input.sendKeys(token);
    browser.findElement(By.cssSelector("#login-form button[type='submit']")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("who")));
    assertFalse(browser.getCurrentUrl().contains(token), "the token never goes in the address");
  }

  /** Clicks what {@code by} finds, looking again if the page redrew it in between. */
  private static void click(WebDriverWait wait, By by) {
    wait.until(d -> {
      d.findElement(by).click();
      return true;
    });
  }

  private static WebElement first(WebDriver browser, By by) {
    return browser.findElements(by).stream().findFirst().orElse(null);
  }

  /**
   * Debian's chromium and chromedriver (scripts/provision installs them), both named explicitly so that Selenium
   * Manager never looks for a browser or a driver on the network.
   */
  private static WebDriver chromium(Path profile) {
    String binary = TestEnv.env("PULSE_TEST_CHROMIUM", "/usr/bin/chromium");
    String driver = TestEnv.env("PULSE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
    assertTrue(new File(binary).canExecute() && new File(driver).canExecute(), "Chromium (" + binary
        + ") and chromedriver (" + driver + ") are installed: scripts/provision installs Debian's packages");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(binary);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(driver))
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }

  private static Connection connect(String connectionString, String name) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(connectionString.replace("@localhost:", "@" + TestEnv.RABBIT_HOST + ":"));
    factory.setConnectionTimeout(10_000);
    factory.setAutomaticRecoveryEnabled(false);
    return factory.newConnection(name);
  }

  private HttpResponse<String> send(int port, String method, String path, String token, String body)
      throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/pulse/v1" + path))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(60))
        .method(method, HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void screenshot(WebDriver browser, Path to) throws Exception {
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
