package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.pipelines.bench.BaselineSegmentationJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plain-Java baseline of the benchmark ({@link BaselineSegmentationJob}) computes the same
 * job as the pipeline: on the bundled sample, every output it writes is the pipeline's (on the
 * Flink runner in local mode), line for line, so that comparing their speed is fair.
 */
@Timeout(600)
class BaselineEquivalenceTest {
  @TempDir
  static Path temp;
  static Path pipeline;
  static Path baseline;
  static Map<String, Long> stages;

  @BeforeAll
  static void runBoth() {
    pipeline = temp.resolve("pipeline");
    baseline = temp.resolve("baseline");
    List<String> args = new ArrayList<>(PipelineRuns.sampleArgs(pipeline));
    args.addAll(List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2",
        "--reIterableGroupByKeyResult=true"));
    PipelineRuns.runToCompletion(args);

    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    stages = BaselineSegmentationJob.run(PipelineOptionsFactory
        .fromArgs(PipelineRuns.sampleArgs(baseline).toArray(new String[0])).withValidation()
        .as(SegmentationPipelineOptions.class));
  }

  @Test
  void identitiesAreThePipelines() {
    assertSameRows("identities", 12_008);
  }

  @Test
  void featuresAreThePipelines() {
    assertSameRows("features", 2_000);
  }

  @Test
  void segmentsAreThePipelines() {
    assertSameRows("segments", 5_082);
  }

  @Test
  void summaryIsThePipelines() {
    assertSameRows("summary", 19);
  }

  @Test
  void junkIdentifiersAndDeadLettersAreThePipelines() {
    assertSameRows("junk-identifiers", 4);
    assertSameRows("dead-letter", 5);
  }

  @Test
  void valueModelsAreThePipelines() throws IOException {
    ObjectMapper json = new ObjectMapper();
    assertEquals(json.readTree(Files.readString(pipeline.resolve("model/clv.json"))),
        json.readTree(Files.readString(baseline.resolve("model/clv.json"))));
  }

  @Test
  void everyStageIsTimed() {
    assertEquals(List.of("read_ms", "resolve_identities_ms", "features_ms", "value_models_ms",
        "lifecycle_and_scores_ms", "assign_segments_ms", "summarize_ms", "write_ms"),
        List.copyOf(stages.keySet()));
  }

  private static void assertSameRows(String folder, int expectedRows) {
    List<String> expected = OutputFiles.sortedLines(pipeline.resolve(folder));
    List<String> actual = OutputFiles.sortedLines(baseline.resolve(folder));
    assertEquals(expectedRows, expected.size(), folder + ": rows of the pipeline");
    assertEquals(expected, actual, folder + ": the baseline's rows differ from the pipeline's");
  }
}
