package com.example.segments;

import dev.audiencesegmenter.batch.SegmentCustomers;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The batch flow from the installed jars: read events, segment, assert who is in what. */
@ExtendWith(TestPipelineExtension.class)
class SegmentCustomersFromTheLibraryTest {

  @Test
  void buyersAndRepeatBuyersComeOutOfTheFlow(TestPipeline pipeline, @TempDir Path dir)
      throws Exception {
    // ann buys twice (once under her phone number), bob once, cy only visits
    Files.writeString(dir.resolve("events.jsonl"), String.join("\n",
        "{\"source\":\"shop\",\"id\":\"1\",\"type\":\"purchase\",\"time\":\"2024-06-01T10:00:00Z\","
            + "\"ids\":{\"email\":\"Ann@Example.com\",\"phone\":\"+14155550101\"},\"revenue\":40}",
        "{\"source\":\"shop\",\"id\":\"2\",\"type\":\"purchase\",\"time\":\"2024-06-20T10:00:00Z\","
            + "\"ids\":{\"phone\":\"+1 415 555 0101\"},\"revenue\":25.5}",
        "{\"source\":\"shop\",\"id\":\"3\",\"type\":\"purchase\",\"time\":\"2024-06-05T10:00:00Z\","
            + "\"ids\":{\"email\":\"bob@example.com\"},\"revenue\":10}",
        "{\"source\":\"web\",\"id\":\"4\",\"type\":\"site_visit\",\"time\":\"2024-06-07T10:00:00Z\","
            + "\"ids\":{\"email\":\"cy@example.com\"}}") + "\n");
    SegmentDefinitions definitions = SegmentDefinitions.parse(String.join("\n",
        "groups:",
        "  - name: purchases",
        "    exclusive: false",
        "    segments:",
        "      - name: buyers",
        "        when: frequency >= 1",
        "      - name: repeat_buyers",
        "        when: frequency >= 2") + "\n", "segments.yaml");

    ReadResult<CustomerEvent> events = pipeline.apply("ReadEvents",
        ReadCustomerEvents.from(dir.resolve("events.jsonl").toString()));
    SegmentCustomers.Result result = ResolveIdentities.inputs(events.getRecords(), null)
        .apply(SegmentCustomers.of(definitions, ComputeCustomerFeatures.create()
            .withAsOf(Instant.parse("2024-07-01T00:00:00Z"))).withValueModels(null));

    PAssert.that(result.getMemberships().apply("Names", MapElements
            .into(TypeDescriptors.strings()).via(m -> m.getSegment())))
        .containsInAnyOrder(List.of("buyers", "buyers", "repeat_buyers"));
    PAssert.that(result.getFeatures().apply("Customers", MapElements
            .into(TypeDescriptors.strings()).via(f -> f.getFrequency() + "")))
        .containsInAnyOrder(List.of("2", "1", "0"));
    pipeline.run().waitUntilFinish();
  }
}
