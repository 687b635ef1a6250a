package io.pulse.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations ({@code db/migration/V<n>__<name>.sql}), applied in order, each once, in one
 * transaction under an advisory lock so that replicas starting together do not race.
 */
final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  /** In order. A new migration is a new file here and in the list; applied ones never change. */
  static final List<String> FILES = List.of("V1__namespaces.sql", "V2__lifecycle.sql", "V3__queue_states.sql",
      "V4__hot_reclaims.sql", "V5__ownership.sql", "V6__self_service.sql", "V7__standby_pending.sql");

  private Migrations() {
  }

  static Future<Void> apply(Vertx vertx, Pool pool) {
    return vertx.executeBlocking(Migrations::readAll)
        .compose(scripts -> pool.withTransaction(conn -> conn.query(Sql.MIGRATION_LOCK).execute()
            .compose(v -> conn.query(Sql.MIGRATIONS_TABLE_EXISTS).execute())
            .compose(exists -> exists.iterator().next().getBoolean(0) ? Future.succeededFuture()
                : conn.query(Sql.MIGRATIONS_TABLE).execute().mapEmpty())
            .compose(v -> conn.query(Sql.APPLIED_VERSIONS).execute())
            .compose(rows -> {
              Set<Integer> applied = new HashSet<>();
              rows.forEach(row -> applied.add(row.getInteger(0)));
              Future<Void> chain = Future.succeededFuture();
              for (int i = 0; i < FILES.size(); i++) {
                int version = version(FILES.get(i));
                if (!applied.contains(version)) {
                  String file = FILES.get(i);
                  String script = scripts.get(i);
                  chain = chain.compose(v -> run(conn, version, file, script));
                }
              }
              return chain;
            })));
  }

  private static Future<Void> run(SqlConnection conn, int version, String file, String script) {
    log.info("Applying migration {}", file);
    return conn.query(script).execute()
        .compose(v -> conn.preparedQuery(Sql.RECORD_MIGRATION).execute(Tuple.of(version, file)))
        .mapEmpty();
  }

  static int version(String file) {
    return Integer.parseInt(file.substring(1, file.indexOf("__")));
  }

  private static List<String> readAll() throws IOException {
    String[] scripts = new String[FILES.size()];
    for (int i = 0; i < scripts.length; i++) {
      String path = "db/migration/" + FILES.get(i);
      try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(path)) {
        if (in == null) {
          throw new IOException("missing migration " + path);
        }
        scripts[i] = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return List.of(scripts);
  }
}
