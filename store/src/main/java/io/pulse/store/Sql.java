package io.pulse.store;

/** Every statement the store runs, in one place. */
final class Sql {

  private Sql() {
  }

  static final String COLUMNS =
      "name, created, expires, contact, active_user, password_1, password_2, next_rotation, provisioned, expiring, "
          + "rotations, users_marked";

  /**
   * Insert-or-update in one statement: concurrent first claims serialise on the row, the first insert wins and the
   * others update it, so all of them read back the same passwords.
   */
  static final String CLAIM =
      "INSERT INTO namespaces (name, expires, contact, password_1, next_rotation) "
          + "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
          + "ON CONFLICT (name) DO UPDATE SET expires = EXCLUDED.expires, "
          + "contact = COALESCE(EXCLUDED.contact, namespaces.contact), updated = now() "
          // A namespace being removed is not renewed: no row comes back and the claim waits for the removal.
          + "WHERE NOT namespaces.expiring "
          + "RETURNING " + COLUMNS;

  /** The name unique index that refuses namespaces differing only in letter case. */
  static final String FOLDED_NAME_INDEX = "namespaces_name_folded";

  static final String CASE_TWIN = "SELECT name FROM namespaces WHERE lower(name) = lower($1) AND name <> $1 LIMIT 1";

  /** A first claim that cannot go on (its user name is taken) leaves nothing behind. */
  static final String FORGET_UNPROVISIONED = "DELETE FROM namespaces WHERE name = $1 AND NOT provisioned";

  static final String MARK_USERS_TAGGED = "UPDATE namespaces SET users_marked = true WHERE name = ANY($1) "
      + "AND NOT users_marked";

  static final String MARK_PROVISIONED =
      "UPDATE namespaces SET provisioned = true, updated = now() WHERE name = $1 RETURNING " + COLUMNS;

  static final String FIND = "SELECT " + COLUMNS + " FROM namespaces WHERE name = $1 AND provisioned";

  static final String LIST_FIRST =
      "SELECT " + COLUMNS + " FROM namespaces WHERE provisioned ORDER BY name LIMIT $1";

  static final String LIST_AFTER =
      "SELECT " + COLUMNS + " FROM namespaces WHERE provisioned AND name > $2 "
          + "ORDER BY name LIMIT $1";

  /** A lease is free when nobody holds it or its holder let it lapse (crashed or stalled). */
  private static final String LEASE_FREE = "(lease_token IS NULL OR lease_until < now())";

  private static final String TAKE_LEASE =
      "UPDATE namespaces SET lease_token = $1, lease_until = now() + make_interval(secs => $2) ";

  /** Due rotations, leased in one statement; rows another replica holds are skipped, not waited for. */
  static final String LEASE_ROTATIONS = TAKE_LEASE
      + "WHERE name IN (SELECT name FROM namespaces WHERE provisioned AND NOT expiring AND next_rotation <= now() "
      + "AND " + LEASE_FREE + " ORDER BY next_rotation LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS;

  /** Expired namespaces (expires plus the delay passed) and those already being removed, leased likewise. */
  static final String LEASE_EXPIRIES = "UPDATE namespaces SET expiring = expiring OR $5, lease_token = $1, "
      + "lease_until = now() + make_interval(secs => $2) "
      + "WHERE name IN (SELECT name FROM namespaces WHERE (expiring OR expires + make_interval(secs => $4) < now()) "
      + "AND " + LEASE_FREE + " ORDER BY expires LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS;

  static final String LEASE_ONE = TAKE_LEASE + "WHERE name = $3 AND " + LEASE_FREE + " RETURNING " + COLUMNS;

  static final String COMPLETE_ROTATION = "UPDATE namespaces SET active_user = $3, "
      + "password_1 = CASE WHEN $3 = 1 THEN $4 ELSE password_1 END, "
      + "password_2 = CASE WHEN $3 = 2 THEN $4 ELSE password_2 END, "
      + "next_rotation = now() + make_interval(secs => $5), rotations = rotations + 1, "
      + "lease_token = NULL, lease_until = NULL, updated = now() "
      + "WHERE name = $1 AND lease_token = $2 AND NOT expiring AND active_user <> $3 RETURNING " + COLUMNS;

  static final String RENEW_LEASES = "UPDATE namespaces SET lease_until = now() + make_interval(secs => $2) "
      + "WHERE lease_token = ANY($1)";

  static final String RELEASE = "UPDATE namespaces SET lease_token = NULL, lease_until = NULL "
      + "WHERE name = $1 AND lease_token = $2";

  static final String MARK_EXPIRING = "UPDATE namespaces SET expiring = true, updated = now() WHERE name = $1 "
      + "RETURNING " + COLUMNS;

  static final String DELETE_EXPIRED = "DELETE FROM namespaces WHERE name = $1 AND expiring AND lease_token = $2";

  /** Every record, passwords included, for reconciliation: paged by name. */
  static final String ALL_AFTER = "SELECT " + COLUMNS + " FROM namespaces WHERE name > $2 ORDER BY name LIMIT $1";

  static final String FIND_MANY = "SELECT " + COLUMNS + " FROM namespaces WHERE name = ANY($1)";

  static final String QUEUE_STATE_COLUMNS = "queue, namespace, state, messages, above_since, notified_at, version";

  static final String QUEUE_STATES = "SELECT " + QUEUE_STATE_COLUMNS + " FROM queue_states";

  static final String INSERT_QUEUE_STATE = "INSERT INTO queue_states (queue, namespace, state, messages, above_since, "
      + "notified_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (queue) DO NOTHING";

  static final String UPDATE_QUEUE_STATE = "UPDATE queue_states SET state = $2, messages = $3, above_since = $4, "
      + "notified_at = $5, version = version + 1, updated = now() WHERE queue = $1 AND version = $6";

  static final String REMOVE_QUEUE_STATE = "DELETE FROM queue_states WHERE queue = $1 AND version = $2";

  /** The stored passwords, for sealing them again at start: paged by name. */
  static final String PASSWORDS_AFTER = "SELECT name, password_1, password_2 FROM namespaces WHERE name > $1 "
      + "ORDER BY name LIMIT $2";

  static final String RESEAL = "UPDATE namespaces SET password_1 = $2, password_2 = $3 WHERE name = $1 "
      + "AND password_1 IS NOT DISTINCT FROM $4 AND password_2 IS NOT DISTINCT FROM $5";

  static final String PING = "SELECT 1 FROM namespaces LIMIT 1";

  /** Live namespaces, for the pulse_namespaces gauge. */
  static final String COUNT_LIVE = "SELECT count(*) FROM namespaces WHERE provisioned AND NOT expiring";

  /**
   * Made only when missing, asked first under the lock: CREATE TABLE IF NOT EXISTS would make PostgreSQL send a
   * notice ("relation already exists, skipping") at every start, which the driver logs as a warning.
   */
  static final String MIGRATIONS_TABLE_EXISTS = "SELECT to_regclass('pulse_schema_migrations') IS NOT NULL";

  static final String MIGRATIONS_TABLE =
      "CREATE TABLE pulse_schema_migrations ("
          + "version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())";

  /** Serialises migrations between replicas starting at once (an arbitrary, fixed key). */
  static final String MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7421010)";

  static final String APPLIED_VERSIONS = "SELECT version FROM pulse_schema_migrations";

  static final String RECORD_MIGRATION = "INSERT INTO pulse_schema_migrations (version, name) VALUES ($1, $2)";
}
