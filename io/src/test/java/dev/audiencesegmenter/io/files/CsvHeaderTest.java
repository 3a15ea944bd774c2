package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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
 * Issue 17, item 12: a CSV file with a bad header is dead-lettered, with the reason, and the
 * rest of the input is read. Before, an unclosed quote (or a blank column name) in a header
 * failed the whole job, a map column named whole and by key ({@code props}, {@code props.sku})
 * failed it with a ClassCastException, and a column named twice silently kept only its last
 * value.
 */
@ExtendWith(TestPipelineExtension.class)
class CsvHeaderTest {
  private static final String GOOD_JSON = "{\"source\":\"web\",\"id\":\"v-1\","
      + "\"type\":\"site_visit\",\"time\":\"2024-03-02T08:30:00Z\","
      + "\"ids\":{\"anonymous_id\":\"a1\"}}";

  private static void writeInput(Path dir) throws IOException {
    Files.writeString(dir.resolve("good.jsonl"), GOOD_JSON + "\n");
    Files.writeString(dir.resolve("unclosed.csv"),
        "source,id,\"type,time,ids.email\n"
            + "shop,1,purchase,2024-03-01T12:00:00Z,a@b.c\n");
    Files.writeString(dir.resolve("twice.csv"),
        "source,id,type,time,ids.email, ids.email\n"
            + "shop,2,purchase,2024-03-01T12:00:00Z,a@b.c,c@d.e\n"
            + "shop,3,purchase,2024-03-01T12:00:00Z,f@g.h,\n");
    Files.writeString(dir.resolve("blank.csv"),
        "source,id,,type,time,ids.email\n"
            + "shop,4,x,purchase,2024-03-01T12:00:00Z,a@b.c\n");
  }

  private static void writeMixedMap(Path dir) throws IOException {
    Files.writeString(dir.resolve("mixed.csv"),
        "source,id,type,time,ids.email,props,props.sku\n"
            + "shop,5,purchase,2024-03-01T12:00:00Z,a@b.c,x,A-1\n");
  }

  private static List<String> expectedDeadLetters(Path dir) {
    return List.of(
        "ReadEvents/Parse|malformed CSV: the header cannot be read ((startline 1) EOF reached "
            + "before encapsulated token finished); the file is skipped|(file "
            + dir.resolve("unclosed.csv") + ")",
        "ReadEvents/Parse|malformed CSV: the header has a blank column name (column 3); "
            + "the row is skipped|shop,4,x,purchase,2024-03-01T12:00:00Z,a@b.c",
        "ReadEvents/Parse|malformed CSV: the header has both column 'props' and column "
            + "'props.sku'; the row is skipped|shop,5,purchase,2024-03-01T12:00:00Z,a@b.c,x,A-1",
        "ReadEvents/Parse|malformed CSV: the header names column 'ids.email' twice; "
            + "the row is skipped|shop,2,purchase,2024-03-01T12:00:00Z,a@b.c,c@d.e",
        "ReadEvents/Parse|malformed CSV: the header names column 'ids.email' twice; "
            + "the row is skipped|shop,3,purchase,2024-03-01T12:00:00Z,f@g.h,");
  }

  @Test
  void badHeadersAreDeadLetteredAndTheRestIsRead(TestPipeline p, @TempDir Path dir)
      throws IOException {
    writeInput(dir);
    writeMixedMap(dir);
    ReadResult<CustomerEvent> read = p.apply(ReadCustomerEvents.from(dir + "/*"));
    PAssert.that(read.getRecords()).containsInAnyOrder(CustomerEvent.builder()
        .setSource("web").setSourceRecordId("v-1").setEventType("site_visit")
        .setEventTime(Instant.parse("2024-03-02T08:30:00Z"))
        .setIdentifiers(Map.of("anonymous_id", "a1")).build());
    PAssert.that(read.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> d.getStep() + "|" + d.getReason() + "|" + d.getRecord())))
        .containsInAnyOrder(expectedDeadLetters(dir));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(6, ReadCustomerEventsTest.counter(result, "lines_read"));
    assertEquals(1, ReadCustomerEventsTest.counter(result, "records_parsed"));
    assertEquals(5, ReadCustomerEventsTest.counter(result, "dead_lettered"));
  }

  @Test
  void localReadsGiveTheSameDeadLetters(@TempDir Path dir) throws IOException {
    writeInput(dir);
    writeMixedMap(dir);
    LocalRecords<CustomerEvent> read = LocalRecords.events(dir + "/*", 1 << 20);
    assertEquals(1, read.records().size());
    assertEquals(expectedDeadLetters(dir), read.deadLetters().stream()
        .map(d -> d.getStep() + "|" + d.getReason() + "|" + d.getRecord())
        .sorted().collect(Collectors.toList()));
  }
}
