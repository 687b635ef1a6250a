package io.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** The configuration table operators read (docs/configuration.md) lists every setting with its real default. */
class ConfigurationDocTest {

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void theDocumentedTableMatchesTheDefaultsKeyForKey() throws IOException {
    Map<String, String> documented = new TreeMap<>();
    for (String line : Files.readAllLines(DOC)) {
      if (!line.startsWith("| `PULSE_")) {
        continue;
      }
      String[] cells = cells(line);
      String[] keys = cells[0].split(" / ");
      String[] defaults = cells[1].split(" / ");
      for (int i = 0; i < keys.length; i++) {
        documented.put(unquote(keys[i]), value(defaults[Math.min(i, defaults.length - 1)]));
      }
    }
    Map<String, String> actual = new TreeMap<>();
    Settings.all().forEach(s -> actual.put(s.key(), s.defaultValue() == null ? "unset" : s.defaultValue()));
    assertEquals(actual, documented, "docs/configuration.md and Settings disagree");
  }

  /** The cells of a Markdown table row; {@code \|} inside a cell is a literal bar. */
  private static String[] cells(String line) {
    String body = line.substring(1, line.lastIndexOf('|'));
    String[] raw = body.replace("\\|", "\u0000").split("\\|");
    for (int i = 0; i < raw.length; i++) {
      raw[i] = raw[i].replace('\u0000', '|').trim();
    }
    return raw;
  }

  private static String value(String cell) {
    if (cell.equals("unset")) {
      return "unset";
    }
    if (cell.equals("empty")) {
      return "";
    }
    return unquote(cell);
  }

  private static String unquote(String text) {
    String t = text.trim();
    return t.startsWith("`") && t.endsWith("`") ? t.substring(1, t.length() - 1) : t;
  }
}
