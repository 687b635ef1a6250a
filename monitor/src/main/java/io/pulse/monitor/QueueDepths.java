package io.pulse.monitor;

import java.util.Arrays;

/**
 * The managed queues of one reading and their message counts, in two growing arrays: at 100,000 queues this is the
 * names and 800 KB of counts, where a JSON array of objects would be several times that.
 */
final class QueueDepths {

  private String[] names = new String[256];
  private long[] messages = new long[256];
  private int size;
  /** A reading that met a queue name it could not read unambiguously: another source must be asked. */
  private boolean ambiguous;
  /** Counts from a source other than the management API: confirmed there before any state change. */
  private boolean confirm;

  void add(String name, long count) {
    if (size == names.length) {
      names = Arrays.copyOf(names, size * 2);
      messages = Arrays.copyOf(messages, size * 2);
    }
    names[size] = name;
    messages[size] = count;
    size++;
  }

  int size() {
    return size;
  }

  String name(int i) {
    return names[i];
  }

  long messages(int i) {
    return messages[i];
  }

  void markAmbiguous() {
    ambiguous = true;
  }

  boolean ambiguous() {
    return ambiguous;
  }

  QueueDepths confirmBeforeActing(boolean confirm) {
    this.confirm = confirm;
    return this;
  }

  boolean confirmBeforeActing() {
    return confirm;
  }
}
