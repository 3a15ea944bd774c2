package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.pipelines.bench.PairwiseScore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity resolution at 20,000 customers of the generator's noisy data (formatting variants,
 * the shop's hotline and order-desk address on hundreds of customers' orders, placeholder
 * emails and user ids), on the Flink runner: pairwise precision and recall against the truth,
 * and the junk found.
 */
@Timeout(900)
class IdentityQualityTest {
  @TempDir Path work;

  @Test
  void noisyDataAtTwentyThousandCustomers() throws IOException {
    Path data = work.resolve("data");
    new SampleDataGenerator(7, LocalDate.parse("2024-06-30")).write(data, 20_000);
    Path out = work.resolve("out");
    PipelineResult result = PipelineRuns.runToCompletion(List.of(
        "--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30",
        "--output=" + out,
        "@../runner-configs/flink-local.args"));

    Map<String, String> truth = truth(data);
    Map<String, String> predicted = identities(out);
    PairwiseScore score = PairwiseScore.of(truth, predicted);
    System.out.printf("20,000 customers: %,d identifiers, precision %.6f, recall %.6f%n",
        truth.size(), score.precision(), score.recall());
    assertTrue(score.precision() >= 0.999, "pairwise precision " + score.precision());
    assertTrue(score.recall() >= 0.995, "pairwise recall " + score.recall());
    assertEquals(truth.keySet(), predicted.keySet(), "every true identifier is resolved, and "
        + "no junk identifier is");

    Map<String, JsonNode> junk = OutputFiles.rows(out.resolve("junk-identifiers")).stream()
        .collect(Collectors.toMap(r -> r.get("id_type").asText() + ":"
            + r.get("id_value").asText(), r -> r));
    assertEquals(Set.of("phone:+14152000000", "email:none@none.com",
        "email:orders@shopper.example.net", "user_id:undefined"), junk.keySet());
    assertEquals("fan_out", junk.get("phone:+14152000000").get("reason").asText());
    assertEquals("placeholder", junk.get("email:none@none.com").get("reason").asText());
    assertEquals("fan_out", junk.get("email:orders@shopper.example.net").get("reason").asText());
    assertTrue(junk.get("phone:+14152000000").get("fan_out").asLong() > 500,
        "the hotline is on hundreds of customers' orders");

    RunSummary summary = RunSummary.of(result);
    assertEquals(20_000L, summary.identity().get("customers"));
    assertEquals(4L, summary.identity().get("identifiers_junk"));
    assertEquals(0L, summary.identity().get("customers_over_limit"));
    // The default resolves the graph on one worker: no distributed rounds to report.
    assertEquals(0L, summary.identity().get("graph_rounds_used"));
    assertFalse(Files.exists(out.resolve("run-summary.json")), "written by main only");
  }

  static Map<String, String> truth(Path data) throws IOException {
    Map<String, String> truth = new HashMap<>();
    List<String> lines = Files.readAllLines(data.resolve("truth/identities.csv"));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", 3);
      truth.put(f[1] + ":" + f[2], f[0]);
    }
    return truth;
  }

  static Map<String, String> identities(Path out) {
    Map<String, String> predicted = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      predicted.put(row.get("id_type").asText() + ":" + row.get("id_value").asText(),
          row.get("customer_id").asText());
    }
    return predicted;
  }
}
