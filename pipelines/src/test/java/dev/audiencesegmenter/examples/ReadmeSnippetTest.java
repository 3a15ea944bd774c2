package dev.audiencesegmenter.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.batch.SegmentCustomers;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadProfileAttributes;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.io.files.WriteJsonLines;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java snippet ("Using the transforms in your own pipeline") is this class's
 * {@link #snippet}, character for character, and it computes what the job computes: run on the
 * bundled sample, its features and memberships are the job's golden outputs for the README's
 * command (src/test/resources/golden/sample, written by the job itself). It runs on the Flink
 * runner in local mode, in half the time of the Direct runner on this data; the job's golden
 * tests run the same flow on both.
 */
class ReadmeSnippetTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Path THIS_FILE = Path.of("src", "test", "java", "dev", "audiencesegmenter",
      "examples", "ReadmeSnippetTest.java");
  private static final Path SAMPLE = Path.of("..", "sample");
  private static final Path GOLDEN = Path.of("src", "test", "resources", "golden", "sample");

  @TempDir Path work;

  static void snippet(Pipeline pipeline, String eventFiles, String profileFiles,
      String segmentsYaml, String output) {
    // README snippet begins
    Instant asOf = Instant.parse("2024-07-01T00:00:00Z"); // the end of 2024-06-30 (--asOf)
    SegmentDefinitions definitions = SegmentDefinitions.parse(segmentsYaml, "segments.yaml");
    ReadResult<CustomerEvent> events =
        pipeline.apply("ReadEvents", ReadCustomerEvents.from(eventFiles));
    ReadResult<ProfileAttributes> profiles =
        pipeline.apply("ReadProfiles", ReadProfileAttributes.from(profileFiles));
    // identities, features, value models, lifecycle, scores, clusters, lookalikes, memberships
    // and the summary: every column the segment file reads is filled
    SegmentCustomers.Result result =
        ResolveIdentities.inputs(events.getRecords(), profiles.getRecords())
            .apply(SegmentCustomers.of(definitions,
                ComputeCustomerFeatures.create().withAsOf(asOf)));
    result.getFeatures().apply("WriteFeatures", WriteJsonLines.to(output + "/features"));
    result.getMemberships().apply("WriteSegments", WriteJsonLines.to(output + "/segments"));
    result.getSummary().getSummaries()
        .apply("WriteSummary", WriteJsonLines.to(output + "/summary"));
    // README snippet ends
  }

  @Test
  void theReadmeShowsTheSnippetAsItIsHere() throws IOException {
    assertEquals(snippetHere(), javaBlocksOfTheReadme(),
        "the README's Java snippet and ReadmeSnippetTest.snippet must be the same code");
  }

  @Test
  void theSnippetWritesTheJobsFeaturesSegmentsAndSummaryForTheSample() throws IOException {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2",
        "--reIterableGroupByKeyResult=true").create());
    String output = work.toString();
    snippet(pipeline, SAMPLE.resolve("events") + "/*", SAMPLE.resolve("profiles") + "/*",
        Files.readString(SAMPLE.resolve("segments.yaml")), output);
    assertEquals(PipelineResult.State.DONE, pipeline.run().waitUntilFinish());
    for (String folder : List.of("features", "segments", "summary")) {
      List<String> golden = goldenLines(folder);
      assertFalse(golden.isEmpty(), folder);
      assertEquals(golden, writtenLines(work.resolve(folder)), folder
          + ": the snippet's lines differ from the job's on the same data");
    }
    // the families the old snippet left silently empty
    List<String> segments = writtenLines(work.resolve("segments"));
    assertTrue(segments.stream().anyMatch(l -> l.contains("\"segment\":\"rfm_")), "rfm");
  }

  /** The code between the markers, without its indentation. */
  private static List<String> snippetHere() throws IOException {
    List<String> lines = Files.readAllLines(THIS_FILE);
    int from = lines.indexOf("    // README snippet begins");
    int to = lines.indexOf("    // README snippet ends");
    assertTrue(from >= 0 && to > from, "markers");
    List<String> code = new ArrayList<>();
    for (String line : lines.subList(from + 1, to)) {
      code.add(line.length() >= 4 ? line.substring(4) : line.strip());
    }
    return code;
  }

  /** Every line inside the README's ```java blocks. */
  private static List<String> javaBlocksOfTheReadme() throws IOException {
    List<String> code = new ArrayList<>();
    boolean inside = false;
    for (String line : Files.readAllLines(README)) {
      if (line.equals("```java")) {
        inside = true;
      } else if (inside && line.equals("```")) {
        inside = false;
      } else if (inside) {
        code.add(line);
      }
    }
    return code;
  }

  private static List<String> goldenLines(String folder) throws IOException {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(
        Files.newInputStream(GOLDEN.resolve(folder + ".jsonl.gz"))), StandardCharsets.UTF_8))) {
      return in.lines().sorted().toList();
    }
  }

  private static List<String> writtenLines(Path folder) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
        lines.addAll(Files.readAllLines(file));
      }
    }
    return lines.stream().sorted().toList();
  }
}
