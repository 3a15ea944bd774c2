package dev.audiencesegmenter.io.kafka;

import dev.audiencesegmenter.io.files.LineParser;
import dev.audiencesegmenter.model.CustomerEvent;
import java.util.Optional;
import org.apache.beam.sdk.io.kafka.CustomTimestampPolicyWithLimitedDelay;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicyFactory;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Streaming timestamps of one partition: a good value's timestamp is its event's time, and the
 * watermark trails the largest event time seen by the allowed out-of-orderness (Beam's
 * {@link CustomTimestampPolicyWithLimitedDelay}, which also moves it on when the partition is
 * idle). A value that will be dead-lettered has no event time: it gets the Kafka record's
 * timestamp, but never one behind the watermark (it would be late), and it does not move the
 * watermark (a wrong clock on one bad record must not make good records late).
 */
final class EventTimePolicy extends TimestampPolicy<String, String> {
  private final LineParser<CustomerEvent> parser;
  private final CustomTimestampPolicyWithLimitedDelay<String, String> delegate;
  /** The event time of the record being timestamped: the value is parsed once, here. */
  private @Nullable Instant currentEventTime;

  EventTimePolicy(LineParser<CustomerEvent> parser, Duration maxOutOfOrderness,
      Optional<Instant> previousWatermark) {
    this.parser = parser;
    this.delegate = new CustomTimestampPolicyWithLimitedDelay<>(
        record -> currentEventTime, maxOutOfOrderness, previousWatermark);
  }

  static TimestampPolicyFactory<String, String> factory(LineParser<CustomerEvent> parser,
      Duration maxOutOfOrderness) {
    return (partition, previousWatermark) ->
        new EventTimePolicy(parser, maxOutOfOrderness, previousWatermark);
  }

  @Override
  public Instant getTimestampForRecord(PartitionContext ctx, KafkaRecord<String, String> record) {
    String value = record.getKV().getValue();
    CustomerEvent event = value == null ? null : parser.parseOrNull(value);
    if (event == null) {
      Instant watermark = delegate.getWatermark(ctx);
      Instant kafkaTime = new Instant(record.getTimestamp());
      return kafkaTime.isBefore(watermark) ? watermark : kafkaTime;
    }
    currentEventTime = event.getEventTime();
    return delegate.getTimestampForRecord(ctx, record);
  }

  @Override
  public Instant getWatermark(PartitionContext ctx) {
    return delegate.getWatermark(ctx);
  }
}
