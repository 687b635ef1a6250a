package io.pulse.core;

import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Work over many namespaces, a bounded number at a time. */
final class Lanes {

  /** Namespaces worked on at once; above the rabbit client's 16 connections, so database round trips overlap its calls. */
  static final int IN_FLIGHT = 32;

  private Lanes() {
  }

  /** Runs {@code step} over the items, at most {@link #IN_FLIGHT} at a time; answers how many answered true. */
  static <T> Future<Integer> count(List<T> items, Function<T, Future<Boolean>> step) {
    Iterator<T> next = items.iterator();
    List<Future<Integer>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(IN_FLIGHT, items.size()); i++) {
      lanes.add(lane(next, step, 0));
    }
    return Future.all(lanes).map(all -> {
      int total = 0;
      for (int i = 0; i < lanes.size(); i++) {
        total += all.<Integer>resultAt(i);
      }
      return total;
    });
  }

  /** Runs {@code step} over the items, at most {@code atOnce} at a time; answers the results in the items' order. */
  static <T, R> Future<List<R>> map(List<T> items, int atOnce, Function<T, Future<R>> step) {
    List<R> results = new ArrayList<>(Collections.nCopies(items.size(), null));
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(atOnce, items.size()); i++) {
      lanes.add(mapLane(items, next, step, results));
    }
    return Future.all(lanes).map(all -> results);
  }

  private static <T, R> Future<Void> mapLane(List<T> items, AtomicInteger next,
      Function<T, Future<R>> step, List<R> results) {
    int i = next.getAndIncrement();
    if (i >= items.size()) {
      return Future.succeededFuture();
    }
    return step.apply(items.get(i)).compose(result -> {
      results.set(i, result);
      return mapLane(items, next, step, results);
    });
  }

  private static <T> Future<Integer> lane(Iterator<T> next, Function<T, Future<Boolean>> step, int done) {
    if (!next.hasNext()) {
      return Future.succeededFuture(done);
    }
    return step.apply(next.next()).compose(ok -> lane(next, step, done + (ok ? 1 : 0)));
  }
}
