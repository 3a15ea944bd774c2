package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.files.HostileCorpus;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadProfileAttributes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the whole hostile-input corpus ({@link HostileCorpus}) added to a small good
 * input, through the batch job on the Direct runner. The job finishes, the readers' counters
 * add up, and the good customers' identities and features are those of a run without the
 * corpus.
 */
@Timeout(600)
class HostileInputPipelineTest {
  static final String T = "\"time\":\"2024-06-0%dT10:00:00Z\"";

  /** Twelve good customers, three events each; a profile for four of them. */
  static void writeGood(Path events, Path profiles) throws IOException {
    Files.createDirectories(events);
    Files.createDirectories(profiles);
    List<String> lines = new ArrayList<>();
    for (int c = 0; c < 12; c++) {
      for (int e = 0; e < 3; e++) {
        lines.add("{\"source\":\"shop\",\"id\":\"g" + c + "-" + e + "\",\"type\":\""
            + (e == 1 ? "site_visit" : "purchase") + "\"," + String.format(T, 1 + e + c % 5)
            + ",\"ids\":{\"email\":\"c" + c + "@example.com\"}"
            + (e == 1 ? "" : ",\"revenue\":" + (10 + c * 3 + e)) + "}");
      }
    }
    Files.writeString(events.resolve("good.jsonl"), String.join("\n", lines) + "\n");
    Files.writeString(profiles.resolve("good.jsonl"), "{\"source\":\"crm\",\"id\":\"p1\","
        + "\"time\":\"2024-01-01T00:00:00Z\",\"ids\":{\"email\":\"c1@example.com\"},"
        + "\"attrs\":{\"city\":\"Oslo\"}}\n");
    Files.writeString(profiles.resolve("good.csv"), "source,id,time,ids.email,attrs.city\n"
        + "crm,p2,2024-01-01T00:00:00Z,c2@example.com,Lima\n"
        + "crm,p3,2024-01-01T00:00:00Z,c3@example.com,Pune\n"
        + "crm,p4,2024-01-01T00:00:00Z,c4@example.com,Oslo\n");
  }

  private static PipelineResult run(Path in, Path out) {
    return PipelineRuns.runToCompletion(new ArrayList<>(List.of(
        "--input=" + in.resolve("events") + "/*",
        "--profiles=" + in.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.sampleSegmentsWithoutValueTiers(), "--asOf=2024-06-30",
        "--output=" + out, "@../runner-configs/direct.args",
        // Twelve customers cannot support a lifetime value fit (see BgNbdModelTest).
        "--valueModels=false")));
  }

  @Test
  void theJobFinishesAndTheGoodCustomersOutputsAreUnchanged(@TempDir Path dir)
      throws IOException {
    Path clean = dir.resolve("clean");
    writeGood(clean.resolve("events"), clean.resolve("profiles"));
    Path hostile = dir.resolve("hostile");
    writeGood(hostile.resolve("events"), hostile.resolve("profiles"));
    List<HostileCorpus.Kind> events = HostileCorpus.events();
    List<HostileCorpus.Kind> profiles = HostileCorpus.profiles();
    HostileCorpus.write(events, hostile.resolve("events"));
    HostileCorpus.write(profiles, hostile.resolve("profiles"));

    run(clean, dir.resolve("out-clean"));
    PipelineResult result = run(hostile, dir.resolve("out-hostile"));

    // Every line read leaves the readers as a record or a dead letter.
    long eventLines = 36 + events.stream().mapToLong(k -> k.outcomes().size()).sum();
    long profileLines = 4 + profiles.stream().mapToLong(k -> k.outcomes().size()).sum();
    assertEquals(eventLines, counter(result, ReadCustomerEvents.class, "lines_read"));
    assertEquals(profileLines, counter(result, ReadProfileAttributes.class, "lines_read"));
    for (Class<?> reader : List.of(ReadCustomerEvents.class, ReadProfileAttributes.class)) {
      assertEquals(counter(result, reader, "lines_read"),
          counter(result, reader, "records_parsed") + counter(result, reader, "dead_lettered"),
          reader.getSimpleName());
    }

    // The good customers: the same identities, and the same features but their ranks.
    List<JsonNode> cleanIdentities = OutputFiles.rows(dir.resolve("out-clean/identities"));
    Set<String> good = cleanIdentities.stream().map(r -> r.get("customer_id").asText())
        .collect(Collectors.toSet());
    assertEquals(12, good.size());
    assertEquals(sorted(cleanIdentities, good), sorted(
        OutputFiles.rows(dir.resolve("out-hostile/identities")), good));
    Map<String, String> before = ownColumns(dir.resolve("out-clean/features"), good);
    Map<String, String> after = ownColumns(dir.resolve("out-hostile/features"), good);
    assertEquals(12, before.size());
    assertEquals(before.keySet(), after.keySet());
    Set<String> differing = new java.util.TreeSet<>();
    for (String id : before.keySet()) {
      JsonNode a = new com.fasterxml.jackson.databind.ObjectMapper().readTree(before.get(id));
      JsonNode b = new com.fasterxml.jackson.databind.ObjectMapper().readTree(after.get(id));
      a.fieldNames().forEachRemaining(f -> {
        if (!a.get(f).equals(b.get(f))) {
          differing.add(f + ": " + a.get(f) + " -> " + b.get(f));
        }
      });
    }
    assertEquals(Set.of(), differing);

    // Markup from the data is not markup in the report.
    Path summary = dir.resolve("out-hostile/report/summary.md");
    assertTrue(Files.exists(summary), "the run writes its report");
    assertFalse(Files.readString(summary).contains("<script"), "raw <script> in summary.md");
    assertTrue(OutputFiles.rows(dir.resolve("out-hostile/dead-letter")).size()
        >= events.stream().flatMap(k -> k.outcomes().stream())
            .filter(o -> !o.equals(HostileCorpus.PARSED)).count());
  }

  private static List<String> sorted(List<JsonNode> rows, Set<String> customers) {
    return rows.stream().filter(r -> customers.contains(r.get("customer_id").asText()))
        .map(JsonNode::toString).sorted().collect(Collectors.toList());
  }

  /**
   * Columns that rank a customer among all customers (RFM quintiles, the segment named from
   * them, the engagement tier): the corpus's valid records add customers, which move them.
   */
  static final Set<String> POPULATION_COLUMNS = Set.of("r_score", "f_score", "m_score",
      "rfm_segment", "engagement_tier");

  /** Per good customer, its feature row without the population columns. */
  private static Map<String, String> ownColumns(Path features, Set<String> customers) {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode row : OutputFiles.rows(features)) {
      String id = row.get("customer_id").asText();
      if (customers.contains(id)) {
        ((ObjectNode) row).remove(POPULATION_COLUMNS);
        out.put(id, row.toString());
      }
    }
    return out;
  }

  static long counter(PipelineResult result, Class<?> namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(namespace.getName(), name)).build())
        .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
