package io.pulse.store.api;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

import java.util.List;

/**
 * Namespace records in PostgreSQL, served by the store verticle at {@link #ADDRESS}. Failures are
 * {@code ServiceException}s coded as in {@code io.pulse.config.PulseError} (503 when PostgreSQL is unreachable).
 */
@ProxyGen
@VertxGen
public interface NamespaceStore {

  String ADDRESS = "pulse.store.namespaces";

  static NamespaceStore createProxy(Vertx vertx, long timeoutMillis) {
    return new NamespaceStoreVertxEBProxy(vertx, ADDRESS, new DeliveryOptions().setSendTimeout(timeoutMillis));
  }

  /**
   * Creates the record of a namespace, or updates {@code expires} (and {@code contact}, when given) of an existing
   * one, and answers the record as it now stands. A new record gets user 1 active with {@code password}, user 2 on
   * standby without a password, and its first rotation one {@code rotationSeconds} from now. Concurrent calls for one
   * name yield one record and the same passwords.
   */
  Future<NamespaceRecord> claim(String name, String expires, String contact, String password, long rotationSeconds);

  /** Marks a record whose RabbitMQ users and permissions now exist, making it visible. */
  Future<NamespaceRecord> markProvisioned(String name);

  /** The provisioned record of that name, or {@code null}. */
  Future<NamespaceRecord> find(String name);

  /** Up to {@code limit} provisioned records ordered by name, starting after {@code afterName} (null: from the start). */
  Future<List<NamespaceRecord>> list(int limit, String afterName);

  /** Answers when the database can be reached and its schema is in place. */
  Future<Void> ping();
}
