package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class ReadCustomerEventsTest {

  static final String GOOD_1 = "{\"source\":\"shop\",\"id\":\"o-1\",\"type\":\"purchase\","
      + "\"time\":\"2024-03-01T12:00:00Z\",\"ids\":{\"email\":\"Ann@X.com\",\"phone\":4155550132},"
      + "\"revenue\":42.50,\"currency\":\"usd\",\"props\":{\"sku\":\"A-1\",\"qty\":2},"
      + "\"consent\":{\"email\":true},\"unknown_field\":[1,2]}";
  static final String GOOD_2 = "{\"source\":\"web\",\"id\":\"v-1\",\"type\":\"site_visit\","
      + "\"time\":\"2024-03-02T08:30:00+02:00\",\"ids\":{\"anonymous_id\":\"a1\"}}";
  static final String GOOD_3 = "{\"source\":\"shop\",\"id\":\"r-1\",\"type\":\"refund\","
      + "\"time\":\"2024-03-03T00:00:00\",\"ids\":{\"user_id\":\"u1\"},\"revenue\":-5}";
  static final String DUPLICATE_OF_GOOD_2 = "{\"source\":\"web\",\"id\":\"v-1\","
      + "\"type\":\"site_visit\",\"time\":\"2024-03-05T00:00:00Z\",\"ids\":{\"anonymous_id\":\"a2\"}}";

  /** Bad lines, each with the start of the reason it must be rejected with. */
  static final List<String[]> BAD = List.of(
      new String[] {"{\"source\":\"shop\",\"id\":", "invalid JSON"},
      new String[] {"[1,2,3]", "invalid JSON: a line must be one JSON object"},
      new String[] {"{\"id\":\"x\",\"type\":\"purchase\",\"time\":\"2024-03-01T00:00:00Z\","
          + "\"ids\":{\"email\":\"a@b.c\"}}", "missing required field 'source'"},
      new String[] {"{\"source\":\"shop\",\"id\":\"t\",\"type\":\"purchase\","
          + "\"time\":\"yesterday\",\"ids\":{\"email\":\"a@b.c\"}}", "unparseable time 'yesterday'"},
      new String[] {"{\"source\":\"shop\",\"id\":\"n\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{}}", "no identifier"},
      new String[] {"{\"source\":\"shop\",\"id\":\"n2\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\"}", "no identifier"},
      new String[] {"{\"source\":\"shop\",\"id\":\"w\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},\"revenue\":\"ten\"}",
          "wrong type: 'revenue' must be a number"},
      new String[] {"{\"source\":\"shop\",\"id\":\"w2\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":\"a@b.c\"}", "wrong type: 'ids' must be"},
      new String[] {"{\"source\":\"shop\",\"id\":\"w3\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},"
          + "\"consent\":[\"email\"]}", "wrong type: 'consent' must be an object"},
      new String[] {"   ", "empty line"},
      new String[] {"{\"source\":\"shop\",\"id\":\"big\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},\"props\":{\"x\":\""
          + "y".repeat(600) + "\"}}", "line longer than 512 bytes"},
      new String[] {"{\"source\":\"shop\",\"id\":\"neg\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},\"revenue\":-3}",
          "absurd value: negative revenue"},
      new String[] {"{\"source\":\"shop\",\"id\":\"huge\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},\"revenue\":5e12}",
          "absurd value: revenue 5000000000000"},
      new String[] {"{\"source\":\"shop\",\"id\":\"old\",\"type\":\"purchase\","
          + "\"time\":\"1900-01-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"}}",
          "absurd value: time 1900-01-01T00:00:00Z"},
      new String[] {"{\"source\":\"shop\",\"id\":\"cur\",\"type\":\"purchase\","
          + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},\"currency\":\"dollars\"}",
          "invalid currency 'DOLLARS'"},
      new String[] {DUPLICATE_OF_GOOD_2, "duplicate (source, id)"});

  /** A line with raw bytes that are not UTF-8 (0xC3 0x28 is an invalid sequence). */
  static byte[] nonUtf8Line() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] head = ("{\"source\":\"shop\",\"id\":\"bin\",\"type\":\"purchase\",\"time\":"
        + "\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a").getBytes(StandardCharsets.UTF_8);
    out.write(head, 0, head.length);
    out.write(0xC3);
    out.write(0x28);
    byte[] tail = "@b.c\"}}\n".getBytes(StandardCharsets.UTF_8);
    out.write(tail, 0, tail.length);
    return out.toByteArray();
  }

  @Test
  void duplicatesWithTheSameRawTextAreKeptTheSameWayInEitherOrder() {
    // two CSV files whose headers differ can hold the same row text for different records
    CustomerEvent email = CustomerEvent.builder().setSource("shop").setSourceRecordId("1")
        .setEventType("purchase").setEventTime(Instant.parse("2024-03-01T00:00:00Z"))
        .setIdentifiers(Map.of("email", "x@y.z")).build();
    CustomerEvent phone = email.toBuilder().setIdentifiers(Map.of("phone", "+14155550100"))
        .build();
    String row = "shop,1,purchase,2024-03-01T00:00:00Z,X";
    org.apache.beam.sdk.coders.Coder<CustomerEvent> coder =
        dev.audiencesegmenter.model.CustomerEventCoder.of();
    boolean emailFirst = ReadRecords.precedes(row, email, row, phone, coder);
    assertEquals(!emailFirst, ReadRecords.precedes(row, phone, row, email, coder));
    assertEquals(false, ReadRecords.precedes(row, email, row, email, coder));
  }

  @Test
  void aDuplicateInAnotherSourceIsDroppedToo(TestPipeline p, @TempDir Path dir)
      throws IOException {
    // (source, id) is unique across every input: the same order in two exports counts once
    String again = GOOD_1.replace("42.50", "42.5");
    Files.writeString(dir.resolve("a.jsonl"), GOOD_1 + "\n");
    Files.createDirectories(dir.resolve("b"));
    Files.writeString(dir.resolve("b").resolve("b.jsonl"), again + "\n");
    ReadResult<CustomerEvent> read = p.apply(ReadCustomerEvents.all(List.of(
        ReadCustomerEvents.from(dir.resolve("a.jsonl").toString()),
        ReadCustomerEvents.from(dir.resolve("b").resolve("*.jsonl").toString()))));
    // the smaller raw line is kept, whichever source it came from
    String kept = GOOD_1.compareTo(again) < 0 ? GOOD_1 : again;
    String dropped = kept.equals(GOOD_1) ? again : GOOD_1;
    PAssert.that(read.getDeadLetters().apply("Steps", MapElements
            .into(TypeDescriptors.strings()).via(d -> d.getStep() + "|" + d.getRecord())))
        .containsInAnyOrder("ReadEvents/Deduplicate|" + dropped);
    PAssert.that(read.getRecords().apply("Ids", MapElements.into(TypeDescriptors.strings())
        .via(e -> e.getSource() + "/" + e.getSourceRecordId() + " " + e.getRevenue())))
        .containsInAnyOrder("shop/o-1 " + (kept.equals(GOOD_1) ? "42.50" : "42.5"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, "duplicates"));
  }

  @Test
  void everyBadLineIsDeadLetteredWithItsReasonAndEveryGoodOneIsRead(
      TestPipeline p, @TempDir Path dir) throws IOException {
    List<String> plain = new ArrayList<>(List.of(GOOD_1));
    for (String[] bad : BAD.subList(0, 8)) {
      plain.add(bad[0]);
    }
    Files.write(dir.resolve("a.jsonl"), (String.join("\n", plain) + "\n")
        .getBytes(StandardCharsets.UTF_8));
    try (OutputStream out = Files.newOutputStream(dir.resolve("a.jsonl"),
        java.nio.file.StandardOpenOption.APPEND)) {
      out.write(nonUtf8Line());
    }
    List<String> compressed = new ArrayList<>(List.of(GOOD_2, GOOD_3));
    for (String[] bad : BAD.subList(8, BAD.size())) {
      compressed.add(bad[0]);
    }
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("b.jsonl.gz")))) {
      out.write((String.join("\n", compressed) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    int linesIn = plain.size() + 1 + compressed.size();

    ReadResult<CustomerEvent> read = p.apply(
        ReadCustomerEvents.from(dir + "/*").withMaxLineBytes(512));

    List<String> expectedReasons = new ArrayList<>();
    for (String[] bad : BAD) {
      expectedReasons.add(bad[1]);
    }
    expectedReasons.add("not valid UTF-8");
    PAssert.that(read.getDeadLetters().apply("Reasons", MapElements
            .into(TypeDescriptors.strings()).via(ReadCustomerEventsTest::reasonPrefix)))
        .containsInAnyOrder(expectedReasons);
    PAssert.that(read.getDeadLetters().apply("Records", MapElements
            .into(TypeDescriptors.strings()).via(d -> d.getStep() + "|" + d.getRecord())))
        .satisfies(rows -> {
          List<String> records = new ArrayList<>();
          rows.forEach(records::add);
          // The raw line is kept, the duplicate's step named.
          assertEquals(true, records.contains("ReadEvents/Deduplicate|" + DUPLICATE_OF_GOOD_2));
          assertEquals(true, records.contains("ReadEvents/Parse|   "));
          return null;
        });
    PAssert.that(read.getRecords()).containsInAnyOrder(
        CustomerEvent.builder().setSource("shop").setSourceRecordId("o-1")
            .setEventType("purchase").setEventTime(Instant.parse("2024-03-01T12:00:00Z"))
            .setIdentifiers(Map.of("email", "Ann@X.com", "phone", "4155550132"))
            .setRevenue(new BigDecimal("42.50")).setCurrency("USD")
            .setProperties(Map.of("sku", "A-1", "qty", "2"))
            .setConsent(Map.of("email", true)).build(),
        CustomerEvent.builder().setSource("web").setSourceRecordId("v-1")
            .setEventType("site_visit").setEventTime(Instant.parse("2024-03-02T06:30:00Z"))
            .setIdentifiers(Map.of("anonymous_id", "a1")).build(),
        CustomerEvent.builder().setSource("shop").setSourceRecordId("r-1")
            .setEventType("refund").setEventTime(Instant.parse("2024-03-03T00:00:00Z"))
            .setIdentifiers(Map.of("user_id", "u1")).setRevenue(new BigDecimal("-5")).build());
    PipelineResult result = p.run();
    result.waitUntilFinish();

    long read1 = counter(result, "lines_read");
    long parsed = counter(result, "records_parsed");
    long dead = counter(result, "dead_lettered");
    long duplicates = counter(result, "duplicates");
    assertEquals(linesIn, read1);
    // Parsed lines include the duplicate, which is dropped later: in = out + dead letters.
    assertEquals(read1, parsed + dead);
    assertEquals(3, parsed - duplicates);
    assertEquals(BAD.size() + 1, dead + duplicates);
  }

  @Test
  void readsCsvEventsAndProfilesWithDottedColumns(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("app.csv"),
        "source,id,type,time,revenue,ids.device_id,ids.user_id,props.feature,consent.sms\n"
            + "app,a-1,feature_use,2024-05-01T10:00:00Z,,dev-1,u-1,export,false\n"
            + "app,a-2,purchase,2024-05-02T10:00:00Z,9.99,dev-1,,,TRUE\n"
            + "app,a-3,purchase,2024-05-02T10:00:00Z,lots,dev-1,,,\n"
            + "app,a-4,feature_use,2024-05-02T10:00:00Z,,,,export,\n");
    Files.writeString(dir.resolve("crm.csv"),
        "source,id,time,ids.crm_id,ids.email,attrs.city,attrs.plan\n"
            + "crm,c-1,2024-01-01T00:00:00Z,9,ann@x.com,Oslo,pro\n");
    ReadResult<CustomerEvent> events = p.apply("Events",
        ReadCustomerEvents.from(dir + "/app.csv"));
    ReadResult<ProfileAttributes> profiles = p.apply("Profiles",
        ReadProfileAttributes.from(dir + "/crm.csv"));
    PAssert.that(events.getRecords()).containsInAnyOrder(
        CustomerEvent.builder().setSource("app").setSourceRecordId("a-1")
            .setEventType("feature_use").setEventTime(Instant.parse("2024-05-01T10:00:00Z"))
            .setIdentifiers(Map.of("device_id", "dev-1", "user_id", "u-1"))
            .setProperties(Map.of("feature", "export")).setConsent(Map.of("sms", false)).build(),
        CustomerEvent.builder().setSource("app").setSourceRecordId("a-2")
            .setEventType("purchase").setEventTime(Instant.parse("2024-05-02T10:00:00Z"))
            .setIdentifiers(Map.of("device_id", "dev-1")).setRevenue(new BigDecimal("9.99"))
            .setConsent(Map.of("sms", true)).build());
    PAssert.that(events.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> reasonPrefix(d) + " <- " + d.getRecord())))
        .containsInAnyOrder(
            "wrong type: 'revenue' must be a number <- app,a-3,purchase,2024-05-02T10:00:00Z,"
                + "lots,dev-1,,,",
            "no identifier <- app,a-4,feature_use,2024-05-02T10:00:00Z,,,,export,");
    PAssert.that(profiles.getRecords()).containsInAnyOrder(
        ProfileAttributes.builder().setSource("crm").setSourceRecordId("c-1")
            .setUpdateTime(Instant.parse("2024-01-01T00:00:00Z"))
            .setIdentifiers(Map.of("crm_id", "9", "email", "ann@x.com"))
            .setAttributes(Map.of("city", "Oslo", "plan", "pro")).build());
    p.run().waitUntilFinish();
  }

  @Test
  void readsJsonLinesProfilesAndRejectsBadOnes(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("crm.jsonl"),
        "{\"source\":\"crm\",\"id\":\"c-9\",\"time\":\"2024-02-01T00:00:00Z\","
            + "\"ids\":{\"crm_id\":9,\"email\":\"ann@x.com\"},"
            + "\"attrs\":{\"city\":\"Oakland\",\"lat\":\"37.80\",\"employees\":120}}\n"
            + "{\"source\":\"crm\",\"id\":\"c-10\",\"time\":\"2024-02-01T00:00:00Z\","
            + "\"attrs\":{\"city\":\"Oslo\"}}\n"
            + "{\"source\":\"crm\",\"id\":\"c-11\",\"ids\":{\"crm_id\":\"11\"}}\n");
    ReadResult<ProfileAttributes> read = p.apply(ReadProfileAttributes.from(dir + "/*.jsonl"));
    PAssert.that(read.getRecords()).containsInAnyOrder(
        ProfileAttributes.builder().setSource("crm").setSourceRecordId("c-9")
            .setUpdateTime(Instant.parse("2024-02-01T00:00:00Z"))
            .setIdentifiers(Map.of("crm_id", "9", "email", "ann@x.com"))
            .setAttributes(Map.of("city", "Oakland", "lat", "37.80", "employees", "120"))
            .build());
    PAssert.that(read.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> d.getStep() + ": " + d.getReason())))
        .containsInAnyOrder("ReadProfiles/Parse: no identifier: 'ids' is missing",
            "ReadProfiles/Parse: missing required field 'time'");
    p.run().waitUntilFinish();
  }

  @Test
  void aPatternThatMatchesNothingFailsTheRun(TestPipeline p, @TempDir Path dir) {
    p.apply(ReadCustomerEvents.from(dir + "/nothing-*.jsonl"));
    assertThrows(RuntimeException.class, () -> p.run().waitUntilFinish());
  }

  @Test
  void rejectsBadConfiguration() {
    assertThrows(IllegalArgumentException.class, () -> ReadCustomerEvents.from(" "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReadCustomerEvents.from("x").withMaxLineBytes(3));
    assertEquals("maxLineBytes must be at least 16, got 3", e.getMessage());
  }

  /** The longest known reason prefix, so messages can say more after it. */
  static String reasonPrefix(DeadLetter d) {
    String longest = null;
    for (String[] bad : BAD) {
      if (d.getReason().startsWith(bad[1])
          && (longest == null || bad[1].length() > longest.length())) {
        longest = bad[1];
      }
    }
    if (longest != null) {
      return longest;
    }
    if (d.getReason().startsWith("not valid UTF-8")) {
      return "not valid UTF-8";
    }
    return d.getReason();
  }

  static long counter(PipelineResult result, String name) {
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ReadCustomerEvents.class.getName(), name))
        .build());
    long sum = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
