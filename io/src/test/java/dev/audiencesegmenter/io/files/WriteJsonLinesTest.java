package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.SegmentSummary;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class WriteJsonLinesTest {
  static final Schema ADDRESS = Schema.builder()
      .addStringField("city")
      .addNullableField("zip", FieldType.STRING)
      .build();

  /** Every field type the model uses, in a deliberately non-alphabetical order. */
  static final Schema EVERY_TYPE = Schema.builder()
      .addStringField("name")
      .addInt64Field("count")
      .addInt32Field("days")
      .addDoubleField("share")
      .addDoubleField("not_a_number")
      .addDoubleField("infinite")
      .addDecimalField("revenue")
      .addDecimalField("thousand")
      .addDecimalField("tiny")
      .addBooleanField("holdout")
      .addDateTimeField("seen")
      .addDateTimeField("seen_ms")
      .addMapField("tags", FieldType.STRING, FieldType.STRING)
      .addArrayField("scores", FieldType.INT64)
      .addRowField("address", ADDRESS)
      .addNullableField("nothing", FieldType.STRING)
      .addNullableField("no_address", FieldType.row(ADDRESS))
      .build();

  static Row everyType(String name, long count, Map<String, String> tags) {
    return Row.withSchema(EVERY_TYPE).addValues(
        name, count, -3, 0.1, Double.NaN, Double.POSITIVE_INFINITY,
        new BigDecimal("42.50"), new BigDecimal("1E+3"), new BigDecimal("-0.0000001"),
        true, Instant.parse("2024-03-01T12:00:00Z"), Instant.parse("2024-03-01T12:00:00.007Z"),
        tags, List.of(3L, 1L, 2L),
        Row.withSchema(ADDRESS).addValues("Zürich", null).build(), null, null).build();
  }

  /** Map with insertion order z, a, m: the output must sort the keys. */
  static Map<String, String> unsortedTags() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("z", "last");
    tags.put("a", "first");
    tags.put("m", "tab\there");
    return tags;
  }

  // Expected by hand from the contract: keys in schema order; 0.1 is Java's shortest form;
  // NaN/infinity -> null; 1E+3 -> 1000 and -1E-7 -> -0.0000001 (plain); 42.50 keeps its scale;
  // no millis when zero, ".007" when 7 ms; map keys a, m, z; the array keeps its order;
  // Jackson escapes the quote, backslash and tab and leaves ü as UTF-8.
  static final String FIRST = "{\"name\":\"Ann \\\"A\\\" \\\\ B\",\"count\":7,\"days\":-3,"
      + "\"share\":0.1,\"not_a_number\":null,\"infinite\":null,\"revenue\":42.50,"
      + "\"thousand\":1000,\"tiny\":-0.0000001,\"holdout\":true,"
      + "\"seen\":\"2024-03-01T12:00:00Z\",\"seen_ms\":\"2024-03-01T12:00:00.007Z\","
      + "\"tags\":{\"a\":\"first\",\"m\":\"tab\\there\",\"z\":\"last\"},\"scores\":[3,1,2],"
      + "\"address\":{\"city\":\"Zürich\",\"zip\":null},\"nothing\":null,\"no_address\":null}";
  static final String SECOND = "{\"name\":\"Bob\",\"count\":9007199254740993,\"days\":-3,"
      + "\"share\":0.1,\"not_a_number\":null,\"infinite\":null,\"revenue\":42.50,"
      + "\"thousand\":1000,\"tiny\":-0.0000001,\"holdout\":true,"
      + "\"seen\":\"2024-03-01T12:00:00Z\",\"seen_ms\":\"2024-03-01T12:00:00.007Z\","
      + "\"tags\":{},\"scores\":[3,1,2],"
      + "\"address\":{\"city\":\"Zürich\",\"zip\":null},\"nothing\":null,\"no_address\":null}";

  /** The files of a folder, by name. */
  static List<String> fileNames(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  /** All lines of all files of a folder, sorted. */
  static List<String> sortedLines(Path folder) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String name : fileNames(folder)) {
      lines.addAll(Files.readAllLines(folder.resolve(name), StandardCharsets.UTF_8));
    }
    lines.sort(null);
    return lines;
  }

  @Test
  void writesEveryTypeAsExactJsonLinesIntoNumberedParts(TestPipeline pipeline,
      @TempDir Path dir) throws IOException {
    // 2^53 + 1 as a long: a JSON number, not rounded through a double.
    pipeline.apply(Create.of(everyType("Ann \"A\" \\ B", 7, unsortedTags()),
                everyType("Bob", 9007199254740993L, Map.of()))
            .withRowSchema(EVERY_TYPE))
        .apply(WriteJsonLines.<Row>to(dir.resolve("features").toString()).withNumShards(3));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    Path folder = dir.resolve("features");
    assertEquals(List.of("part-00000-of-00003.jsonl", "part-00001-of-00003.jsonl",
        "part-00002-of-00003.jsonl"), fileNames(folder));
    // Two rows in three files: one file is empty, so only the two lines come back.
    assertEquals(List.of(FIRST, SECOND), sortedLines(folder));
    MetricResult<Long> written = result.metrics().queryMetrics(MetricsFilter.builder()
            .addNameFilter(MetricNameFilter.named(WriteJsonLines.class, "rows_written"))
            .build())
        .getCounters().iterator().next();
    assertEquals(2L, written.getAttempted());
  }

  @Test
  void toJsonRendersOneRowLikeTheFiles() {
    assertEquals(FIRST, WriteJsonLines.toJson(everyType("Ann \"A\" \\ B", 7, unsortedTags())));
  }

  @Test
  void writesSchemaClassesWithKeysInSchemaOrder(TestPipeline pipeline, @TempDir Path dir)
      throws IOException {
    // The AutoValue schema's field order: segment, group, size, holdout_size, share, revenue.
    pipeline.apply(Create.of(
            SegmentSummary.create("loyal", "lifecycle", 3, 1, 0.25, new BigDecimal("99.90")),
            SegmentSummary.create("lapsed", "lifecycle", 0, 0, 0.0, new BigDecimal("0.00"))))
        .apply(WriteJsonLines.<SegmentSummary>to(dir.resolve("summary") + "/")
            .withNumShards(1));
    pipeline.run().waitUntilFinish();

    assertEquals(List.of("part-00000-of-00001.jsonl"), fileNames(dir.resolve("summary")));
    List<String> lines = sortedLines(dir.resolve("summary"));
    assertEquals(List.of(
        "{\"segment\":\"lapsed\",\"group\":\"lifecycle\",\"size\":0,\"holdout_size\":0,"
            + "\"share\":0.0,\"revenue\":0.00}",
        "{\"segment\":\"loyal\",\"group\":\"lifecycle\",\"size\":3,\"holdout_size\":1,"
            + "\"share\":0.25,\"revenue\":99.90}"), lines);
  }

  @Test
  void emptyInputStillWritesTheFolder(TestPipeline pipeline, @TempDir Path dir)
      throws IOException {
    pipeline.apply(Create.empty(EVERY_TYPE))
        .apply(WriteJsonLines.<Row>to(dir.resolve("empty").toString()));
    pipeline.run().waitUntilFinish();

    assertEquals(List.of("part-00000-of-00001.jsonl"), fileNames(dir.resolve("empty")));
    assertEquals(List.of(), sortedLines(dir.resolve("empty")));
  }

  @Test
  void badConfigurationIsRejectedEarly(TestPipeline pipeline) {
    IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
        () -> WriteJsonLines.to(" "));
    assertEquals("WriteJsonLines needs a folder, got ' '", blank.getMessage());
    IllegalArgumentException shards = assertThrows(IllegalArgumentException.class,
        () -> WriteJsonLines.to("out").withNumShards(-2));
    assertEquals("numShards must be 0 or more, got -2", shards.getMessage());

    PCollection<String> noSchema = pipeline.apply(Create.of("x").withCoder(
        StringUtf8Coder.of()));
    IllegalArgumentException schema = assertThrows(IllegalArgumentException.class,
        () -> noSchema.apply(WriteJsonLines.<String>to("out")));
    assertTrue(schema.getMessage().startsWith("WriteJsonLines to out/ needs a PCollection "
        + "with a schema"), schema.getMessage());
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
