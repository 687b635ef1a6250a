package io.pulse.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class MigrationsTest {

  /** A migration file left out of the list would never run: every file is listed, in version order. */
  @Test
  void everyMigrationFileIsListedInOrder() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
      List<String> onDisk = files.map(f -> f.getFileName().toString())
          .sorted((a, b) -> Integer.compare(Migrations.version(a), Migrations.version(b)))
          .collect(Collectors.toList());
      assertEquals(onDisk, Migrations.FILES);
    }
  }
}
