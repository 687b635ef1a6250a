package io.pulse.monitor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Predicate;

/**
 * Queue depths from one management API listing, {@code GET /api/queues/<vhost>?columns=name,messages}, unpaged: every
 * page of a paged listing makes the plugin list and sort all queues again, so pages cost the square of the queue
 * count. The body (about 50 bytes a queue) is parsed as it arrives with Jackson's non-blocking parser, so only the
 * managed queues' names and counts are ever held, never the body.
 */
final class ManagementListing implements DepthSource {

  private static final JsonFactory JSON = new JsonFactory();

  private final HttpClient client;
  private final String host;
  private final int port;
  private final boolean ssl;
  private final String path;
  private final String authorization;
  private final long timeoutMillis;
  private final String described;

  ManagementListing(HttpClient client, URI api, String user, String password, String vhost, long timeoutMillis) {
    this.client = client;
    this.host = api.getHost();
    this.ssl = "https".equalsIgnoreCase(api.getScheme());
    this.port = api.getPort() != -1 ? api.getPort() : ssl ? 443 : 80;
    String base = api.getRawPath() == null ? "" : api.getRawPath();
    base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.path = base + "/queues/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8).replace("+", "%20")
        + "?columns=name,messages";
    this.authorization = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    this.timeoutMillis = timeoutMillis;
    this.described = "the management API listing at " + api.getScheme() + "://" + host + ":" + port + path;
  }

  @Override
  public String describe() {
    return described;
  }

  @Override
  public Future<QueueDepths> read(Predicate<String> keep) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setSsl(ssl)
        .setURI(path).putHeader("Authorization", authorization).putHeader("Accept", "application/json")
        .setConnectTimeout(timeoutMillis).setIdleTimeout(timeoutMillis);
    return Streams.get(client, options, described, () -> new Listing(keep));
  }

  /** The state of one listing's parse: {@code [{"name": ..., "messages": ...}, ...]}, fed chunk by chunk. */
  private static final class Listing implements Streams.Body {
    private final Predicate<String> keep;
    private final QueueDepths depths = new QueueDepths();
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private boolean started;
    private int depth;
    private String field;
    private String name;
    private long messages;

    Listing(Predicate<String> keep) {
      this.keep = keep;
      try {
        this.parser = JSON.createNonBlockingByteArrayParser();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    @Override
    public void chunk(Buffer chunk) throws IOException {
      byte[] bytes = chunk.getBytes();
      feeder.feedInput(bytes, 0, bytes.length);
      drain();
    }

    @Override
    public QueueDepths end() throws IOException {
      feeder.endOfInput();
      drain();
      if (!started || depth != 0) {
        throw new IOException("the listing ended early");
      }
      return depths;
    }

    private void drain() throws IOException {
      JsonToken token;
      while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
        if (!started && token != JsonToken.START_ARRAY) {
          throw new IOException("the listing is not a JSON array");
        }
        started = true;
        switch (token) {
          case START_ARRAY:
          case START_OBJECT:
            depth++;
            if (depth == 2 && token == JsonToken.START_OBJECT) {
              name = null;
              messages = 0;
            }
            break;
          case END_ARRAY:
          case END_OBJECT:
            if (depth == 2 && name != null && keep.test(name)) {
              depths.add(name, messages);
            }
            depth--;
            break;
          case FIELD_NAME:
            field = depth == 2 ? parser.currentName() : null;
            break;
          case VALUE_STRING:
            if (depth == 2 && "name".equals(field)) {
              name = parser.getText();
            }
            break;
          case VALUE_NUMBER_INT:
          case VALUE_NUMBER_FLOAT:
            if (depth == 2 && "messages".equals(field)) {
              messages = parser.getValueAsLong();
            }
            break;
          default:
            break;
        }
      }
    }
  }
}
