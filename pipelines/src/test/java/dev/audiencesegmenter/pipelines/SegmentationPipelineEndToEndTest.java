package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.pipelines.bench.PairwiseScore;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import dev.audiencesegmenter.progress.ProgressLog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline as the README runs it, on data from the sample's generator: on the Direct runner
 * and on the Flink runner in local mode. Both must write the same outputs, line for line, and identity
 * resolution must match the generator's ground truth exactly.
 */
@Timeout(1200)
class SegmentationPipelineEndToEndTest {
  /** Three of the sample app's six features. */
  static final String KEY_FEATURES = "--keyFeatures=dashboard,export,reorder";
  @TempDir static Path work;
  static Path direct;
  static Path flink;
  static Path rerun;

  /**
   * Customers generated for the comparison: the bundled sample's generator and seed, at a
   * quarter of its size, so that the Direct runner (which deserializes every step for every
   * bundle, and the job has well over a hundred steps) stays within minutes on 2 cores.
   */
  static final int CUSTOMERS = 500;
  static Path data;
  /** What the progress log said at the end of the Direct run. */
  static String directProgress;
  /** Event lines the Direct run read, by Beam's metrics. */
  static long directLinesRead;

  @BeforeAll
  static void runOnBothRunners() throws IOException {
    data = work.resolve("data");
    new SampleDataGenerator(42, LocalDate.parse("2024-06-30")).write(data, CUSTOMERS);
    // The bundled sample's file of bad lines, hand-written, joins the generated events.
    Files.copy(PipelineRuns.SAMPLE.resolve("events/legacy-import.jsonl"),
        data.resolve("events/legacy-import.jsonl"));
    direct = work.resolve("direct");
    flink = work.resolve("flink");
    List<String> directArgs = args(direct);
    directArgs.add(KEY_FEATURES);
    directArgs.add("@../runner-configs/direct.args");
    PipelineResult directResult = PipelineRuns.runToCompletion(directArgs);
    directProgress = ProgressLog.line();
    // one counter per parsing step (JSON Lines, CSV)
    for (MetricResult<Long> counter : directResult.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ReadCustomerEvents.class, "lines_read")).build())
        .getCounters()) {
      directLinesRead += counter.getAttempted();
    }
    List<String> flinkArgs = args(flink);
    flinkArgs.add(KEY_FEATURES);
    flinkArgs.add("@../runner-configs/flink-local.args");
    PipelineRuns.runToCompletion(flinkArgs);
    // A later run against the first one's segments: movement and response (on Flink: fast).
    rerun = work.resolve("rerun");
    List<String> rerunArgs = args(rerun);
    rerunArgs.add("--previousSegments=" + direct.resolve("segments") + "/");
    rerunArgs.add("--previousAsOf=2024-05-31");
    rerunArgs.add("@../runner-configs/flink-local.args");
    PipelineRuns.runToCompletion(rerunArgs);
  }

  /** The README's run command, on the generated data and the bundled segments. */
  private static List<String> args(Path output) {
    return new java.util.ArrayList<>(List.of(
        "--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30",
        "--output=" + output));
  }

  @Test
  void writesTheSameReportOnBothRunnersWithoutNetworkReferences() throws IOException {
    for (String file : List.of("index.html", "summary.md")) {
      String a = Files.readString(direct.resolve("report").resolve(file));
      String b = Files.readString(flink.resolve("report").resolve(file));
      assertEquals(a, b, file + " differs between the Direct and the Flink runner");
    }
    String html = Files.readString(direct.resolve("report/index.html"));
    assertFalse(html.contains("http://") || html.contains("https://"), "network reference");
    assertTrue(html.contains("<svg "), "charts");
    for (JsonNode row : OutputFiles.rows(direct.resolve("summary"))) {
      String segment = row.get("segment").asText();
      assertTrue(html.contains("<h3>" + segment + " ("), "persona card of " + segment);
      assertTrue(row.has("priority_tier") && row.has("top_traits") && row.has("median_clv"),
          "summary row of " + segment + ": " + row);
    }
  }

  @Test
  void aRunAgainstThePreviousSegmentsWritesStabilityAndResponse() throws IOException {
    List<JsonNode> cells = OutputFiles.rows(rerun.resolve("stability"));
    assertFalse(cells.isEmpty(), "transition matrix");
    // Same data, same asOf: every customer stays where they were.
    for (JsonNode cell : cells) {
      assertEquals(cell.get("from_segment").asText(), cell.get("to_segment").asText(),
          cell.toString());
    }
    long members = OutputFiles.rows(direct.resolve("segments")).size();
    long responded = 0;
    for (JsonNode row : OutputFiles.rows(rerun.resolve("response"))) {
      responded += row.get("treatment_size").asLong() + row.get("holdout_size").asLong();
    }
    assertEquals(members, responded, "every previous membership is treatment or holdout");
    for (JsonNode row : OutputFiles.rows(rerun.resolve("summary"))) {
      assertEquals(0.0, row.get("membership_churn").asDouble(), row.toString());
      assertTrue(row.get("stable").asBoolean());
    }
    assertTrue(Files.readString(rerun.resolve("report/index.html"))
        .contains("Response: treatment against holdout"));
  }

  @Test
  void writesEveryOutputFolderWithNonEmptySegments() {
    for (String folder : OutputFolders.ALL) {
      assertTrue(Files.isDirectory(direct.resolve(folder)), folder + " missing");
    }
    assertFalse(OutputFiles.sortedLines(direct.resolve("features")).isEmpty());
    Map<String, Long> sizes = OutputFiles.rows(direct.resolve("summary")).stream()
        .collect(Collectors.toMap(r -> r.get("segment").asText(), r -> r.get("size").asLong()));
    // The classic segments; the sample's family groups (rfm, value tiers, clusters,
    // lookalikes) add more, some of which may be empty.
    Set<String> classic = Set.of("cart_abandoners_24h", "engaged_email_readers",
        "new_customers", "loyal_customers", "lapsed_customers");
    assertTrue(sizes.keySet().containsAll(classic), sizes.keySet().toString());
    classic.forEach(segment -> assertTrue(sizes.get(segment) > 0, segment + " is empty"));
    // The summary agrees with the memberships it summarizes (empty segments have none).
    Map<String, Long> counted = OutputFiles.rows(direct.resolve("segments")).stream()
        .collect(Collectors.groupingBy(r -> r.get("segment").asText(), Collectors.counting()));
    Map<String, Long> nonEmpty = sizes.entrySet().stream().filter(e -> e.getValue() > 0)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertEquals(nonEmpty, counted);
  }

  @Test
  void theProgressLogCountsEveryStageInTheOrderTheRunReachedThem() throws IOException {
    long eventLines = directLinesRead;
    assertTrue(eventLines > CUSTOMERS, "lines_read " + eventLines);
    int customers = OutputFiles.sortedLines(direct.resolve("features")).size();
    long written = 0;
    for (String folder : OutputFolders.ALL) {
      written += OutputFiles.sortedLines(direct.resolve(folder)).size();
    }
    String line = directProgress;
    assertTrue(line.startsWith("progress: "), line);
    // identities are written while customers are still being folded: output lines come where
    // the run first wrote one, the other stages in the order of the flow
    assertTrue(line.contains(String.format(", %,d output lines written", written)), line);
    List<String> expected = List.of(
        String.format("%,d lines read by ReadEvents", eventLines),
        String.format("%,d customers folded", customers),
        String.format("%,d customers scored and segmented", customers));
    int at = -1;
    for (String part : expected) {
      int next = line.indexOf(part);
      assertTrue(next > at, "'" + part + "' after the stages before it in: " + line);
      at = next;
    }
  }

  @Test
  void directAndFlinkRunnersWriteIdenticalOutputs() {
    for (String folder : OutputFolders.ALL) {
      List<String> a = OutputFiles.sortedLines(direct.resolve(folder));
      List<String> b = OutputFiles.sortedLines(flink.resolve(folder));
      assertEquals(a.size(), b.size(), folder + ": row counts differ");
      assertEquals(a, b, folder + ": rows differ between the Direct and the Flink runner");
    }
  }

  @Test
  void identitiesMatchTheGroundTruthWithPairwisePrecisionAndRecallOfOne() throws IOException {
    Map<String, String> truth = new HashMap<>();
    List<String> truthLines = Files.readAllLines(data.resolve("truth/identities.csv"));
    for (String line : truthLines.subList(1, truthLines.size())) {
      String[] f = line.split(",", 3);
      truth.put(f[1] + ":" + f[2], f[0]);
    }
    Map<String, String> predicted = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(direct.resolve("identities"))) {
      predicted.put(row.get("id_type").asText() + ":" + row.get("id_value").asText(),
          row.get("customer_id").asText());
    }
    assertEquals(new TreeSet<>(truth.keySet()), new TreeSet<>(predicted.keySet()),
        "resolved identifiers differ from the ground truth's");
    PairwiseScore score = PairwiseScore.of(truth, predicted);
    assertEquals(1.0, score.precision(), "pairwise precision");
    assertEquals(1.0, score.recall(), "pairwise recall");
    assertTrue(score.truePairs() > truth.size(), "the sample must have linked identifiers");
  }

  @Test
  void featuresCarryProfileTraitsPreferencesAndLifecycleStages() {
    List<JsonNode> rows = OutputFiles.rows(direct.resolve("features"));
    Map<String, Long> stages = rows.stream().collect(Collectors.groupingBy(
        r -> r.get("lifecycle_stage").asText(), Collectors.counting()));
    assertTrue(Set.of("new", "active", "at_risk", "churned", "reactivated")
        .containsAll(stages.keySet()), stages.toString());
    assertTrue(stages.getOrDefault("new", 0L) > 0 && stages.getOrDefault("active", 0L) > 0,
        stages.toString());
    for (String column : List.of("country", "city", "lat", "lon", "consent_email",
        "preferred_channel", "preferred_device", "preferred_os", "top_category",
        "feature_adoption_rate", "email_open_rate_90d", "average_order_value")) {
      assertTrue(rows.stream().anyMatch(r -> !r.get(column).isNull()), column + " always null");
    }
    assertTrue(rows.stream().anyMatch(r -> r.get("engagement_score").asDouble() > 0));
    assertTrue(rows.stream().anyMatch(r -> r.get("traits").has("plan")), "plan in traits");
  }

  @Test
  void rejectedSampleLinesAreInTheDeadLetterFolder() {
    List<JsonNode> rows = OutputFiles.rows(direct.resolve("dead-letter"));
    assertEquals(5, rows.size(), "the sample's legacy-import.jsonl has 5 bad lines");
  }
}
