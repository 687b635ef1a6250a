package io.pulse.monitor;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * Queue depths from the broker's Prometheus endpoint (the rabbitmq_prometheus plugin):
 * {@code GET <url>/metrics/detailed?vhost=<vhost>&family=queue_coarse_metrics}, whose lines
 * {@code rabbitmq_detailed_queue_messages{vhost="<vhost>",queue="<name>"} <count>} give each queue's messages (ready
 * and unacknowledged). The text (about 350 bytes a queue) is read line by line as it arrives; only the lines of that
 * metric become strings, and only managed queues are kept.
 *
 * <p>RabbitMQ 3.10 writes label values without escaping them, later versions escape {@code \ " newline}. A name read
 * here is taken as written when it holds no backslash (the same in both forms); a line holding one, or one that is cut
 * (a newline in a name), cannot be read without doubt, so the reading is marked ambiguous and the sweep asks the
 * management API instead. A tenant cannot hide a queue from the monitor by naming it oddly.
 */
final class PrometheusDepths implements DepthSource {

  private static final byte[] METRIC = "rabbitmq_detailed_queue_messages{".getBytes(StandardCharsets.UTF_8);
  /** Longer than any line of the metric can be (queue names are at most 255 bytes): a longer line is an error. */
  private static final int MAX_LINE = 64 * 1024;

  private final HttpClient client;
  private final String host;
  private final int port;
  private final boolean ssl;
  private final String path;
  private final String lead;
  private final String escapedLead;
  private final long timeoutMillis;
  private final String described;

  PrometheusDepths(HttpClient client, URI url, String vhost, long timeoutMillis) {
    this.client = client;
    this.host = url.getHost();
    this.ssl = "https".equalsIgnoreCase(url.getScheme());
    this.port = url.getPort() != -1 ? url.getPort() : ssl ? 443 : 80;
    String base = url.getRawPath() == null ? "" : url.getRawPath();
    base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.path = base + "/metrics/detailed?vhost=" + URLEncoder.encode(vhost, StandardCharsets.UTF_8).replace("+", "%20")
        + "&family=queue_coarse_metrics";
    this.lead = "rabbitmq_detailed_queue_messages{vhost=\"" + vhost + "\",queue=\"";
    this.escapedLead = "rabbitmq_detailed_queue_messages{vhost=\"" + escape(vhost) + "\",queue=\"";
    this.timeoutMillis = timeoutMillis;
    this.described = "the RabbitMQ Prometheus endpoint at " + url.getScheme() + "://" + host + ":" + port + path;
  }

  @Override
  public String describe() {
    return described;
  }

  @Override
  public Future<QueueDepths> read(Predicate<String> keep) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setSsl(ssl)
        .setURI(path).putHeader("Accept", "text/plain")
        .setConnectTimeout(timeoutMillis).setIdleTimeout(timeoutMillis);
    return Streams.get(client, options, described, () -> new Lines(keep));
  }

  /** Splits the body into lines across chunks, holding at most one partial line. */
  private final class Lines implements Streams.Body {
    private final Predicate<String> keep;
    private final QueueDepths depths = new QueueDepths();
    private byte[] partial = new byte[512];
    private int partialLength;

    Lines(Predicate<String> keep) {
      this.keep = keep;
    }

    @Override
    public void chunk(Buffer chunk) throws IOException {
      byte[] bytes = chunk.getBytes();
      int start = 0;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          if (partialLength > 0) {
            append(bytes, start, i);
            line(partial, 0, partialLength);
            partialLength = 0;
          } else {
            line(bytes, start, i);
          }
          start = i + 1;
        }
      }
      if (start < bytes.length) {
        append(bytes, start, bytes.length);
      }
    }

    private void append(byte[] bytes, int from, int to) throws IOException {
      int length = partialLength + to - from;
      if (length > MAX_LINE) {
        throw new IOException("a line longer than " + MAX_LINE + " bytes");
      }
      if (length > partial.length) {
        partial = java.util.Arrays.copyOf(partial, Math.max(length, partial.length * 2));
      }
      System.arraycopy(bytes, from, partial, partialLength, to - from);
      partialLength = length;
    }

    @Override
    public QueueDepths end() {
      if (partialLength > 0) {
        line(partial, 0, partialLength);
      }
      return depths;
    }

    private void line(byte[] bytes, int from, int to) {
      if (to - from < METRIC.length || !java.util.Arrays.equals(bytes, from, from + METRIC.length, METRIC, 0,
          METRIC.length)) {
        return;
      }
      String line = new String(bytes, from, to - from, StandardCharsets.UTF_8);
      String rest = line.startsWith(lead) ? line.substring(lead.length())
          : line.startsWith(escapedLead) ? line.substring(escapedLead.length()) : null;
      if (rest == null) {
        // Another vhost's line cannot be here (the endpoint filters by vhost): a line cut by a newline in a name.
        depths.markAmbiguous();
        return;
      }
      int end = rest.lastIndexOf("\"} ");
      if (end < 0) {
        depths.markAmbiguous();
        return;
      }
      String name = rest.substring(0, end);
      if (name.indexOf('\\') >= 0) {
        depths.markAmbiguous();
        return;
      }
      if (!keep.test(name)) {
        return;
      }
      String value = rest.substring(end + 3).trim();
      int space = value.indexOf(' ');
      depths.add(name, count(space < 0 ? value : value.substring(0, space)));
    }
  }

  private static long count(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      double d = Double.parseDouble(value);
      return Double.isFinite(d) ? (long) d : 0;
    }
  }

  private static String escape(String text) {
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
