package dev.audiencesegmenter.io.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WriteJsonToKafkaTest {
  static final String TOPIC = "customer-features";
  static final Schema FEATURES = Schema.builder()
      .addStringField("customer_id")
      .addInt64Field("orders")
      .addDecimalField("revenue")
      .addDateTimeField("last_seen")
      .addMapField("tags", FieldType.STRING, FieldType.STRING)
      .build();

  static KafkaBroker kafka;

  @BeforeAll
  static void start() {
    kafka = KafkaBroker.start();
    kafka.createTopic(TOPIC, 3);
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  static Row features(String customer, long orders, String revenue, String lastSeen) {
    return Row.withSchema(FEATURES)
        .addValues(customer, orders, new BigDecimal(revenue), Instant.parse(lastSeen),
            Map.of("tier", orders > 2 ? "gold" : "basic", "a", "1"))
        .build();
  }

  @Test
  void writesEachRowAsItsJsonLineKeyedByTheKeyField(TestPipeline p) {
    p.apply(Create.of(
            features("c-1", 3, "42.50", "2024-03-01T12:00:00Z"),
            features("c-2", 1, "1000", "2024-03-02T08:30:00.250Z"),
            features("c-1", 4, "50.00", "2024-03-03T00:00:00Z"),
            features("c-3", 0, "0", "2024-03-04T00:00:00Z"))
            .withRowSchema(FEATURES))
        .apply(WriteJsonToKafka.<Row>to(kafka.bootstrapServers(), TOPIC, "customer_id"));
    p.run().waitUntilFinish();

    List<ConsumerRecord<String, String>> written = kafka.consumeAll(TOPIC);
    assertEquals(Set.of(
            "c-1|{\"customer_id\":\"c-1\",\"orders\":3,\"revenue\":42.50,"
                + "\"last_seen\":\"2024-03-01T12:00:00Z\",\"tags\":{\"a\":\"1\",\"tier\":\"gold\"}}",
            "c-2|{\"customer_id\":\"c-2\",\"orders\":1,\"revenue\":1000,"
                + "\"last_seen\":\"2024-03-02T08:30:00.250Z\",\"tags\":{\"a\":\"1\","
                + "\"tier\":\"basic\"}}",
            "c-1|{\"customer_id\":\"c-1\",\"orders\":4,\"revenue\":50.00,"
                + "\"last_seen\":\"2024-03-03T00:00:00Z\",\"tags\":{\"a\":\"1\",\"tier\":\"gold\"}}",
            "c-3|{\"customer_id\":\"c-3\",\"orders\":0,\"revenue\":0,"
                + "\"last_seen\":\"2024-03-04T00:00:00Z\",\"tags\":{\"a\":\"1\","
                + "\"tier\":\"basic\"}}"),
        written.stream().map(r -> r.key() + "|" + r.value()).collect(Collectors.toSet()));
    assertEquals(4, written.size());
    // One customer's records share a partition, so they stay in order.
    Map<String, Set<Integer>> partitions = new HashMap<>();
    for (ConsumerRecord<String, String> r : written) {
      partitions.computeIfAbsent(r.key(), k -> new TreeSet<>()).add(r.partition());
    }
    assertEquals(1, partitions.get("c-1").size());
  }

  @Test
  void rejectsAKeyFieldThatIsMissingOrNotAString() {
    Pipeline p = Pipeline.create();
    PCollection<Row> rows = p.apply(Create.of(features("c-1", 1, "1", "2024-03-01T00:00:00Z"))
        .withRowSchema(FEATURES));
    assertEquals("WriteJsonToKafka: key field 'customer' is not in the schema; fields: "
            + "[customer_id, orders, revenue, last_seen, tags]",
        assertThrows(IllegalArgumentException.class, () -> rows.apply("Missing",
            WriteJsonToKafka.<Row>to("h:1", TOPIC, "customer"))).getMessage());
    assertEquals("WriteJsonToKafka: key field 'orders' must be a STRING, got INT64",
        assertThrows(IllegalArgumentException.class, () -> rows.apply("NotString",
            WriteJsonToKafka.<Row>to("h:1", TOPIC, "orders"))).getMessage());
    assertEquals("WriteJsonToKafka needs a key field, got ''",
        assertThrows(IllegalArgumentException.class,
            () -> WriteJsonToKafka.to("h:1", TOPIC, "")).getMessage());
    assertEquals("producer config 'key.serializer' is set by the transform and cannot be "
            + "changed",
        assertThrows(IllegalArgumentException.class,
            () -> WriteJsonToKafka.to("h:1", TOPIC, "customer_id")
                .withProducerConfigUpdates(Map.of("key.serializer", "x")))
            .getMessage().replaceAll("; reserved: .*", ""));
  }
}
