package io.pulse.store.api;

import io.vertx.codegen.annotations.Nullable;
import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

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
    // Local only: answers may carry passwords, which must never cross a clustered event bus.
    return new NamespaceStoreVertxEBProxy(vertx, ADDRESS,
        new DeliveryOptions().setSendTimeout(timeoutMillis).setLocalOnly(true));
  }

  /**
   * Creates the record of a namespace, or updates {@code expires} (and {@code contact}, when given) of an existing
   * one, and answers the record as it now stands. A new record gets user 1 active with {@code password} (or, when it
   * is null, a new random one the store makes: a renewal then neither makes nor seals a password), user 2 on standby
   * without a password, and its first rotation one {@code rotationSeconds} from now. Concurrent calls for one
   * name yield one record and the same passwords. A name differing only in letter case from an existing namespace
   * fails with RequestConflict.
   */
  Future<NamespaceRecord> claim(String name, String expires, String contact, @Nullable String password,
      long rotationSeconds);

  /** Deletes the record of a first claim that could not go on; a provisioned record is left alone. */
  Future<Void> forgetUnprovisioned(String name);

  /** Records that the users of these namespaces now carry the service's tag. */
  Future<Void> markUsersTagged(List<String> names);

  /**
   * Marks a record whose RabbitMQ users and permissions now exist, making it visible; the first mark records a
   * 'claimed' event with {@code by} (who claimed it) in the namespace's history.
   */
  Future<NamespaceRecord> markProvisioned(String name, String by);

  /** The provisioned record of that name, or {@code null}. */
  Future<NamespaceRecord> find(String name);

  /** Up to {@code limit} provisioned records ordered by name, starting after {@code afterName} (null: from the start). */
  Future<List<NamespaceRecord>> list(int limit, String afterName);

  /** Like {@link #list}, only the namespaces whose name starts with {@code prefix} (exactly, case-sensitively). */
  Future<List<NamespaceRecord>> listWithPrefix(String prefix, int limit, String afterName);

  /**
   * Changes an owner's settings of a live namespace: each key present in {@code changes} is set ({@code contacts}: a
   * JSON array of addresses, {@code alertThreshold}, {@code deleteThreshold}: numbers; null removes the owner's value),
   * and an 'updated' event with the changes and {@code by} is recorded. {@code null} when there is no such live
   * namespace.
   */
  Future<NamespaceRecord> updateSettings(String name, JsonObject changes, String by);

  // --- Maintenance: replicas share the work by leasing rows (a random token, valid for leaseSeconds). ----------

  /**
   * Leases up to {@code limit} live namespaces whose standby user is not made yet (none has rotated), skipping rows
   * another holder leases.
   */
  Future<List<NamespaceRecord>> leaseStandbys(int limit, long leaseSeconds, String token);

  /**
   * Records the standby passwords of namespaces leased with {@code token} ({@code names[i]} got {@code passwords[i]})
   * and releases them all; answers the names recorded (a row no longer leased with the token is left alone, one being
   * removed meanwhile is only released).
   */
  Future<List<String>> recordStandbys(List<String> names, List<String> passwords, String token);

  /** Leases up to {@code limit} provisioned namespaces whose rotation is due, skipping rows another holder leases. */
  Future<List<NamespaceRecord>> leaseRotations(int limit, long leaseSeconds, String token);

  /**
   * Leases up to {@code limit} namespaces whose {@code expires} plus {@code expiryDelaySeconds} has passed, or that are
   * already expiring (a removal that did not finish), and marks them expiring when {@code markExpiring} (a dry run
   * does not, so claims still renew them).
   */
  Future<List<NamespaceRecord>> leaseExpiries(int limit, long expiryDelaySeconds, long leaseSeconds, String token,
      boolean markExpiring);

  /** Leases one namespace; {@code null} when it does not exist or another holder's lease is still valid. */
  Future<NamespaceRecord> lease(String name, long leaseSeconds, String token);

  /**
   * Records a rotation done under the lease: {@code activeUser} now has {@code password} and is active; the next
   * rotation is one interval on; the lease is released. {@code null} when the lease was lost or the namespace is
   * being removed, and nothing changes.
   */
  Future<NamespaceRecord> completeRotation(String name, String token, int activeUser, String password,
      long rotationSeconds);

  /**
   * {@link #completeRotation} for many namespaces in one statement ({@code names[i]} now has {@code activeUsers[i]}
   * active with {@code passwords[i]}); answers the records rotated, without those whose lease was lost.
   */
  Future<List<NamespaceRecord>> completeRotations(List<String> names, String token, List<Integer> activeUsers,
      List<String> passwords, long rotationSeconds);

  /**
   * Extends every lease held under these tokens to {@code leaseSeconds} from now: a live holder renews its leases while
   * it works, so a lease outlives a holder that died by at most that long.
   */
  Future<Void> renewLeases(List<String> tokens, long leaseSeconds);

  /** Gives a lease back. */
  Future<Void> release(String name, String token);

  /**
   * Marks a namespace as being removed: claims no longer renew it; the first mark records a 'revoked' event with
   * {@code by}. {@code null} when it does not exist.
   */
  Future<NamespaceRecord> markExpiring(String name, String by);

  /**
   * Deletes the record of an expiring namespace held under the lease and records a 'removed' event with
   * {@code removed} (what went with it); false when not (any more) there.
   */
  Future<Boolean> deleteExpired(String name, String token, JsonObject removed);

  /** The records (in any state) of those of {@code names} that exist. */
  Future<List<NamespaceRecord>> findAll(List<String> names);

  /** Every record (provisioned or not, passwords included) ordered by name, after {@code afterName}. */
  Future<List<NamespaceRecord>> all(int limit, String afterName);

  /** Answers when the database can be reached and its schema is in place. */
  Future<Void> ping();
}
