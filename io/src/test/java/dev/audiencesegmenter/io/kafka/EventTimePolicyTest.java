package dev.audiencesegmenter.io.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.io.files.LineParser;
import java.util.Optional;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class EventTimePolicyTest {
  static final TimestampPolicy.PartitionContext BUSY = new TimestampPolicy.PartitionContext() {
    @Override
    public long getMessageBacklog() {
      return 100;
    }

    @Override
    public Instant getBacklogCheckTime() {
      return Instant.now();
    }
  };

  static TimestampPolicy.PartitionContext caughtUpAt(Instant time) {
    return new TimestampPolicy.PartitionContext() {
      @Override
      public long getMessageBacklog() {
        return 0;
      }

      @Override
      public Instant getBacklogCheckTime() {
        return time;
      }
    };
  }

  static KafkaRecord<String, String> record(long offset, String kafkaTime, String value) {
    return new KafkaRecord<>("t", 0, offset, Instant.parse(kafkaTime).getMillis(),
        KafkaTimestampType.CREATE_TIME, null, KV.of("k", value));
  }

  static String event(String time) {
    return "{\"source\":\"shop\",\"id\":\"o\",\"type\":\"purchase\",\"time\":\"" + time
        + "\",\"ids\":{\"email\":\"a@b.c\"}}";
  }

  @Test
  void eventTimeDrivesTimestampsAndWatermarkAndBadValuesDoNot() {
    EventTimePolicy policy = new EventTimePolicy(LineParser.customerEvents(1 << 20),
        Duration.standardMinutes(1), Optional.empty());

    assertEquals(Instant.parse("2024-03-01T12:10:00Z"), policy.getTimestampForRecord(BUSY,
        record(0, "2026-01-01T00:00:00Z", event("2024-03-01T12:10:00Z"))));
    // Out of order: its own time, and the watermark stays 1 minute behind the latest.
    assertEquals(Instant.parse("2024-03-01T12:05:00Z"), policy.getTimestampForRecord(BUSY,
        record(1, "2026-01-01T00:00:01Z", event("2024-03-01T12:05:00Z"))));
    assertEquals(Instant.parse("2024-03-01T12:09:00Z"), policy.getWatermark(BUSY));

    // A bad value: the Kafka time, which does not move the watermark...
    assertEquals(Instant.parse("2026-01-01T00:00:02Z"), policy.getTimestampForRecord(BUSY,
        record(2, "2026-01-01T00:00:02Z", "{not json")));
    assertEquals(Instant.parse("2024-03-01T12:09:00Z"), policy.getWatermark(BUSY));
    // ... and is never behind the watermark, nor is a record without a value.
    assertEquals(Instant.parse("2024-03-01T12:09:00Z"), policy.getTimestampForRecord(BUSY,
        record(3, "2020-01-01T00:00:00Z", "{not json")));
    assertEquals(Instant.parse("2024-03-01T12:09:00Z"), policy.getTimestampForRecord(BUSY,
        record(4, "2020-01-01T00:00:00Z", null)));
  }

  @Test
  void aCaughtUpPartitionWithoutAnyEventDoesNotHoldTheWatermark() {
    EventTimePolicy policy = new EventTimePolicy(LineParser.customerEvents(1 << 20),
        Duration.standardMinutes(1), Optional.empty());
    policy.getTimestampForRecord(BUSY, record(0, "2026-01-01T00:00:00Z", "{not json"));
    Instant now = Instant.parse("2026-01-01T00:10:00Z");
    // Still reading: nothing known yet.
    assertEquals(true, policy.getWatermark(BUSY).getMillis() < 0);
    // Caught up: idle, so the wall clock less the out-of-orderness.
    assertEquals(Instant.parse("2026-01-01T00:09:00Z"), policy.getWatermark(caughtUpAt(now)));
  }
}
