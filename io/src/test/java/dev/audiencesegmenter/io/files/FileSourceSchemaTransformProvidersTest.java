package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.batch.SegmentCustomersSchemaTransformProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.apache.beam.sdk.schemas.transforms.SchemaTransformProvider;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Files to segments the way a Beam YAML pipeline chains the schema transforms. */
@ExtendWith(TestPipelineExtension.class)
class FileSourceSchemaTransformProvidersTest {

  private static SchemaTransformProvider provider(String identifier) {
    for (SchemaTransformProvider p : ServiceLoader.load(SchemaTransformProvider.class)) {
      if (p.identifier().equals(identifier)) {
        return p;
      }
    }
    throw new AssertionError(identifier + " is not registered with ServiceLoader");
  }

  @Test
  void readsEventFilesIntoRowsTheSegmentTransformTakes(TestPipeline p, @TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("shop.jsonl"), String.join("\n",
        "{\"source\":\"shop\",\"id\":\"o1\",\"type\":\"purchase\",\"time\":\"2024-05-01T10:00:00Z\","
            + "\"ids\":{\"email\":\"a@example.com\"},\"revenue\":10.5}",
        "{\"source\":\"shop\",\"id\":\"o2\",\"type\":\"purchase\",\"time\":\"2024-06-01T10:00:00Z\","
            + "\"ids\":{\"email\":\"a@example.com\"},\"revenue\":20}",
        "{\"source\":\"shop\",\"id\":\"o3\",\"type\":\"purchase\",\"time\":\"not a time\","
            + "\"ids\":{\"email\":\"b@example.com\"}}", ""));
    SchemaTransformProvider read =
        provider(ReadCustomerEventsSchemaTransformProvider.IDENTIFIER);
    PCollectionRowTuple files = PCollectionRowTuple.empty(p).apply("ReadEvents", read.from(
        Row.withSchema(read.configurationSchema())
            .withFieldValue("file_pattern", dir.resolve("shop*.jsonl").toString())
            .withFieldValue("format", null).build()));
    Files.writeString(dir.resolve("crm.jsonl"), "{\"source\":\"crm\",\"id\":\"c1\","
        + "\"time\":\"2024-05-13T09:01:58Z\",\"ids\":{\"email\":\"A@example.com\"},"
        + "\"attrs\":{\"country\":\"US\"}}\n");
    SchemaTransformProvider readProfiles =
        provider(ReadProfileAttributesSchemaTransformProvider.IDENTIFIER);
    PCollectionRowTuple profiles = PCollectionRowTuple.empty(p).apply("ReadProfiles",
        readProfiles.from(Row.withSchema(readProfiles.configurationSchema())
            .withFieldValue("file_pattern", dir.resolve("crm.jsonl").toString())
            .withFieldValue("format", "jsonl").build()));
    SchemaTransformProvider segment =
        provider(SegmentCustomersSchemaTransformProvider.IDENTIFIER);
    PCollectionRowTuple segmented = PCollectionRowTuple.of("events", files.get("events"))
        .and("profiles", profiles.get("profiles"))
        .apply("Segment", segment.from(Row.withSchema(segment.configurationSchema())
            .withFieldValue("segments_yaml", "groups:\n  - name: g\n    segments:\n"
                + "      - template: repeat_buyers\n")
            .withFieldValue("as_of", "2024-06-30").withFieldValue("value_models", false)
            .build()));

    PAssert.that(files.get("dead_letters").apply("Steps", MapElements
            .into(TypeDescriptors.strings()).via(r -> r.getString("step"))))
        .containsInAnyOrder("ReadEvents/Parse");
    PAssert.that(segmented.get("memberships").apply("Segments", MapElements
            .into(TypeDescriptors.strings()).via(r -> r.getString("segment"))))
        .containsInAnyOrder("repeat_buyers");
    // the profile's country reached the customer it shares an address with
    PAssert.that(segmented.get("features").apply("Countries", MapElements
            .into(TypeDescriptors.strings()).via(r -> String.valueOf(r.getString("country")))))
        .containsInAnyOrder("US");
    p.run().waitUntilFinish();
  }

  @Test
  void aBadFormatIsNamed() {
    SchemaTransformProvider read =
        provider(ReadCustomerEventsSchemaTransformProvider.IDENTIFIER);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> read.from(Row.withSchema(read.configurationSchema())
            .withFieldValue("file_pattern", "x/*").withFieldValue("format", "parquet").build()));
    assertEquals(ReadCustomerEventsSchemaTransformProvider.IDENTIFIER + ": format must be "
        + "auto, jsonl or csv, got 'parquet'", e.getMessage());
  }
}
