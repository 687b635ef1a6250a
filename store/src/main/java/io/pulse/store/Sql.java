package io.pulse.store;

import java.util.List;
import java.util.stream.Collectors;

/** Every statement the store runs, in one place. */
final class Sql {

  private Sql() {
  }

  private static final List<String> COLUMN_LIST = List.of("name", "created", "expires", "contact", "active_user",
      "password_1", "password_2", "next_rotation", "provisioned", "expiring", "rotations", "users_marked", "contacts",
      "alert_threshold", "delete_threshold");

  static final String COLUMNS = String.join(", ", COLUMN_LIST);

  /** The record's columns of the table under an alias, for statements that join it with its old values. */
  private static String columns(String alias) {
    return COLUMN_LIST.stream().map(c -> alias + "." + c).collect(Collectors.joining(", "));
  }

  /** A timestamp column as the API writes dates: ISO 8601 in UTC with milliseconds. */
  private static String iso(String column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
  }

  /** The key of a coalesced history row: one per namespace, event and UTC day. */
  private static String dayKey(String event) {
    return "'" + event + ":' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
  }

  /** Counts a routine event (renewed, rotated) of the namespaces in CTE {@code from} into their row of the day. */
  private static String coalesced(String event, String from, String where) {
    return "INSERT INTO history (namespace, event, day_key) SELECT name, '" + event + "', " + dayKey(event)
        + " FROM " + from + " WHERE " + where + " ON CONFLICT (namespace, day_key) WHERE day_key IS NOT NULL "
        + "DO UPDATE SET count = history.count + 1, at = now()";
  }

  /**
   * Insert-or-update in one statement: concurrent first claims serialise on the row, the first insert wins and the
   * others update it, so all of them read back the same passwords.
   */
  static final String CLAIM =
      "WITH c AS (INSERT INTO namespaces (name, expires, contact, password_1, next_rotation) "
          + "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
          + "ON CONFLICT (name) DO UPDATE SET expires = EXCLUDED.expires, "
          + "contact = COALESCE(EXCLUDED.contact, namespaces.contact), updated = now() "
          // A namespace being removed is not renewed: no row comes back and the claim waits for the removal.
          + "WHERE NOT namespaces.expiring "
          + "RETURNING " + COLUMNS + ", xmax <> 0 AS renewed), "
          // A renewal of a live namespace is counted in its history, in the same statement (one round trip).
          + "h AS (" + coalesced("renewed", "c", "renewed AND provisioned") + ") "
          + "SELECT * FROM c";

  /**
   * {@link #CLAIM} for many namespaces in one statement (one commit): the claims that arrived together. Rows are taken
   * in name order, so two such statements lock rows in the same order and cannot deadlock each other; a name given
   * twice is never in one statement.
   */
  static final String CLAIM_MANY =
      "WITH i AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::float8[]) "
          + "AS t(name, expires, contact, p1, secs) ORDER BY name), "
          + "c AS (INSERT INTO namespaces (name, expires, contact, password_1, next_rotation) "
          + "SELECT name, expires, contact, p1, now() + make_interval(secs => secs) FROM i "
          + "ON CONFLICT (name) DO UPDATE SET expires = EXCLUDED.expires, "
          + "contact = COALESCE(EXCLUDED.contact, namespaces.contact), updated = now() "
          + "WHERE NOT namespaces.expiring "
          + "RETURNING " + COLUMNS + ", xmax <> 0 AS renewed), "
          + "h AS (" + coalesced("renewed", "c", "renewed AND provisioned") + ") "
          + "SELECT * FROM c";

  /**
   * The renewal of live namespaces, the common claim: {@code expires} (and {@code contact}, when given) of those that
   * exist, are provisioned and are not being removed, counted in their history, in one statement. Rows are locked in
   * name order, as {@link #CLAIM_MANY} takes them, so concurrent statements cannot deadlock. A name without a row here
   * goes on to {@link #CLAIM_MANY}.
   */
  static final String RENEW_MANY =
      "WITH i AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS t(name, expires, contact)), "
          + "l AS (SELECT n.name, i.expires, i.contact FROM namespaces n JOIN i ON i.name = n.name "
          + "WHERE n.provisioned AND NOT n.expiring ORDER BY n.name FOR UPDATE OF n), "
          + "c AS (UPDATE namespaces n SET expires = l.expires, contact = COALESCE(l.contact, n.contact), "
          + "updated = now() FROM l WHERE n.name = l.name RETURNING " + columns("n") + "), "
          + "h AS (" + coalesced("renewed", "c", "true") + ") "
          + "SELECT * FROM c";

  /** The name unique index that refuses namespaces differing only in letter case. */
  static final String FOLDED_NAME_INDEX = "namespaces_name_folded";

  static final String CASE_TWIN = "SELECT name FROM namespaces WHERE lower(name) = lower($1) AND name <> $1 LIMIT 1";

  /** A first claim that cannot go on (its user name is taken) leaves nothing behind. */
  static final String FORGET_UNPROVISIONED = "DELETE FROM namespaces WHERE name = $1 AND NOT provisioned";

  static final String MARK_USERS_TAGGED = "UPDATE namespaces SET users_marked = true WHERE name = ANY($1) "
      + "AND NOT users_marked";

  /** Marks a namespace made; the first to do so (replicas may race) records that it was claimed, and by whom. */
  static final String MARK_PROVISIONED =
      "WITH old AS (SELECT name, provisioned FROM namespaces WHERE name = $1 FOR UPDATE), "
          + "p AS (UPDATE namespaces n SET provisioned = true, updated = now() FROM old WHERE n.name = old.name "
          + "RETURNING " + columns("n") + ", old.provisioned AS was), "
          + "h AS (INSERT INTO history (namespace, event, detail) SELECT name, 'claimed', "
          + "jsonb_build_object('by', $2::text, 'expires', " + iso("expires") + ") FROM p WHERE NOT was) "
          + "SELECT * FROM p";

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

  /**
   * Expired namespaces (expires plus the delay passed) and those already being removed, leased likewise; a namespace
   * marked expiring here for the first time gets an 'expired' event.
   */
  static final String LEASE_EXPIRIES = "WITH old AS (SELECT name, expiring FROM namespaces "
      + "WHERE (expiring OR expires + make_interval(secs => $4) < now()) AND " + LEASE_FREE
      + " ORDER BY expires LIMIT $3 FOR UPDATE SKIP LOCKED), "
      + "u AS (UPDATE namespaces n SET expiring = n.expiring OR $5, lease_token = $1, "
      + "lease_until = now() + make_interval(secs => $2) FROM old WHERE n.name = old.name "
      + "RETURNING " + columns("n") + ", old.expiring AS was), "
      + "h AS (INSERT INTO history (namespace, event, detail) SELECT name, 'expired', "
      + "jsonb_build_object('expires', " + iso("expires") + ") FROM u WHERE $5 AND NOT was) "
      + "SELECT * FROM u";

  /** Namespaces whose standby user is still to be made (a partial index finds them), leased likewise. */
  static final String LEASE_STANDBYS = TAKE_LEASE
      + "WHERE name IN (SELECT name FROM namespaces WHERE provisioned AND rotations = 0 AND password_2 IS NULL "
      + "AND NOT expiring AND " + LEASE_FREE + " LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS;

  /**
   * Records the standby passwords of the rows still leased with the token and still waiting for one, and releases
   * every row leased with the token (one being removed meanwhile is given straight back to its removal).
   */
  static final String RECORD_STANDBYS = "WITH s AS (SELECT * FROM unnest($1::text[], $2::text[]) AS s(name, password)), "
      + "old AS (SELECT n.name, (n.rotations = 0 AND n.password_2 IS NULL AND NOT n.expiring) AS waiting "
      + "FROM namespaces n JOIN s ON n.name = s.name WHERE n.lease_token = $3 FOR UPDATE OF n) "
      + "UPDATE namespaces n SET password_2 = CASE WHEN old.waiting THEN s.password ELSE n.password_2 END, "
      + "lease_token = NULL, lease_until = NULL FROM old JOIN s ON s.name = old.name WHERE n.name = old.name "
      + "RETURNING n.name, old.waiting";

  static final String LEASE_ONE = TAKE_LEASE + "WHERE name = $3 AND " + LEASE_FREE + " RETURNING " + COLUMNS;

  static final String COMPLETE_ROTATION = "WITH r AS (UPDATE namespaces SET active_user = $3, "
      + "password_1 = CASE WHEN $3 = 1 THEN $4 ELSE password_1 END, "
      + "password_2 = CASE WHEN $3 = 2 THEN $4 ELSE password_2 END, "
      + "next_rotation = now() + make_interval(secs => $5), rotations = rotations + 1, "
      + "lease_token = NULL, lease_until = NULL, updated = now() "
      + "WHERE name = $1 AND lease_token = $2 AND NOT expiring AND active_user <> $3 RETURNING " + COLUMNS + "), "
      + "h AS (" + coalesced("rotated", "r", "true") + ") "
      + "SELECT * FROM r";

  static final String COMPLETE_ROTATIONS = "WITH s AS (SELECT * FROM unnest($1::text[], $3::int2[], $4::text[]) "
      + "AS s(name, active, password)), "
      + "r AS (UPDATE namespaces n SET active_user = s.active, "
      + "password_1 = CASE WHEN s.active = 1 THEN s.password ELSE n.password_1 END, "
      + "password_2 = CASE WHEN s.active = 2 THEN s.password ELSE n.password_2 END, "
      + "next_rotation = now() + make_interval(secs => $5), rotations = n.rotations + 1, "
      + "lease_token = NULL, lease_until = NULL, updated = now() FROM s "
      + "WHERE n.name = s.name AND n.lease_token = $2 AND NOT n.expiring AND n.active_user <> s.active "
      + "RETURNING " + columns("n") + "), "
      + "h AS (" + coalesced("rotated", "r", "true") + ") "
      + "SELECT * FROM r";

  static final String RENEW_LEASES = "UPDATE namespaces SET lease_until = now() + make_interval(secs => $2) "
      + "WHERE lease_token = ANY($1)";

  static final String RELEASE = "UPDATE namespaces SET lease_token = NULL, lease_until = NULL "
      + "WHERE name = $1 AND lease_token = $2";

  /** A revocation: the namespace is marked for removal; the first mark records who revoked it. */
  static final String MARK_EXPIRING = "WITH old AS (SELECT name, expiring FROM namespaces WHERE name = $1 FOR UPDATE), "
      + "u AS (UPDATE namespaces n SET expiring = true, updated = now() FROM old WHERE n.name = old.name "
      + "RETURNING " + columns("n") + ", old.expiring AS was), "
      + "h AS (INSERT INTO history (namespace, event, detail) SELECT name, 'revoked', "
      + "jsonb_build_object('by', $2::text) FROM u WHERE NOT was) "
      + "SELECT * FROM u";

  /** The record of a removed namespace goes, and its history says what was removed. */
  static final String DELETE_EXPIRED = "WITH d AS (DELETE FROM namespaces WHERE name = $1 AND expiring "
      + "AND lease_token = $2 RETURNING name), "
      + "h AS (INSERT INTO history (namespace, event, detail) SELECT name, 'removed', $3::jsonb FROM d) "
      + "SELECT name FROM d";

  /** An owner's settings: each given column changes ($2, $4, $6 say which), and the history records the change. */
  static final String UPDATE_SETTINGS = "WITH u AS (UPDATE namespaces SET "
      + "contacts = CASE WHEN $2 THEN $3::text[] ELSE contacts END, "
      + "alert_threshold = CASE WHEN $4 THEN $5::bigint ELSE alert_threshold END, "
      + "delete_threshold = CASE WHEN $6 THEN $7::bigint ELSE delete_threshold END, updated = now() "
      + "WHERE name = $1 AND provisioned AND NOT expiring RETURNING " + COLUMNS + "), "
      + "h AS (INSERT INTO history (namespace, event, detail) SELECT name, 'updated', $8::jsonb FROM u) "
      + "SELECT * FROM u";

  /** Provisioned namespaces whose name starts with $1 (a LIKE pattern, escaped), by name, after $3. */
  static final String LIST_PREFIX = "SELECT " + COLUMNS + " FROM namespaces WHERE provisioned AND name LIKE $1 "
      + "AND name > $3 ORDER BY name LIMIT $2";

  // --- history ------------------------------------------------------------------------------------------------

  private static final String HISTORY_COLUMNS = "id, namespace, event, first_at, at, count, detail";

  static final String RECORD_EVENT = "INSERT INTO history (namespace, event, detail) VALUES ($1, $2, $3)";

  static final String HISTORY_OF = "SELECT " + HISTORY_COLUMNS + " FROM history WHERE namespace = $1 AND id < $2 "
      + "ORDER BY namespace, id DESC LIMIT $3";

  static final String HISTORY_ALL = "SELECT " + HISTORY_COLUMNS + " FROM history WHERE id < $1 "
      + "ORDER BY id DESC LIMIT $2";

  static final String HISTORY_EVENTS = "SELECT " + HISTORY_COLUMNS + " FROM history WHERE id < $1 "
      + "AND event = ANY($2) ORDER BY id DESC LIMIT $3";

  /** Events older than the retention (a coalesced row once its last count is), a batch at a time. */
  static final String PRUNE_HISTORY = "DELETE FROM history WHERE id IN (SELECT id FROM history "
      + "WHERE first_at < now() - make_interval(secs => $1) AND at < now() - make_interval(secs => $1) LIMIT $2)";

  // --- exemptions ---------------------------------------------------------------------------------------------

  private static final String EXEMPTION_COLUMNS = "queue, namespace, reason, expires, created, created_by";

  static final String EXEMPTIONS = "SELECT " + EXEMPTION_COLUMNS + " FROM queue_exemptions WHERE expires > now() "
      + "ORDER BY queue";

  static final String PUT_EXEMPTION = "WITH e AS (INSERT INTO queue_exemptions (queue, namespace, reason, expires, "
      + "created_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (queue) DO UPDATE SET reason = EXCLUDED.reason, "
      + "expires = EXCLUDED.expires, created = now(), created_by = EXCLUDED.created_by RETURNING " + EXEMPTION_COLUMNS
      + "), h AS (INSERT INTO history (namespace, event, detail) SELECT namespace, 'queue-exempted', "
      + "jsonb_build_object('queue', queue, 'reason', reason, 'expires', " + iso("expires")
      + ", 'by', created_by) FROM e) "
      + "SELECT * FROM e";

  static final String DELETE_EXEMPTION = "WITH e AS (DELETE FROM queue_exemptions WHERE queue = $1 "
      + "RETURNING queue, namespace), h AS (INSERT INTO history (namespace, event, detail) SELECT namespace, "
      + "'queue-exemption-removed', jsonb_build_object('queue', queue, 'by', $2::text) FROM e) SELECT queue FROM e";

  static final String PRUNE_EXEMPTIONS = "DELETE FROM queue_exemptions WHERE expires < now()";

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
