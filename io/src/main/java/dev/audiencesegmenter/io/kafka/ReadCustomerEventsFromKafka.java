package dev.audiencesegmenter.io.kafka;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.files.LineParser;
import dev.audiencesegmenter.io.files.ParseLines;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.model.CustomerEvent;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.joda.time.Duration;

/**
 * Reads customer events from a Kafka topic: each record's value is one JSON line of the event
 * format of the files (data-formats.md), parsed and checked exactly as {@link
 * ReadCustomerEvents} does. A value that cannot be used (invalid JSON, missing field, no
 * identifier, bad time, ..., and a record without a value) goes to
 * {@link ReadResult#getDeadLetters()} with the reason and the raw value, step {@value
 * #DEAD_LETTER_STEP}. Keys are ignored.
 *
 * <p>Time: an event's element timestamp is its {@code time}. Streaming, the watermark of each
 * partition trails the latest event time seen by {@link #getMaxOutOfOrderness()} (default
 * one minute); an event further behind is late for downstream windows. A partition that is
 * caught up (or has no good event at all) is idle: its watermark moves on with the wall clock
 * less the out-of-orderness, so it does not hold back the others. A value that is
 * dead-lettered carries the Kafka record's timestamp (never behind the watermark). With {@link
 * #withBoundedReadToEndOffsets()} the read stops at the end offsets found when it starts and
 * the watermark stays at the start until it is done, like a bounded file source.
 *
 * <p>No deduplication: the file readers drop repeated (source, id) by grouping every record,
 * which a stream cannot do. Kafka delivers at least once and producers retry, so the same
 * event can arrive more than once; the streaming state downstream is idempotent on (source,
 * id).
 *
 * <p>Metrics in namespace {@code ReadCustomerEventsFromKafka}'s class name: lines_read,
 * records_parsed, dead_lettered (as the file reader's).
 *
 * <pre>{@code
 * ReadResult<CustomerEvent> read = pipeline.apply(
 *     ReadCustomerEventsFromKafka.from("broker-1:9092,broker-2:9092", "customer-events")
 *         .withConsumerConfigUpdates(Map.of("group.id", "audience-segmenter")));
 * }</pre>
 */
@AutoValue
public abstract class ReadCustomerEventsFromKafka
    extends PTransform<PBegin, ReadResult<CustomerEvent>> {
  public static final Duration DEFAULT_MAX_OUT_OF_ORDERNESS = Duration.standardMinutes(1);
  public static final String DEAD_LETTER_STEP = "ReadEventsFromKafka/Parse";
  /** Set by this transform: values are always read as UTF-8 strings. */
  private static final Set<String> RESERVED_CONFIG = Set.of(
      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
      ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
      ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);

  public abstract String getBootstrapServers();

  public abstract String getTopic();

  public abstract Map<String, Object> getConsumerConfigUpdates();

  public abstract Duration getMaxOutOfOrderness();

  public abstract boolean isBoundedReadToEndOffsets();

  public abstract int getMaxLineBytes();

  public abstract int getMaxIdentifiersPerRecord();

  abstract Builder toBuilder();

  /** Reads {@code topic} from the cluster at {@code bootstrapServers} ({@code host:port,...}). */
  public static ReadCustomerEventsFromKafka from(String bootstrapServers, String topic) {
    return new AutoValue_ReadCustomerEventsFromKafka.Builder()
        .setBootstrapServers(KafkaChecks.bootstrapServers(bootstrapServers,
            "ReadCustomerEventsFromKafka"))
        .setTopic(KafkaChecks.topic(topic, "ReadCustomerEventsFromKafka"))
        .setConsumerConfigUpdates(Map.of())
        .setMaxOutOfOrderness(DEFAULT_MAX_OUT_OF_ORDERNESS)
        .setBoundedReadToEndOffsets(false)
        .setMaxLineBytes(ReadCustomerEvents.DEFAULT_MAX_LINE_BYTES)
        .setMaxIdentifiersPerRecord(LineParser.DEFAULT_MAX_IDENTIFIERS)
        .build();
  }

  /**
   * Consumer settings ({@code group.id}, {@code auto.offset.reset}, security, ...), added to
   * KafkaIO's. Bootstrap servers and deserializers are set by this transform.
   */
  public ReadCustomerEventsFromKafka withConsumerConfigUpdates(Map<String, Object> updates) {
    return toBuilder().setConsumerConfigUpdates(KafkaChecks.configUpdates(updates,
        RESERVED_CONFIG, "consumer")).build();
  }

  /** How far behind the latest event time an event may arrive and still be on time. */
  public ReadCustomerEventsFromKafka withMaxOutOfOrderness(Duration maxOutOfOrderness) {
    if (maxOutOfOrderness == null || maxOutOfOrderness.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("maxOutOfOrderness must be zero or more, got "
          + maxOutOfOrderness);
    }
    return toBuilder().setMaxOutOfOrderness(maxOutOfOrderness).build();
  }

  /**
   * Reads each partition from its first offset to its end offset when the pipeline starts, then
   * ends: for tests and backfills.
   */
  public ReadCustomerEventsFromKafka withBoundedReadToEndOffsets() {
    return toBuilder().setBoundedReadToEndOffsets(true).build();
  }

  /** Values longer than this many bytes are rejected (default 1 MiB). */
  public ReadCustomerEventsFromKafka withMaxLineBytes(int maxLineBytes) {
    LineParser.customerEvents(maxLineBytes);  // checks it
    return toBuilder().setMaxLineBytes(maxLineBytes).build();
  }

  /** Records with more identifiers than this are rejected (default 50), as from files. */
  public ReadCustomerEventsFromKafka withMaxIdentifiersPerRecord(int maxIdentifiers) {
    LineParser.customerEvents(getMaxLineBytes(), maxIdentifiers);  // checks it
    return toBuilder().setMaxIdentifiersPerRecord(maxIdentifiers).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setBootstrapServers(String bootstrapServers);

    abstract Builder setTopic(String topic);

    abstract Builder setConsumerConfigUpdates(Map<String, Object> updates);

    abstract Builder setMaxOutOfOrderness(Duration maxOutOfOrderness);

    abstract Builder setBoundedReadToEndOffsets(boolean bounded);

    abstract Builder setMaxLineBytes(int maxLineBytes);

    abstract Builder setMaxIdentifiersPerRecord(int maxIdentifiers);

    abstract ReadCustomerEventsFromKafka build();
  }

  @Override
  public ReadResult<CustomerEvent> expand(PBegin begin) {
    LineParser<CustomerEvent> parser =
        LineParser.customerEvents(getMaxLineBytes(), getMaxIdentifiersPerRecord());
    PCollection<KafkaRecord<String, String>> records;
    if (isBoundedReadToEndOffsets()) {
      records = begin
          .apply("Start", Impulse.create())
          .apply("ListPartitions", ParDo.of(new ListPartitionsToEnd(getBootstrapServers(),
              getTopic(), getConsumerConfigUpdates())))
          .apply("ReadKafka", KafkaIO.<String, String>readSourceDescriptors()
              .withBootstrapServers(getBootstrapServers())
              .withKeyDeserializerAndCoder(StringDeserializer.class,
                  NullableCoder.of(StringUtf8Coder.of()))
              .withValueDeserializerAndCoder(StringDeserializer.class,
                  NullableCoder.of(StringUtf8Coder.of()))
              .withConsumerConfigUpdates(getConsumerConfigUpdates())
              .withExtractOutputTimestampFn(EventTimestamps.eventTime(parser))
              .withCreatWatermarkEstimatorFn(EventTimestamps.heldWatermark()));
    } else {
      records = begin.apply("ReadKafka", KafkaIO.<String, String>read()
          .withBootstrapServers(getBootstrapServers())
          .withTopic(getTopic())
          .withKeyDeserializerAndCoder(StringDeserializer.class,
              NullableCoder.of(StringUtf8Coder.of()))
          .withValueDeserializerAndCoder(StringDeserializer.class,
              NullableCoder.of(StringUtf8Coder.of()))
          .withConsumerConfigUpdates(getConsumerConfigUpdates())
          .withTimestampPolicyFactory(EventTimePolicy.factory(parser, getMaxOutOfOrderness())));
    }
    return records
        // A record without a value (a tombstone) is an empty line: dead-lettered as such.
        .apply("Values", MapElements.into(TypeDescriptors.strings())
            .via(record -> record.getKV().getValue() == null ? "" : record.getKV().getValue()))
        .apply("ParseEvents", ParseLines.customerEvents(parser, DEAD_LETTER_STEP,
            ReadCustomerEventsFromKafka.class.getName()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("bootstrapServers", getBootstrapServers()))
        .add(DisplayData.item("topic", getTopic()))
        .add(DisplayData.item("maxOutOfOrderness", getMaxOutOfOrderness()))
        .add(DisplayData.item("boundedReadToEndOffsets", isBoundedReadToEndOffsets()))
        // Keys only: values may hold credentials (sasl.jaas.config).
        .add(DisplayData.item("consumerConfigKeys",
            String.join(",", new TreeMap<>(getConsumerConfigUpdates()).keySet())));
  }
}
