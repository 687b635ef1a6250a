package io.pulse.api.auth;

import io.pulse.api.auth.Hawk.HawkException;
import io.pulse.config.StaticClient;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks Hawk-signed requests of clients known locally (PULSE_STATIC_CLIENTS) the way Taskcluster's auth service
 * does: timestamp, certificate of temporary credentials, MAC, payload hash, then authorizedScopes. Pure and
 * synchronous (a few HMACs), so it runs on the event loop; every refusal is a {@link HawkException}.
 *
 * <p>Everything before the certificate's signature and the request's MAC are checked is attacker-controlled, so
 * that work stays linear in the header: {@code ext} is decoded once per call, a certificate's scopes are compared
 * with the issuer's only once its signature is known good, and scope lists are bounded
 * ({@value #MAX_SCOPES} scopes of at most {@value #MAX_SCOPE_LENGTH} characters).
 */
public final class HawkVerifier {

  static final long SKEW_SECONDS = 15 * 60;
  static final long CERTIFICATE_SLACK_MILLIS = Duration.ofMinutes(5).toMillis();
  static final long CERTIFICATE_MAX_MILLIS = Duration.ofDays(31).toMillis();
  /** Far more than a certificate or authorizedScopes lists in practice; caps scopes x issuer scopes comparisons. */
  static final int MAX_SCOPES = 1000;
  static final int MAX_SCOPE_LENGTH = 1000;

  private final Map<String, StaticClient> clients = new LinkedHashMap<>();

  public HawkVerifier(List<StaticClient> clients) {
    clients.forEach(c -> this.clients.put(c.clientId(), c));
  }

  /**
   * A request as the client signed it: the public method, resource (path and query), host and port, plus the
   * raw body and content type for the payload hash.
   */
  public record Request(String method, String resource, String host, int port, String authorization,
      String contentType, byte[] body) {
  }

  /** Whether the permanent client behind this header (the issuer of its certificate, else its id) is known here. */
  public boolean knows(Hawk.Header header) {
    return clients.containsKey(permanentClientId(header));
  }

  /** Parses the header and refuses a timestamp more than 15 minutes away from {@code nowMillis}. */
  public static Hawk.Header parseFresh(String authorization, long nowMillis) {
    Hawk.Header header = Hawk.parse(authorization);
    if (Math.abs(nowMillis / 1000 - header.ts()) > SKEW_SECONDS) {
      throw new HawkException("Stale timestamp: ts " + header.ts() + " is more than " + SKEW_SECONDS
          + " s away from the server's clock (" + nowMillis / 1000 + "); check the client's clock");
    }
    return header;
  }

  /** Full local authentication of a request whose client {@link #knows}: the caller and its effective scopes. */
  public Caller verify(Request request, long nowMillis) {
    Hawk.Header header = parseFresh(request.authorization(), nowMillis);
    JsonObject ext = ext(header);
    Object certificate = ext.getValue("certificate");
    String key;
    List<String> scopes;
    if (certificate != null) {
      if (!(certificate instanceof JsonObject)) {
        throw new HawkException("ext.certificate must be a JSON object");
      }
      JsonObject cert = (JsonObject) certificate;
      StaticClient issuer = client(permanentClientId(header, ext));
      scopes = checkCertificate(cert, header.id(), issuer, nowMillis);
      key = TemporaryCredentials.accessToken(issuer.accessToken(), cert.getString("seed"));
    } else {
      StaticClient client = client(header.id());
      key = client.accessToken();
      scopes = client.scopes();
    }
    String expected = Hawk.mac(key, header, request.method(), request.resource(), request.host(), request.port());
    if (!Hawk.sameText(expected, header.mac())) {
      throw new HawkException("Bad mac: the signature does not match the request (method, path and query, host "
          + request.host() + ", port " + request.port() + ") and the clientId's accessToken");
    }
    checkPayload(header, request);
    return new Caller("hawk:" + header.id(), authorizedScopes(ext, scopes));
  }

  /** A payload hash, when the header has one, must be that of the raw body. */
  public static void checkPayload(Hawk.Header header, Request request) {
    if (header.hash() == null) {
      return;
    }
    byte[] body = request.body() == null ? new byte[0] : request.body();
    if (!Hawk.sameText(Hawk.payloadHash(request.contentType(), body), header.hash())) {
      throw new HawkException("Bad payload hash: the 'hash' attribute does not match the request body");
    }
  }

  /** The decoded {@code ext}: an empty object when absent. */
  public static JsonObject ext(Hawk.Header header) {
    if (header.ext() == null || header.ext().isEmpty()) {
      return new JsonObject();
    }
    String json = new String(Hawk.decodeBase64(header.ext()), StandardCharsets.UTF_8);
    try {
      return new JsonObject(json);
    } catch (DecodeException | ClassCastException e) {
      throw new HawkException("Hawk 'ext' must be base64 of a JSON object");
    }
  }

  /** The permanent client a header stands for: the certificate's issuer for named temporary credentials. */
  public static String permanentClientId(Hawk.Header header) {
    JsonObject ext;
    try {
      ext = ext(header);
    } catch (HawkException e) {
      return header.id();
    }
    return permanentClientId(header, ext);
  }

  private static String permanentClientId(Hawk.Header header, JsonObject ext) {
    Object certificate = ext.getValue("certificate");
    if (certificate instanceof JsonObject && ((JsonObject) certificate).getValue("issuer") instanceof String) {
      return ((JsonObject) certificate).getString("issuer");
    }
    return header.id();
  }

  private StaticClient client(String clientId) {
    StaticClient client = clients.get(clientId);
    if (client == null) {
      throw new HawkException("Unknown clientId '" + clientId + "'");
    }
    return client;
  }

  /** Every check Taskcluster makes on a certificate; answers its scopes. */
  static List<String> checkCertificate(JsonObject cert, String hawkId, StaticClient issuer, long nowMillis) {
    if (!Integer.valueOf(1).equals(cert.getValue("version"))) {
      throw new HawkException("ext.certificate.version must be 1");
    }
    if (!(cert.getValue("seed") instanceof String) || cert.getString("seed").length() != 44) {
      throw new HawkException("ext.certificate.seed must be a string of 44 characters");
    }
    if (!(cert.getValue("start") instanceof Number) || !(cert.getValue("expiry") instanceof Number)) {
      throw new HawkException("ext.certificate.start and ext.certificate.expiry must be numbers (ms since 1970)");
    }
    long start = cert.getLong("start");
    long expiry = cert.getLong("expiry");
    List<String> scopes = strings(cert.getValue("scopes"), "ext.certificate.scopes");
    if (!(cert.getValue("signature") instanceof String)) {
      throw new HawkException("ext.certificate.signature must be a string");
    }
    Object issuerField = cert.getValue("issuer");
    if (issuerField != null && !(issuerField instanceof String)) {
      throw new HawkException("ext.certificate.issuer must be a string");
    }
    String issuerName = (String) issuerField;
    if (issuerName != null && issuerName.equals(hawkId)) {
      throw new HawkException("ext.certificate.issuer must differ from the clientId of named temporary credentials");
    }
    if (start > nowMillis + CERTIFICATE_SLACK_MILLIS) {
      throw new HawkException("ext.certificate.start is in the future");
    }
    if (expiry < nowMillis - CERTIFICATE_SLACK_MILLIS) {
      throw new HawkException("ext.certificate.expiry is in the past: the temporary credentials have expired");
    }
    if (expiry - start > CERTIFICATE_MAX_MILLIS) {
      throw new HawkException("ext.certificate cannot last longer than 31 days");
    }
    // The signature before the scopes (Taskcluster compares the scopes first): only certificates the issuer signed
    // reach the comparison of every certificate scope with every issuer scope, and a refusal cannot tell someone
    // without the issuer's token which scopes the issuer holds.
    String expected = TemporaryCredentials.signature(issuer.accessToken(), hawkId, issuerName,
        cert.getString("seed"), start, expiry, scopes);
    if (!Hawk.sameText(expected, cert.getString("signature"))) {
      throw new HawkException("ext.certificate.signature is not valid");
    }
    if (issuerName != null && !Scopes.satisfiesAny(issuer.scopes(), "auth:create-client:" + hawkId)) {
      throw new HawkException("ext.certificate.issuer '" + issuerName + "' lacks the scope auth:create-client:"
          + hawkId + " needed to issue named temporary credentials");
    }
    for (String scope : scopes) {
      if (!Scopes.satisfiesAny(issuer.scopes(), scope)) {
        throw new HawkException("ext.certificate issuer '" + issuer.clientId() + "' does not have the scope "
            + scope + " that the certificate grants");
      }
    }
    return scopes;
  }

  /** ext.authorizedScopes, when given, must be satisfied by the current scopes, and then replaces them. */
  static List<String> authorizedScopes(JsonObject ext, List<String> scopes) {
    if (!ext.containsKey("authorizedScopes")) {
      return scopes;
    }
    List<String> authorized = strings(ext.getValue("authorizedScopes"), "ext.authorizedScopes");
    for (String scope : authorized) {
      if (!Scopes.satisfiesAny(scopes, scope)) {
        throw new HawkException("ext.authorizedScopes oversteps your scopes: the credentials do not have " + scope);
      }
    }
    return authorized;
  }

  /** A list of scopes from ext, within {@link #MAX_SCOPES} and {@link #MAX_SCOPE_LENGTH}. */
  private static List<String> strings(Object value, String what) {
    if (!(value instanceof JsonArray)) {
      throw new HawkException(what + " must be an array of strings");
    }
    JsonArray array = (JsonArray) value;
    if (array.size() > MAX_SCOPES) {
      throw new HawkException(what + " lists " + array.size() + " scopes; at most " + MAX_SCOPES + " are accepted");
    }
    List<String> list = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof String)) {
        throw new HawkException(what + " must be an array of strings");
      }
      if (((String) item).length() > MAX_SCOPE_LENGTH) {
        throw new HawkException(what + " holds a scope longer than " + MAX_SCOPE_LENGTH + " characters");
      }
      list.add((String) item);
    }
    return List.copyOf(list);
  }
}
