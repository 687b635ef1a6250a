package io.pulse.client;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * The public event-bus contract of the Pulse service, served at {@link #ADDRESS} by the namespace verticle (deployed
 * with the {@code namespaces} role). Without the proxy, send a JSON object of the arguments by parameter name with a
 * header {@code action} naming the method; a message that breaks this fails with a 400 (the repository's
 * docs/event-bus.md has the wire format).
 *
 * <p>Answers are the same JSON as the REST API's; failures are {@code ServiceException}s whose failure code is the HTTP
 * status and whose debug info is {@code {"code": "<Taskcluster error code>"}} (InvalidNamespace, InputValidationError,
 * InvalidRequestArguments, ResourceNotFound, ServiceUnavailable, ...). Callers on the bus are trusted: no scopes
 * are checked, but every input rule is.
 */
@ProxyGen
@VertxGen
public interface NamespaceService {

  String ADDRESS = "pulse.namespaces";

  /**
   * A proxy for co-deployed code; {@code timeoutMillis} bounds each call. Besides the service's coded
   * {@code ServiceException}s, a call fails with a {@code ReplyException} of kind {@code NO_HANDLERS} when the service
   * is not deployed in this Vert.x instance (it is never reached across a cluster), and of kind {@code TIMEOUT} when
   * it did not answer within {@code timeoutMillis} (a claim may then be retried as it is: it renews).
   */
  static NamespaceService createProxy(Vertx vertx, long timeoutMillis) {
    // Local only: answers may carry passwords, which must never cross a clustered event bus.
    return new NamespaceServiceVertxEBProxy(vertx, ADDRESS,
        new DeliveryOptions().setSendTimeout(timeoutMillis).setLocalOnly(true));
  }

  /**
   * Claims a namespace: creates it, or renews it. {@code payload} is {@code {"expires"?: ISO date-time,
   * "contact"?: e-mail}} (null: {@code {}}). Answers {@code {"namespace", "created", "expires", "connectionString",
   * "reclaimAt"}}.
   */
  Future<JsonObject> claimNamespace(String namespace, JsonObject payload);

  /** Answers {@code {"namespace", "created", "expires"}}; fails with ResourceNotFound when there is none. */
  Future<JsonObject> namespace(String namespace);

  /**
   * Revokes a namespace now, with the same effects as expiry: connections closed, both users, every
   * {@code queue/<ns>/...} and {@code exchange/<ns>/...}, and the record removed. Fails with ResourceNotFound when
   * there is none.
   */
  Future<Void> revokeNamespace(String namespace);

  /**
   * Lists namespaces by name: {@code query} is {@code {"limit"?: 1..1000, "continuationToken"?: string}}.
   * Answers {@code {"namespaces": [{"namespace", "created", "expires"}], "continuationToken"?}}.
   */
  Future<JsonObject> listNamespaces(JsonObject query);

  // --- an owner's view of their namespace (the REST API's /namespace/<ns>/... routes) -----------------------------

  /**
   * What an owner sees of a namespace: {@code {"namespace", "created", "expires", "reclaimAt", "contacts": [e-mail],
   * "alertThreshold", "deleteThreshold", "own": {"contacts"?, "alertThreshold"?, "deleteThreshold"?}, "limits":
   * {"maxAlertThreshold", "maxDeleteThreshold", "maxContacts"}}} ({@code own}: what the owner set; the rest are the
   * values in force). Fails with ResourceNotFound when there is none.
   */
  Future<JsonObject> namespaceDetails(String namespace);

  /**
   * Changes an owner's settings: {@code changes} is {@code {"contacts"?: [up to 5 e-mails] | null, "alertThreshold"?:
   * n | null, "deleteThreshold"?: n | null}} (null: back to the claim's contact, or the operator's threshold); answers
   * like {@link #namespaceDetails}.
   */
  Future<JsonObject> updateNamespace(String namespace, JsonObject changes);

  /**
   * The namespace's queues ({@code queue/<ns>/...}, exactly) with their sizes, rates, monitor state and bindings:
   * {@code query} is {@code {"limit"?: 1..200, "continuationToken"?}}; answers {@code {"namespace", "alertThreshold",
   * "deleteThreshold", "queues": [...], "continuationToken"?}} (docs/api.md has every field).
   */
  Future<JsonObject> namespaceQueues(String namespace, JsonObject query);

  /** The open connections of the namespace's users: {@code {"namespace", "connections": [...]}}. */
  Future<JsonObject> namespaceConnections(String namespace);

  /**
   * Deletes one of the namespace's queues ({@code queue} is its full name, {@code queue/<ns>/...}); fails with
   * ResourceNotFound when there is no such queue of that namespace.
   */
  Future<Void> deleteQueue(String namespace, String queue);

  /** Drops every ready message of one of the namespace's queues: answers {@code {"queue", "purged"}}. */
  Future<JsonObject> purgeQueue(String namespace, String queue);

  /**
   * The namespace's history, newest first: {@code query} is {@code {"limit"?: 1..1000, "continuationToken"?}};
   * answers {@code {"namespace", "events": [...], "continuationToken"?}}. The namespace need not exist any more.
   */
  Future<JsonObject> namespaceHistory(String namespace, JsonObject query);
}
