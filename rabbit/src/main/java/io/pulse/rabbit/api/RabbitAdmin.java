package io.pulse.rabbit.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * RabbitMQ administration through the management HTTP API, served by the rabbit verticle at {@link #ADDRESS}.
 * Every call is idempotent. Failures are {@code ServiceException}s coded as in {@code io.pulse.config.PulseError}:
 * 503 when the management API cannot be reached, refuses the admin credentials or fails.
 * Error messages never contain a password.
 */
@ProxyGen
@VertxGen
public interface RabbitAdmin {

  String ADDRESS = "pulse.rabbit.admin";

  static RabbitAdmin createProxy(Vertx vertx, long timeoutMillis) {
    // Local only: answers may carry passwords, which must never cross a clustered event bus.
    return new RabbitAdminVertxEBProxy(vertx, ADDRESS,
        new DeliveryOptions().setSendTimeout(timeoutMillis).setLocalOnly(true));
  }

  /**
   * Creates or updates a user. With a {@code null} password the user gets an empty password hash: it exists (and
   * may hold permissions) but nobody can log in as it.
   */
  Future<Void> putUser(String name, String password, List<String> tags);

  /**
   * Creates a user only when no user of that name exists, in one call ({@code If-None-Match: *}): answers true when it
   * made the user, false (and changes nothing) when one of that name was there already.
   */
  Future<Boolean> createUser(String name, String password, List<String> tags);

  /**
   * The users of these names that exist, as {@code {name: {"name", "tags"}}}: read with one listing of all users or one
   * call per name, whichever costs the broker less (the listing while the broker is known, from its last full listing,
   * to hold at most about twenty users per name asked for).
   */
  Future<JsonObject> findUsers(List<String> names);

  /**
   * Creates or updates many users in one call ({@code POST /api/definitions}, with salted SHA-256 password hashes
   * computed here, so the broker hashes nothing): each entry is {@code {"name", "password", "permissions"?}}, a
   * {@code null} password giving the empty hash (nobody can log in), and {@code permissions}
   * ({@code {"configure", "write", "read"}}) set on {@code vhost} when given. Every user gets {@code tags}. Users and
   * permissions not named are left alone; a named user is replaced whoever made it, so callers check ownership first.
   */
  Future<Void> putUsers(String vhost, JsonArray users, List<String> tags);

  /** Sets a user's configure/write/read permissions on a vhost: {@code {"configure", "write", "read"}}. */
  Future<Void> putPermissions(String vhost, String user, JsonObject permissions);

  /** Deletes a user (and with it its permissions); a user that does not exist is not an error. */
  Future<Void> deleteUser(String name);

  /** Every user: {@code [{"name", "password_hash", "hashing_algorithm", "tags"}]}. */
  Future<JsonArray> listUsers();

  /** One user ({@code {"name", "password_hash", "hashing_algorithm", "tags"}}), or {@code null} when there is none. */
  Future<JsonObject> getUser(String name);

  /** One user's permissions on a vhost ({@code {"configure", "write", "read"}}), or {@code null} when it has none. */
  Future<JsonObject> getPermissions(String vhost, String user);

  /** Every user's permissions on a vhost: {@code [{"user", "configure", "write", "read"}]}. */
  Future<JsonArray> listPermissions(String vhost);

  /**
   * The queues of a vhost whose names match a regular expression, with only the given columns (e.g. {@code name},
   * {@code messages}), read page by page: the cheap way to list many queues.
   */
  Future<JsonArray> listQueues(String vhost, String nameRegex, List<String> columns);

  /** Names of the queues of a vhost matching a regular expression, read page by page. */
  Future<List<String>> listQueueNames(String vhost, String nameRegex);

  /** Names of the exchanges of a vhost matching a regular expression, read page by page. */
  Future<List<String>> listExchangeNames(String vhost, String nameRegex);

  /**
   * Declares a durable exchange of {@code type} ({@code topic}, {@code direct}, ...) on a vhost; one that exists with
   * the same type is not an error.
   */
  Future<Void> putExchange(String vhost, String name, String type);

  /** Deletes a queue; one that does not exist is not an error. */
  Future<Void> deleteQueue(String vhost, String name);

  /** Deletes an exchange; one that does not exist is not an error. */
  Future<Void> deleteExchange(String vhost, String name);

  /** The open connections of a vhost: {@code [{"name", "user", "connected_at"}]}. */
  Future<JsonArray> listConnections(String vhost);

  /** Closes a connection; the client sees {@code reason}. One already gone is not an error. */
  Future<Void> closeConnection(String name, String reason);

  /** The broker's overview ({@code rabbitmq_version}, {@code cluster_name}, ...): a cheap liveness check. */
  Future<JsonObject> overview();

  // --- what owners see of their namespace (self-service) -------------------------------------------------------

  /**
   * Queues whose name matches {@code nameRegex} (case-insensitively: narrow, then check names exactly), with what an
   * owner sees: {@code [{"name", "messages", "messages_ready", "messages_unacknowledged", "consumers", "durable",
   * "auto_delete", "message_stats"?: {"publish_details": {"rate"}, "deliver_get_details": {"rate"}}}]}.
   */
  Future<JsonArray> queueDetails(String vhost, String nameRegex);

  /** The bindings of a queue: {@code [{"source", "routing_key", ...}]}; empty when the queue does not exist. */
  Future<JsonArray> queueBindings(String vhost, String queue);

  /** A queue's {@code {"name", "messages", ...}}, or {@code null} when it does not exist. */
  Future<JsonObject> getQueue(String vhost, String name);

  /** Drops every ready message of a queue; false when the queue does not exist. */
  Future<Boolean> purgeQueue(String vhost, String name);

  /**
   * The open connections of one user, with what an owner needs to recognise them: {@code [{"name", "user", "vhost",
   * "peer_host", "peer_port", "connected_at", "channels", "client_properties"}]}; at most 50 (each is read on its own).
   */
  Future<JsonArray> userConnections(String user);

  /**
   * At most {@code limit} queues matching {@code nameRegex}, the most messages first: {@code [{"name", "messages",
   * "consumers"}]} (one call: the broker sorts).
   */
  Future<JsonArray> biggestQueues(String vhost, String nameRegex, int limit);
}
