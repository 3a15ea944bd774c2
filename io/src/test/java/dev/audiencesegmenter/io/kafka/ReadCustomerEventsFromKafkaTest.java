package dev.audiencesegmenter.io.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.JsonLines;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.transforms.SchemaTransformProvider;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReadCustomerEventsFromKafkaTest {
  static final String TOPIC = "customer-events";
  static final int GOOD = 16;

  static final String INVALID_JSON = "{\"source\":\"shop\",\"id\":\"bad-json\",";
  static final String NO_IDS = "{\"source\":\"shop\",\"id\":\"no-ids\",\"type\":\"purchase\","
      + "\"time\":\"2024-03-01T00:00:00Z\"}";
  static final String BAD_TIME = "{\"source\":\"shop\",\"id\":\"bad-time\",\"type\":\"purchase\","
      + "\"time\":\"yesterday\",\"ids\":{\"email\":\"a@b.c\"}}";
  static final String NO_SOURCE = "{\"id\":\"no-source\",\"type\":\"purchase\","
      + "\"time\":\"2024-03-01T00:00:00Z\",\"ids\":{\"email\":\"a@b.c\"}}";

  static KafkaBroker kafka;

  @BeforeAll
  static void start() {
    kafka = KafkaBroker.start();
    kafka.createTopic(TOPIC, 3);
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    for (int i = 0; i < GOOD; i++) {
      records.add(new ProducerRecord<>(TOPIC, "c-" + (i % 4), goodLine(i)));
      if (i == 3) {
        records.add(new ProducerRecord<>(TOPIC, "c-x", INVALID_JSON));
        records.add(new ProducerRecord<>(TOPIC, null, NO_IDS));
      }
      if (i == 9) {
        records.add(new ProducerRecord<>(TOPIC, "c-y", BAD_TIME));
        records.add(new ProducerRecord<>(TOPIC, "c-z", NO_SOURCE));
        // A tombstone: a record without a value.
        records.add(new ProducerRecord<>(TOPIC, "c-z", null));
      }
    }
    kafka.produce(records);
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  /** Event i: times out of order (odd ones an hour earlier), revenue on every third. */
  static String goodLine(int i) {
    return "{\"source\":\"shop\",\"id\":\"o-" + i + "\",\"type\":\"purchase\",\"time\":\""
        + eventTime(i) + "\",\"ids\":{\"email\":\"c" + (i % 4) + "@x.com\"}"
        + (i % 3 == 0 ? ",\"revenue\":" + i + ".50,\"currency\":\"usd\"" : "") + "}";
  }

  static Instant eventTime(int i) {
    return Instant.parse("2024-03-01T12:00:00Z").plus(Duration.standardMinutes(i))
        .minus(Duration.standardHours(i % 2));
  }

  static CustomerEvent expectedEvent(int i) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId("o-" + i)
        .setEventType("purchase").setEventTime(eventTime(i))
        .setIdentifiers(Map.of("email", "c" + (i % 4) + "@x.com"))
        .setRevenue(i % 3 == 0 ? new BigDecimal(i + ".50") : null)
        .setCurrency(i % 3 == 0 ? "USD" : null)
        .build();
  }

  @Test
  void readsEveryEventAtItsEventTimeAndDeadLettersTheRest(TestPipeline p) {
    ReadResult<CustomerEvent> read = p.apply(ReadCustomerEventsFromKafka
        .from(kafka.bootstrapServers(), TOPIC)
        .withBoundedReadToEndOffsets());

    List<CustomerEvent> expected = new ArrayList<>();
    List<String> expectedTimes = new ArrayList<>();
    for (int i = 0; i < GOOD; i++) {
      expected.add(expectedEvent(i));
      expectedTimes.add("o-" + i + "@" + eventTime(i));
    }
    PAssert.that(read.getRecords()).containsInAnyOrder(expected);
    PAssert.that(read.getRecords().apply("IdAtTimestamp", ParDo.of(new IdAtTimestamp())))
        .containsInAnyOrder(expectedTimes);
    String step = ReadCustomerEventsFromKafka.DEAD_LETTER_STEP;
    PAssert.that(read.getDeadLetters().apply("StepReasonRecord", MapElements
            .into(TypeDescriptors.strings())
            .via(d -> d.getStep() + "|" + jacksonDetailCut(d.getReason()) + "|" + d.getRecord())))
        .containsInAnyOrder(
            step + "|invalid JSON: Unexpected end-of-input|" + INVALID_JSON,
            step + "|no identifier: 'ids' is missing|" + NO_IDS,
            step + "|unparseable time 'yesterday' in 'time' (expected ISO-8601, e.g. "
                + "2024-03-01T12:00:00Z)|" + BAD_TIME,
            step + "|missing required field 'source'|" + NO_SOURCE,
            step + "|empty line|");

    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(GOOD + 5, counter(result, "lines_read"));
    assertEquals(GOOD, counter(result, "records_parsed"));
    assertEquals(5, counter(result, "dead_lettered"));
  }

  @Test
  void theSchemaTransformReadsTheTopicIntoRows(TestPipeline p) {
    SchemaTransformProvider provider = null;
    for (SchemaTransformProvider candidate : ServiceLoader.load(SchemaTransformProvider.class)) {
      if (candidate.identifier().equals(
          ReadCustomerEventsFromKafkaSchemaTransformProvider.IDENTIFIER)) {
        provider = candidate;
      }
    }
    assertNotNull(provider, "registered with ServiceLoader");
    PCollectionRowTuple read = PCollectionRowTuple.empty(p).apply("ReadTopic", provider.from(
        Row.withSchema(provider.configurationSchema())
            .withFieldValue("bootstrap_servers", kafka.bootstrapServers())
            .withFieldValue("topic", TOPIC).withFieldValue("bounded", true)
            .withFieldValue("max_out_of_orderness_seconds", 7200L).build()));

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < GOOD; i++) {
      ids.add("o-" + i + "|" + eventTime(i));
    }
    PAssert.that(read.get("events").apply("IdAndTime", MapElements
            .into(TypeDescriptors.strings())
            .via(r -> r.getString("sourceRecordId") + "|" + r.getDateTime("eventTime"))))
        .containsInAnyOrder(ids);
    PAssert.that(read.get("dead_letters").apply("DeadLetterSteps", MapElements
            .into(TypeDescriptors.strings()).via(r -> r.getString("step"))))
        .containsInAnyOrder(Collections.nCopies(5,
            ReadCustomerEventsFromKafka.DEAD_LETTER_STEP));
    p.run().waitUntilFinish();

    Row missing = Row.withSchema(provider.configurationSchema())
        .withFieldValue("bootstrap_servers", kafka.bootstrapServers())
        .withFieldValue("topic", " ").build();
    SchemaTransformProvider configured = provider;
    assertEquals(ReadCustomerEventsFromKafkaSchemaTransformProvider.IDENTIFIER
        + ": bootstrap_servers and topic are required, got '" + kafka.bootstrapServers()
        + "' and ' '", assertThrows(IllegalArgumentException.class,
            () -> configured.from(missing)).getMessage());
  }

  @Test
  void streamingTimestampsAndWatermarkCloseEventTimeWindows(TestPipeline p) throws Exception {
    String out = "events-per-hour-" + System.nanoTime();  // a rerun gets a topic of its own
    kafka.createTopic(out, 1);
    Schema perHour = Schema.builder().addStringField("hour").addInt64Field("events").build();
    p.getOptions().as(DirectOptions.class).setBlockOnRun(false);
    p.apply(ReadCustomerEventsFromKafka.from(kafka.bootstrapServers(), TOPIC)
            .withConsumerConfigUpdates(Map.of("auto.offset.reset", "earliest"))
            // The odd events are an hour behind the even ones: all on time.
            .withMaxOutOfOrderness(Duration.standardHours(2)))
        .getRecords()
        .apply(Window.into(FixedWindows.of(Duration.standardHours(1))))
        .apply(Combine.globally(Count.<CustomerEvent>combineFn()).withoutDefaults())
        .apply(ParDo.of(new CountPerWindow(perHour)))
        .setRowSchema(perHour)
        .apply(WriteJsonToKafka.<Row>to(kafka.bootstrapServers(), out, "hour"));
    PipelineResult result = p.run();
    try {
      // A window is written only once the watermark has passed its end: the partitions'
      // watermarks follow event time, and move on when they are idle.
      List<String> written = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (written.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(500);
        written.clear();
        kafka.consumeAll(out).forEach(r -> written.add(r.key() + "|" + r.value()));
      }
      assertEquals(Set.of(
              "2024-03-01T11:00:00Z|{\"hour\":\"2024-03-01T11:00:00Z\",\"events\":8}",
              "2024-03-01T12:00:00Z|{\"hour\":\"2024-03-01T12:00:00Z\",\"events\":8}"),
          Set.copyOf(written));
    } finally {
      result.cancel();
    }
  }

  /** The count of a window as a row: the window's start, the count. */
  static final class CountPerWindow extends DoFn<Long, Row> {
    private final Schema schema;

    CountPerWindow(Schema schema) {
      this.schema = schema;
    }

    @ProcessElement
    public void process(@Element Long count, BoundedWindow window, OutputReceiver<Row> out) {
      out.output(Row.withSchema(schema)
          .addValues(JsonLines.formatInstant(((IntervalWindow) window).start()), count).build());
    }
  }

  /** An event as {@code id@element timestamp}. */
  static final class IdAtTimestamp extends DoFn<CustomerEvent, String> {
    @ProcessElement
    public void process(@Element CustomerEvent e, @Timestamp Instant timestamp,
        OutputReceiver<String> out) {
      out.output(e.getSourceRecordId() + "@" + timestamp);
    }
  }

  /** Jackson's detail after the kind of error depends on its version: cut it. */
  static String jacksonDetailCut(String reason) {
    String kind = "invalid JSON: Unexpected end-of-input";
    return reason.startsWith(kind) ? kind : reason;
  }

  static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ReadCustomerEventsFromKafka.class, name))
        .build()).getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  @Test
  void rejectsBadConfigurationNamingTheValue() {
    assertEquals("ReadCustomerEventsFromKafka needs bootstrap servers (host:port,...), got ' '",
        assertThrows(IllegalArgumentException.class,
            () -> ReadCustomerEventsFromKafka.from(" ", TOPIC)).getMessage());
    assertEquals("ReadCustomerEventsFromKafka: bootstrap server 'localhost' is not host:port",
        assertThrows(IllegalArgumentException.class,
            () -> ReadCustomerEventsFromKafka.from("h:1,localhost", TOPIC)).getMessage());
    assertEquals("ReadCustomerEventsFromKafka: 'my topic' is not a valid Kafka topic name "
            + "(1-249 of a-z A-Z 0-9 . _ -)",
        assertThrows(IllegalArgumentException.class,
            () -> ReadCustomerEventsFromKafka.from("h:1", "my topic")).getMessage());
    ReadCustomerEventsFromKafka read = ReadCustomerEventsFromKafka.from("h:1", TOPIC);
    assertEquals("maxOutOfOrderness must be zero or more, got PT-1S",
        assertThrows(IllegalArgumentException.class,
            () -> read.withMaxOutOfOrderness(Duration.standardSeconds(-1))).getMessage());
    assertEquals("consumer config 'value.deserializer' is set by the transform and cannot be "
            + "changed; reserved: ",
        assertThrows(IllegalArgumentException.class,
            () -> read.withConsumerConfigUpdates(Map.of("value.deserializer", "x")))
            .getMessage().replaceAll("reserved: .*", "reserved: "));
    assertEquals("maxLineBytes must be at least 16, got 3",
        assertThrows(IllegalArgumentException.class, () -> read.withMaxLineBytes(3))
            .getMessage());
    assertEquals(Duration.standardMinutes(1), read.getMaxOutOfOrderness());
    assertEquals(false, read.isBoundedReadToEndOffsets());
  }
}
