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
 *
 * <p>A partition that has not had a single good event (empty, or only bad values) would hold
 * Beam's policy, and so the whole pipeline, at the start of time forever; once it is caught up
 * it counts as idle instead, its watermark the wall clock less the out-of-orderness. As with
 * Beam's idle rule, an event that arrives later in an idle partition with an older time is late.
 */
final class EventTimePolicy extends TimestampPolicy<String, String> {
  private final LineParser<CustomerEvent> parser;
  private final Duration maxOutOfOrderness;
  private final CustomTimestampPolicyWithLimitedDelay<String, String> delegate;
  /** Beam's policy moves the watermark only once it has seen an event time. */
  private boolean sawEventTime;
  /** The event time of the record being timestamped: the value is parsed once, here. */
  private @Nullable Instant currentEventTime;

  EventTimePolicy(LineParser<CustomerEvent> parser, Duration maxOutOfOrderness,
      Optional<Instant> previousWatermark) {
    this.parser = parser;
    this.maxOutOfOrderness = maxOutOfOrderness;
    // Event times are never before 1970 (the parser rejects them): a positive previous
    // watermark means this partition has had events.
    this.sawEventTime = previousWatermark.map(w -> w.getMillis() > 0).orElse(false);
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
    sawEventTime = true;
    return delegate.getTimestampForRecord(ctx, record);
  }

  @Override
  public Instant getWatermark(PartitionContext ctx) {
    Instant watermark = delegate.getWatermark(ctx);
    if (!sawEventTime && ctx.getMessageBacklog() == 0) {
      Instant idle = ctx.getBacklogCheckTime().minus(maxOutOfOrderness);
      return idle.isAfter(watermark) ? idle : watermark;
    }
    return watermark;
  }
}
