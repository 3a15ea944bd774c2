package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.io.kafka.KafkaBroker;
import dev.audiencesegmenter.io.kafka.ReadCustomerEventsFromKafka;
import dev.audiencesegmenter.model.CustomerEvent;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Kafka source on this module's classpath (the Flink runner's, the pipelines' Jackson),
 * against io's KafkaBroker test fixture.
 */
@ExtendWith(TestPipelineExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KafkaSourceTest {
  static KafkaBroker kafka;

  @BeforeAll
  static void start() {
    kafka = KafkaBroker.start();
    kafka.createTopic("events", 2);
    kafka.produce(List.of(
        new ProducerRecord<>("events", "c-1", "{\"source\":\"shop\",\"id\":\"o-1\","
            + "\"type\":\"purchase\",\"time\":\"2024-03-01T12:00:00Z\","
            + "\"ids\":{\"email\":\"a@x.com\"}}"),
        new ProducerRecord<>("events", "c-2", "{\"source\":\"web\",\"id\":\"v-1\","
            + "\"type\":\"site_visit\",\"time\":\"2024-03-01T12:01:00Z\","
            + "\"ids\":{\"anonymous_id\":\"z\"}}"),
        new ProducerRecord<>("events", "c-2", "not json")));
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  @Test
  void readsEventsFromARealBroker(TestPipeline p) {
    ReadResult<CustomerEvent> read = p.apply(
        ReadCustomerEventsFromKafka.from(kafka.bootstrapServers(), "events")
            .withBoundedReadToEndOffsets());
    PAssert.that(read.getRecords().apply("Ids", MapElements.into(TypeDescriptors.strings())
            .via(e -> e.getSource() + "/" + e.getSourceRecordId())))
        .containsInAnyOrder("shop/o-1", "web/v-1");
    PAssert.that(read.getDeadLetters().apply("Raw", MapElements
            .into(TypeDescriptors.strings()).via(d -> d.getRecord())))
        .containsInAnyOrder("not json");
    p.run().waitUntilFinish();
  }
}
