package io.pulse.api.auth;

import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Property checks on JUnit Jupiter: a property is tried on many inputs drawn from one seeded {@link Random}. A
 * failure names the seed, so {@code -Dpulse.seed=<seed>} replays the same inputs, and shows the input, shrunk to a
 * smaller one that still fails when the input is a string.
 */
final class ForAll {

  static final int TRIES = 1000;
  /** Property evaluations a shrink may spend; a 40 KiB string halves in a few dozen. */
  private static final int SHRINK_BUDGET = 2000;
  private static final int SHOWN_CHARS = 300;

  private ForAll() {
  }

  static <T> void check(int tries, Function<Random, T> generator, Consumer<T> property) {
    check(tries, generator, input -> Stream.empty(), property);
  }

  static void checkStrings(int tries, Function<Random, String> generator, Consumer<String> property) {
    check(tries, generator, ForAll::shorter, property);
  }

  private static <T> void check(int tries, Function<Random, T> generator, Function<T, Stream<T>> shrinker,
      Consumer<T> property) {
    long seed = Long.getLong("pulse.seed", ThreadLocalRandom.current().nextLong());
    Random random = new Random(seed);
    for (int i = 1; i <= tries; i++) {
      T input = generator.apply(random);
      Throwable failure = failure(property, input);
      if (failure == null) {
        continue;
      }
      T smallest = input;
      int budget = SHRINK_BUDGET;
      boolean shrunk = true;
      while (shrunk && budget > 0) {
        shrunk = false;
        Iterator<T> candidates = shrinker.apply(smallest).iterator();
        while (candidates.hasNext() && budget-- > 0) {
          T candidate = candidates.next();
          Throwable candidateFailure = failure(property, candidate);
          if (candidateFailure != null) {
            smallest = candidate;
            failure = candidateFailure;
            shrunk = true;
            break;
          }
        }
      }
      throw new AssertionError("Property failed on try " + i + " of " + tries + " (seed " + seed
          + ", replay with -Dpulse.seed=" + seed + ")\n  input: " + show(input)
          + (smallest == input ? "" : "\n  shrunk to: " + show(smallest)), failure);
    }
  }

  private static <T> Throwable failure(Consumer<T> property, T input) {
    try {
      property.accept(input);
      return null;
    } catch (Throwable e) {
      return e;
    }
  }

  /** Strings with one slice cut out, biggest slices first. */
  private static Stream<String> shorter(String text) {
    return IntStream.iterate(Math.max(1, text.length() / 2), size -> size > 0, size -> size / 2)
        .boxed()
        .flatMap(size -> IntStream.iterate(0, from -> from + size <= text.length(), from -> from + size)
            .mapToObj(from -> text.substring(0, from) + text.substring(from + size)));
  }

  /** An input as a failure message shows it: Java escapes for what is not printable ASCII, long ones cut short. */
  static String show(Object input) {
    String text = String.valueOf(input);
    StringBuilder shown = new StringBuilder("\"");
    for (int i = 0; i < Math.min(text.length(), SHOWN_CHARS); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        shown.append("\\n");
      } else if (c == '\t') {
        shown.append("\\t");
      } else if (c == '"' || c == '\\') {
        shown.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        shown.append(String.format("\\u%04x", (int) c));
      } else {
        shown.append(c);
      }
    }
    shown.append('"');
    if (text.length() > SHOWN_CHARS) {
      shown.append("... (").append(text.length()).append(" characters)");
    }
    return shown.toString();
  }
}
