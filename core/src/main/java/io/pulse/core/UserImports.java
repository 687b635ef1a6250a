package io.pulse.core;

import io.pulse.rabbit.api.RabbitAdmin;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Users made or changed in RabbitMQ through bulk imports ({@link RabbitAdmin#putUsers}), batched the way a database
 * batches commits: a request goes out at once while fewer than {@link #IN_FLIGHT} imports are under way, so a lone
 * claim never waits for company; requests arriving while they are all under way wait for the first to finish and then
 * go together, at most {@link #MAX_USERS} users in one import. Under load a batch gathers whatever arrived during one
 * import (a few milliseconds), and the broker sees one call instead of two per user. A batch that fails is retried one
 * request at a time, so one bad request cannot fail the others. One instance lives on one event loop.
 */
final class UserImports {

  static final int IN_FLIGHT = 2;
  static final int MAX_USERS = 500;

  private final RabbitAdmin rabbit;
  private final String vhost;
  private final List<String> tags;
  private final ArrayDeque<Request> waiting = new ArrayDeque<>();
  private int inFlight;

  UserImports(RabbitAdmin rabbit, String vhost, List<String> tags) {
    this.rabbit = rabbit;
    this.vhost = vhost;
    this.tags = tags;
  }

  private record Request(JsonArray users, Promise<Void> done) {
  }

  /**
   * Makes or changes these users ({@code [{"name", "password", "permissions"?}]}, as {@link RabbitAdmin#putUsers}
   * takes them), alone or in an import with others; succeeds once they are in the broker.
   */
  Future<Void> put(JsonArray users) {
    Promise<Void> done = Promise.promise();
    waiting.add(new Request(users, done));
    drain();
    return done.future();
  }

  private void drain() {
    while (inFlight < IN_FLIGHT && !waiting.isEmpty()) {
      List<Request> batch = new ArrayList<>();
      JsonArray users = new JsonArray();
      while (!waiting.isEmpty()
          && (batch.isEmpty() || users.size() + waiting.peek().users().size() <= MAX_USERS)) {
        Request next = waiting.poll();
        batch.add(next);
        users.addAll(next.users());
      }
      inFlight++;
      send(batch, users).onComplete(ar -> {
        inFlight--;
        drain();
      });
    }
  }

  private Future<Void> send(List<Request> batch, JsonArray users) {
    return rabbit.putUsers(vhost, users, tags).transform(ar -> {
      if (ar.succeeded()) {
        batch.forEach(request -> request.done().tryComplete());
      } else if (batch.size() == 1) {
        batch.get(0).done().tryFail(ar.cause());
      } else {
        batch.forEach(request -> rabbit.putUsers(vhost, request.users(), tags).onComplete(request.done()));
      }
      return Future.succeededFuture();
    });
  }

  /** One user as an import takes it: permissions may be {@code null} (left as they are). */
  static JsonObject user(String name, String password, JsonObject permissions) {
    JsonObject user = new JsonObject().put("name", name).put("password", password);
    if (permissions != null) {
      user.put("permissions", permissions);
    }
    return user;
  }
}
