package io.pulse.store.impl;

/** Every statement the store runs, in one place. */
final class Sql {

  private Sql() {
  }

  static final String COLUMNS =
      "name, created, expires, contact, active_user, password_1, password_2, next_rotation, provisioned";

  /**
   * Insert-or-update in one statement: concurrent first claims serialise on the row, the first insert wins and the
   * others update it, so all of them read back the same passwords.
   */
  static final String CLAIM =
      "INSERT INTO namespaces (name, expires, contact, password_1, next_rotation) "
          + "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
          + "ON CONFLICT (name) DO UPDATE SET expires = EXCLUDED.expires, "
          + "contact = COALESCE(EXCLUDED.contact, namespaces.contact), updated = now() "
          + "RETURNING " + COLUMNS;

  static final String MARK_PROVISIONED =
      "UPDATE namespaces SET provisioned = true, updated = now() WHERE name = $1 RETURNING " + COLUMNS;

  static final String FIND = "SELECT " + COLUMNS + " FROM namespaces WHERE name = $1 AND provisioned";

  static final String LIST_FIRST =
      "SELECT " + COLUMNS + " FROM namespaces WHERE provisioned ORDER BY name LIMIT $1";

  static final String LIST_AFTER =
      "SELECT " + COLUMNS + " FROM namespaces WHERE provisioned AND name > $2 "
          + "ORDER BY name LIMIT $1";

  static final String PING = "SELECT 1 FROM namespaces LIMIT 1";

  static final String MIGRATIONS_TABLE =
      "CREATE TABLE IF NOT EXISTS pulse_schema_migrations ("
          + "version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())";

  /** Serialises migrations between replicas starting at once (an arbitrary, fixed key). */
  static final String MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7421010)";

  static final String APPLIED_VERSIONS = "SELECT version FROM pulse_schema_migrations";

  static final String RECORD_MIGRATION = "INSERT INTO pulse_schema_migrations (version, name) VALUES ($1, $2)";
}
