package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, safety rails on destructive steps: the sync state location (item 7) and the
 * previous run's files under the same output (item 7), on small generated data with the Direct
 * runner.
 */
@Timeout(900)
class SafetyRailsPipelineTest {

  static SegmentationPipelineOptions options(String... args) {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs(args).withValidation()
        .as(SegmentationPipelineOptions.class);
  }

  static List<String> dataArgs(Path dir, Path out) throws Exception {
    Path data = dir.resolve("data");
    if (!Files.exists(data)) {
      new SampleDataGenerator(5, LocalDate.parse("2024-06-30")).write(data, 60);
    }
    return new ArrayList<>(List.of("--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"), "--asOf=2024-06-30",
        "--output=" + out, "--valueModels=false", "@../runner-configs/direct.args"));
  }

  @Test
  void sinksWithoutASyncStateFailAtLaunchSayingWhy(@TempDir Path dir) {
    String[] base = {"--input=in/*", "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30", "--output=" + dir.resolve("out"), "--sinks=hubspot",
        "--dryRun=true"};
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> SegmentationPipeline.build(Pipeline.create(), options(base)));
    assertEquals("--sinks needs --syncState: a folder (e.g. gs://bucket/sync-state/) or a "
        + "jdbc:postgresql: URL that every run of this job uses. The sync state is how a run "
        + "knows what each platform already holds, and so which customers to remove from it; "
        + "a state kept under a new --output folder per run would start empty every time, and "
        + "nobody would ever be removed. To keep the state under a fixed output folder, pass "
        + "--syncState=" + dir.resolve("out") + "/sync-state/", missing.getMessage());

    String[] both = java.util.stream.Stream.concat(java.util.Arrays.stream(base),
        java.util.stream.Stream.of("--syncState=" + dir.resolve("state"),
            "--syncStateJdbcUrl=jdbc:postgresql://db/state")).toArray(String[]::new);
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> Activation.syncState(options(both)));
    assertEquals("Give the sync state once: --syncState, --syncStateDir or --syncStateJdbcUrl "
        + "(got --syncState and --syncStateJdbcUrl)", twice.getMessage());

    SegmentationPipelineOptions folder = options("--input=x", "--segments=y", "--output=o",
        "--syncState=" + dir.resolve("state"));
    assertEquals(dir.resolve("state") + "/", Activation.stateFolder(folder));
    assertNull(Activation.stateDatabase(folder));
    SegmentationPipelineOptions database = options("--input=x", "--segments=y", "--output=o",
        "--syncState=jdbc:postgresql://db/state");
    assertNotNull(Activation.stateDatabase(database));
    // the older spellings still work
    assertEquals("gs://b/state/", Activation.stateFolder(options("--input=x", "--segments=y",
        "--output=o", "--syncStateDir=gs://b/state")));
  }

  @Test
  void aPreviousRunUnderTheSameOutputIsReadBeforeItIsReplaced(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("out");
    PipelineRuns.runToCompletion(dataArgs(dir, out));
    List<String> firstSegments = OutputFiles.sortedLines(out.resolve("segments"));
    assertTrue(firstSegments.size() > 10, "the data must have memberships");

    List<String> again = dataArgs(dir, out);
    again.add("--previousSegments=" + out.resolve("segments") + "/");
    again.add("--previousIdentities=" + out.resolve("identities") + "/*");
    PipelineRuns.runToCompletion(again);

    // read from a copy of exactly the first run's files
    assertEquals(firstSegments, OutputFiles.sortedLines(out.resolve("previous/segments")));
    // same data, same asOf: everyone stays, which shows the whole previous run was read
    List<JsonNode> cells = OutputFiles.rows(out.resolve("stability"));
    assertFalse(cells.isEmpty());
    for (JsonNode cell : cells) {
      assertEquals(cell.get("from_segment").asText(), cell.get("to_segment").asText(),
          cell.toString());
    }
    for (JsonNode row : OutputFiles.rows(out.resolve("summary"))) {
      assertEquals(0.0, row.get("membership_churn").asDouble(), row.toString());
    }
    assertEquals(firstSegments, OutputFiles.sortedLines(out.resolve("segments")));
    assertTrue(OutputFiles.rows(out.resolve("merges")).isEmpty(), "customer ids changed");
  }
}
