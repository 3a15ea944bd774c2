package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 11: a record may carry at most {@code maxIdentifiersPerRecord} identifiers
 * (default 50); more is a dead letter. Before, a record with 20,000 identifiers (a 243 KB line)
 * was read, and the identity step paired them all.
 */
@ExtendWith(TestPipelineExtension.class)
class IdentifierCapTest {
  private static String event(String id, int identifiers) {
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < identifiers; i++) {
      ids.append(i == 0 ? "" : ",").append("\"device_").append(i).append("\":\"d")
          .append(i).append('"');
    }
    return "{\"source\":\"app\",\"id\":\"" + id + "\",\"type\":\"site_visit\","
        + "\"time\":\"2024-03-01T12:00:00Z\",\"ids\":{" + ids + "}}";
  }

  @Test
  void fiftyIdentifiersAreReadAndMoreAreRejectedByDefault() throws BadRecordException {
    LineParser<CustomerEvent> parser = LineParser.customerEvents(1 << 20);
    assertEquals(50, parser.parse(event("ok", 50), null).getIdentifiers().size());
    String huge = event("huge", 20_000);
    assertEquals(true, huge.length() > 240_000, "a line of " + huge.length());
    BadRecordException e = assertThrows(BadRecordException.class,
        () -> parser.parse(huge, null));
    assertEquals("too many identifiers: 20000 in 'ids' (at most 50, see "
        + "--maxIdentifiersPerRecord)", e.getMessage());
    assertEquals("too many identifiers: 51 in 'ids' (at most 50, see "
        + "--maxIdentifiersPerRecord)", assertThrows(BadRecordException.class,
            () -> parser.parse(event("x", 51), null)).getMessage());
  }

  @Test
  void theReadersTakeTheCap(TestPipeline p, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("events.jsonl"),
        event("two", 2) + "\n" + event("three", 3) + "\n");
    Files.writeString(dir.resolve("profiles.csv"), "source,id,time,ids.a,ids.b,ids.c\n"
        + "crm,p-1,2024-01-01T00:00:00Z,1,2,\n"
        + "crm,p-2,2024-01-01T00:00:00Z,1,2,3\n");
    ReadResult<CustomerEvent> events = p.apply("Events",
        ReadCustomerEvents.from(dir + "/*.jsonl").withMaxIdentifiersPerRecord(2));
    ReadResult<ProfileAttributes> profiles = p.apply("Profiles",
        ReadProfileAttributes.from(dir + "/*.csv").withMaxIdentifiersPerRecord(2));
    PAssert.that(events.getRecords()).containsInAnyOrder(CustomerEvent.builder()
        .setSource("app").setSourceRecordId("two").setEventType("site_visit")
        .setEventTime(Instant.parse("2024-03-01T12:00:00Z"))
        .setIdentifiers(Map.of("device_0", "d0", "device_1", "d1")).build());
    PAssert.that(events.getDeadLetters().apply("EventReasons",
            MapElements.into(TypeDescriptors.strings()).via(d -> d.getStep() + ": "
                + d.getReason())))
        .containsInAnyOrder("ReadEvents/Parse: too many identifiers: 3 in 'ids' (at most 2, see "
            + "--maxIdentifiersPerRecord)");
    PAssert.that(profiles.getRecords()).containsInAnyOrder(ProfileAttributes.builder()
        .setSource("crm").setSourceRecordId("p-1")
        .setUpdateTime(Instant.parse("2024-01-01T00:00:00Z"))
        .setIdentifiers(Map.of("a", "1", "b", "2")).build());
    PAssert.that(profiles.getDeadLetters().apply("ProfileReasons",
            MapElements.into(TypeDescriptors.strings()).via(d -> d.getStep() + ": "
                + d.getReason() + " <- " + d.getRecord())))
        .containsInAnyOrder("ReadProfiles/Parse: too many identifiers: 3 in 'ids' (at most 2, "
            + "see --maxIdentifiersPerRecord) <- crm,p-2,2024-01-01T00:00:00Z,1,2,3");
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(2, ReadCustomerEventsTest.counter(result, "lines_read"));
    assertEquals(1, ReadCustomerEventsTest.counter(result, "dead_lettered"));
  }

  @Test
  void theCapIsChecked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReadCustomerEvents.from("x").withMaxIdentifiersPerRecord(0));
    assertEquals("maxIdentifiersPerRecord must be at least 1, got 0", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ReadProfileAttributes.from("x").withMaxIdentifiersPerRecord(-1));
  }
}
