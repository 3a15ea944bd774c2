package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad lines of every kind, mixed with good ones, through the whole pipeline: each bad line is
 * in {@code dead-letter/} with its reason, each good one reaches the features, and
 * {@code records in = processed + dead-lettered}.
 */
@Timeout(900)
class BadInputPipelineTest {
  static final String T = "\"time\":\"2024-06-01T10:00:00Z\"";

  static String good(int i) {
    return "{\"source\":\"shop\",\"id\":\"g" + i + "\",\"type\":\"purchase\"," + T
        + ",\"ids\":{\"email\":\"c" + (i % 3) + "@example.com\"},\"revenue\":" + (10 + i) + "}";
  }

  /** Expected reason (prefix) -> bad line. Eleven kinds, twelve lines. */
  static final String[][] BAD = {
      {"invalid JSON", "{\"source\":\"shop\",\"id\":\"b1\",\"type\""},
      {"missing required field 'type'", "{\"source\":\"shop\",\"id\":\"b2\"," + T
          + ",\"ids\":{\"email\":\"x@y.z\"}}"},
      {"unparseable time '2024-13-45'", "{\"source\":\"shop\",\"id\":\"b3\",\"type\":\"purchase\","
          + "\"time\":\"2024-13-45\",\"ids\":{\"email\":\"x@y.z\"}}"},
      {"no identifier", "{\"source\":\"shop\",\"id\":\"b4\",\"type\":\"purchase\"," + T
          + ",\"ids\":{\"email\":\"  \"}}"},
      {"wrong type: 'revenue' must be a number", "{\"source\":\"shop\",\"id\":\"b5\","
          + "\"type\":\"purchase\"," + T + ",\"ids\":{\"email\":\"x@y.z\"},\"revenue\":true}"},
      {"empty line", ""},
      {"line longer than 1024 bytes", "{\"source\":\"shop\",\"id\":\"b7\",\"type\":\"purchase\","
          + T + ",\"ids\":{\"email\":\"x@y.z\"},\"props\":{\"p\":\"" + "z".repeat(1100) + "\"}}"},
      {"duplicate (source, id)", "{\"source\":\"shop\",\"id\":\"g1\",\"type\":\"purchase\","
          + T + ",\"ids\":{\"email\":\"zz@example.com\"},\"revenue\":99}"},
      {"absurd value: negative revenue", "{\"source\":\"shop\",\"id\":\"b9\","
          + "\"type\":\"purchase\"," + T + ",\"ids\":{\"email\":\"x@y.z\"},\"revenue\":-4}"},
      {"absurd value: time 2150-01-01T00:00:00Z", "{\"source\":\"shop\",\"id\":\"b10\","
          + "\"type\":\"purchase\",\"time\":\"2150-01-01T00:00:00Z\",\"ids\":{\"email\":\"x@y.z\"}}"},
      {"no valid identifier after normalization (invalid: phone)", "{\"source\":\"shop\","
          + "\"id\":\"b11\",\"type\":\"purchase\"," + T + ",\"ids\":{\"phone\":\"12\"}}"},
  };

  @Test
  void everyBadLineIsDeadLetteredAndEveryGoodLineProcessed(@TempDir Path dir) throws IOException {
    Path events = Files.createDirectories(dir.resolve("events"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      lines.add(good(i));
    }
    for (String[] bad : BAD) {
      lines.add(bad[1]);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    // A twelfth bad line: bytes that are not UTF-8.
    bytes.writeBytes(("{\"source\":\"shop\",\"id\":\"b12\",\"type\":\"purchase\"," + T
        + ",\"ids\":{\"email\":\"").getBytes(StandardCharsets.UTF_8));
    bytes.write(0xFF);
    bytes.writeBytes("@y.z\"}}\n".getBytes(StandardCharsets.UTF_8));
    Files.write(events.resolve("mixed.jsonl"), bytes.toByteArray());
    int linesIn = lines.size() + 1;

    Path out = dir.resolve("out");
    List<String> args = new ArrayList<>(List.of("--input=" + events + "/*",
        "--segments=" + PipelineRuns.sampleSegmentsWithoutValueTiers(), "--asOf=2024-06-30",
        "--output=" + out, "--maxLineBytes=1024", "@../runner-configs/direct.args",
        // Three customers cannot support a lifetime value fit (see BgNbdModelTest).
        "--valueModels=false"));
    PipelineResult result = PipelineRuns.runToCompletion(args);

    Map<String, String> expected = new TreeMap<>();
    for (String[] bad : BAD) {
      expected.put(bad[0], bad[1]);
    }
    Map<String, String> actual = new TreeMap<>();
    String nonUtf8 = null;
    for (JsonNode row : OutputFiles.rows(out.resolve("dead-letter"))) {
      String reason = row.get("reason").asText();
      if (reason.startsWith("not valid UTF-8")) {
        nonUtf8 = row.get("record").asText();
        continue;
      }
      String key = expected.keySet().stream().filter(reason::startsWith).findFirst()
          .orElse(reason);
      actual.put(key, key.startsWith("no valid identifier")
          ? expected.get(key) : row.get("record").asText());
    }
    assertEquals(expected.keySet(), actual.keySet());
    for (String reason : expected.keySet()) {
      if (reason.startsWith("line longer")) {
        // Oversized lines are kept in part (here the first 1,024 characters) with their length.
        String kept = expected.get(reason).substring(0, 1024) + "... ["
            + expected.get(reason).length() + " characters]";
        assertEquals(kept, actual.get(reason), reason);
      } else if (!reason.startsWith("no valid identifier")) {
        assertEquals(expected.get(reason), actual.get(reason), reason);
      }
    }
    assertEquals(true, nonUtf8 != null && nonUtf8.contains("\"id\":\"b12\""));

    // The 9 good purchases reach the features of their 3 customers.
    long deadLetters = OutputFiles.sortedLines(out.resolve("dead-letter")).size();
    long counted = counter(result, "events_counted") + counter(result, "events_after_as_of");
    assertEquals(12, deadLetters);
    assertEquals(9, counted);
    assertEquals(linesIn, counted + deadLetters);
    List<JsonNode> features = OutputFiles.rows(out.resolve("features"));
    assertEquals(3, features.size());
    assertEquals(9, features.stream().mapToLong(f -> f.get("frequency").asLong()).sum());
  }

  @Test
  void aRecordInTwoInputsCountsOnce(@TempDir Path dir) throws IOException {
    // (source, id) is unique across every --input, as within one: overlapping exports
    Path first = Files.createDirectories(dir.resolve("monday"));
    Path second = Files.createDirectories(dir.resolve("tuesday"));
    List<String> monday = new ArrayList<>();
    List<String> tuesday = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      (i < 6 ? monday : tuesday).add(good(i));
    }
    tuesday.add(good(4));
    tuesday.add(good(5));
    Files.writeString(first.resolve("events.jsonl"), String.join("\n", monday) + "\n");
    Files.writeString(second.resolve("events.jsonl"), String.join("\n", tuesday) + "\n");
    Path out = dir.resolve("out");
    PipelineResult result = PipelineRuns.runToCompletion(new ArrayList<>(List.of(
        "--input=" + first + "/*", "--input=" + second + "/*",
        "--segments=" + PipelineRuns.sampleSegmentsWithoutValueTiers(), "--asOf=2024-06-30",
        "--output=" + out, "@../runner-configs/direct.args", "--valueModels=false")));
    List<JsonNode> features = OutputFiles.rows(out.resolve("features"));
    assertEquals(9, features.stream().mapToLong(f -> f.get("frequency").asLong()).sum());
    assertEquals(9, counter(result, "events_counted") + counter(result, "events_after_as_of"));
    List<JsonNode> dead = OutputFiles.rows(out.resolve("dead-letter"));
    assertEquals(2, dead.size());
    for (JsonNode row : dead) {
      assertEquals(true, row.get("reason").asText().startsWith("duplicate (source, id)"),
          row.toString());
    }
  }

  static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(
            dev.audiencesegmenter.features.ComputeCustomerFeatures.class, name))
        .build()).getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
