package io.pulse.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, before the store serves anything: every stored password must open with the configured keys (else the start
 * fails, naming the key id it lacks — a wrong key is never a reason to reset passwords), and every one not sealed with
 * the current key (clear text from before encryption, or an old key's) is sealed again with it. Each row is updated
 * only if it still holds what was read, so a rotation running meanwhile on another replica wins.
 */
final class Resealing {

  private static final Logger log = LoggerFactory.getLogger(Resealing.class);
  private static final int PAGE = 500;

  private Resealing() {
  }

  static Future<Integer> run(Pool pool, SecretBox box) {
    return page(pool, box, "", 0);
  }

  private static Future<Integer> page(Pool pool, SecretBox box, String after, int resealed) {
    return pool.preparedQuery(Sql.PASSWORDS_AFTER).execute(Tuple.of(after, PAGE)).compose(rows -> {
      Future<Integer> done = Future.succeededFuture(0);
      String last = after;
      for (Row row : rows) {
        String name = row.getString("name");
        String first = row.getString("password_1");
        String second = row.getString("password_2");
        last = name;
        for (String stored : new String[] {first, second}) {
          if (!box.opens(stored)) {
            return Future.failedFuture(new SecretBox.UnknownKeyException(stored.split(":")[1]));
          }
        }
        if (box.current(first) && box.current(second)) {
          continue;
        }
        Tuple update = Tuple.of(name, box.seal(name, 1, box.open(name, 1, first)),
            box.seal(name, 2, box.open(name, 2, second)), first, second);
        done = done.compose(n -> pool.preparedQuery(Sql.RESEAL).execute(update).map(r -> n + r.rowCount()));
      }
      String next = last;
      boolean more = rows.size() == PAGE;
      return done.compose(n -> more ? page(pool, box, next, resealed + n) : Future.succeededFuture(resealed + n));
    }).onSuccess(n -> {
      if (after.isEmpty() && n > 0) {
        log.info("Sealed {} namespace record(s) with the current secret key ({})", n,
            box.currentKeyId() == null ? "in clear: PULSE_ALLOW_PLAINTEXT_SECRETS" : "key " + box.currentKeyId());
      }
    });
  }
}
