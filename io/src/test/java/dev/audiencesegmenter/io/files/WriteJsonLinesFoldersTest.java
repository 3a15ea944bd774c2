package dev.audiencesegmenter.io.files;

import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.EVERY_TYPE;
import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.FIRST;
import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.SECOND;
import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.everyType;
import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.fileNames;
import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.sortedLines;
import static dev.audiencesegmenter.io.files.WriteJsonLinesTest.unsortedTags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.model.SegmentSummary;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Several folders in one write: the same files and lines as one WriteJsonLines each. */
@ExtendWith(TestPipelineExtension.class)
class WriteJsonLinesFoldersTest {

  @Test
  void eachInputGetsItsFolderOfLinesAndAnEmptyInputItsEmptyFiles(TestPipeline pipeline,
      @TempDir Path dir) throws IOException {
    PCollection<Row> features = pipeline.apply("Features", Create.of(
            everyType("Ann \"A\" \\ B", 7, unsortedTags()),
            everyType("Bob", 9007199254740993L, Map.of()))
        .withRowSchema(EVERY_TYPE));
    PCollection<SegmentSummary> summary = pipeline.apply("Summary", Create.of(
        SegmentSummary.create("loyal", "lifecycle", 3, 1, 0.25, new BigDecimal("99.90"))));
    PCollection<Row> none = pipeline.apply("None", Create.empty(EVERY_TYPE));
    PCollectionTuple.of(new TupleTag<>("features"), features)
        .and(new TupleTag<>("summary"), summary)
        .and(new TupleTag<>("dead-letter"), none)
        .apply(WriteJsonLinesFolders.under(dir.toString()).withNumShards(2));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    assertEquals(List.of("dead-letter", "features", "summary"), fileNames(dir),
        "the three folders and nothing else (no temporary folder left)");
    List<String> twoParts = List.of("part-00000-of-00002.jsonl", "part-00001-of-00002.jsonl");
    assertEquals(twoParts, fileNames(dir.resolve("features")));
    assertEquals(twoParts, fileNames(dir.resolve("summary")));
    assertEquals(twoParts, fileNames(dir.resolve("dead-letter")));
    assertEquals(List.of(FIRST, SECOND), sortedLines(dir.resolve("features")));
    assertEquals(List.of("{\"segment\":\"loyal\",\"group\":\"lifecycle\",\"size\":3,"
        + "\"holdout_size\":1,\"share\":0.25,\"revenue\":99.90}"),
        sortedLines(dir.resolve("summary")));
    assertEquals(List.of(), sortedLines(dir.resolve("dead-letter")));
    long written = 0;
    // one counter per input's step
    for (MetricResult<Long> counter : result.metrics().queryMetrics(MetricsFilter.builder()
            .addNameFilter(MetricNameFilter.named(WriteJsonLines.class, "rows_written"))
            .build()).getCounters()) {
      written += counter.getAttempted();
    }
    assertEquals(3L, written);
  }

  @Test
  void withTheRunnersShardingAnEmptyFolderGetsOneEmptyFile(TestPipeline pipeline,
      @TempDir Path dir) throws IOException {
    PCollectionTuple.of(new TupleTag<>("merges"), pipeline.apply(Create.empty(EVERY_TYPE)))
        .apply(WriteJsonLinesFolders.under(dir + "/"));
    pipeline.run().waitUntilFinish();

    assertEquals(List.of("merges"), fileNames(dir));
    assertEquals(List.of("part-00000-of-00001.jsonl"), fileNames(dir.resolve("merges")));
  }

  @Test
  void badConfigurationIsRejectedNamingIt(TestPipeline pipeline) {
    assertEquals("WriteJsonLinesFolders needs a root folder, got ' '",
        assertThrows(IllegalArgumentException.class,
            () -> WriteJsonLinesFolders.under(" ")).getMessage());
    assertEquals("numShards must be 0 or more, got -1",
        assertThrows(IllegalArgumentException.class,
            () -> WriteJsonLinesFolders.under("out").withNumShards(-1)).getMessage());
    PCollectionTuple nested = PCollectionTuple.of(new TupleTag<>("a/b"),
        pipeline.apply(Create.empty(EVERY_TYPE)));
    assertEquals("WriteJsonLinesFolders needs one plain folder name per input, got 'a/b'",
        assertThrows(IllegalArgumentException.class,
            () -> nested.apply(WriteJsonLinesFolders.under("out"))).getMessage());
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
