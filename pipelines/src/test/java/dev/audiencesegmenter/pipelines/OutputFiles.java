package dev.audiencesegmenter.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads an output folder of the pipeline the way a user's script would: every part file. */
final class OutputFiles {
  /** Decimals as written: 235.70 stays 235.70. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  private OutputFiles() {}

  /** All lines of all part files of {@code folder}, sorted. */
  static List<String> sortedLines(Path folder) {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("part-"))
          .toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isEmpty()) {
            lines.add(line);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    lines.sort(null);
    return lines;
  }

  static List<JsonNode> rows(Path folder) {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : sortedLines(folder)) {
      try {
        rows.add(JSON.readTree(line));
      } catch (IOException e) {
        throw new UncheckedIOException("Not JSON in " + folder + ": " + line, e);
      }
    }
    return rows;
  }
}
