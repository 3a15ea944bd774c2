package dev.audiencesegmenter.io.kafka;

import dev.audiencesegmenter.io.files.LineParser;
import dev.audiencesegmenter.model.CustomerEvent;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.splittabledofn.WatermarkEstimator;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/** Timestamps and watermark of the bounded read (to the end offsets). */
final class EventTimestamps {
  private EventTimestamps() {}

  /** A good value's event time; for a value that will be dead-lettered, the Kafka timestamp. */
  static SerializableFunction<KafkaRecord<String, String>, Instant> eventTime(
      LineParser<CustomerEvent> parser) {
    return record -> {
      String value = record.getKV().getValue();
      CustomerEvent event = value == null ? null : parser.parseOrNull(value);
      if (event != null) {
        return event.getEventTime();
      }
      Instant kafkaTime = new Instant(record.getTimestamp());
      return kafkaTime.isBefore(BoundedWindow.TIMESTAMP_MIN_VALUE)
          ? BoundedWindow.TIMESTAMP_MIN_VALUE : kafkaTime;
    };
  }

  /**
   * Holds the watermark where it starts until the read is done, as a bounded file source
   * does: in a backfill no record is late, whatever order the topic holds them in.
   */
  static SerializableFunction<Instant, WatermarkEstimator<Instant>> heldWatermark() {
    return HeldWatermark::new;
  }

  private static final class HeldWatermark implements WatermarkEstimator<Instant> {
    private final Instant watermark;

    HeldWatermark(Instant initial) {
      this.watermark = initial;
    }

    @Override
    public Instant currentWatermark() {
      return watermark;
    }

    @Override
    public Instant getState() {
      return watermark;
    }
  }
}
