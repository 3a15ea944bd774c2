package dev.audiencesegmenter.io.kafka;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.files.SourceSchemaTransform;
import java.util.List;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldDescription;
import org.apache.beam.sdk.schemas.transforms.SchemaTransform;
import org.apache.beam.sdk.schemas.transforms.TypedSchemaTransformProvider;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * {@link ReadCustomerEventsFromKafka} for Beam YAML and the other SDKs: a topic's JSON events to
 * rows of the {@code CustomerEvent} schema ({@code events}, timestamped at their event time)
 * and the rejected records ({@code dead_letters}).
 *
 * <pre>{@code
 * - type: beam:schematransform:dev.audiencesegmenter:read_customer_events_from_kafka:v1
 *   name: ReadEvents
 *   config: {bootstrap_servers: "broker:9092", topic: customer-events,
 *            max_out_of_orderness_seconds: 300}
 * }</pre>
 */
public final class ReadCustomerEventsFromKafkaSchemaTransformProvider extends
    TypedSchemaTransformProvider<
        ReadCustomerEventsFromKafkaSchemaTransformProvider.Configuration> {
  public static final String IDENTIFIER =
      "beam:schematransform:dev.audiencesegmenter:read_customer_events_from_kafka:v1";

  /** The settings, as a row. */
  @DefaultSchema(AutoValueSchema.class)
  @AutoValue
  public abstract static class Configuration {
    @SchemaFieldDescription("Kafka bootstrap servers, host:port[,host:port].")
    public abstract String getBootstrapServers();

    @SchemaFieldDescription("The topic of JSON events (one event per record value).")
    public abstract String getTopic();

    @SchemaFieldDescription("How late an event may be, in seconds, before it counts as late "
        + "(default 60).")
    public abstract @Nullable Long getMaxOutOfOrdernessSeconds();

    @SchemaFieldDescription("Read up to the end offsets at the start and stop (a bounded read, "
        + "for batch runs and tests); default false, an endless stream.")
    public abstract @Nullable Boolean getBounded();

    public static Builder builder() {
      return new AutoValue_ReadCustomerEventsFromKafkaSchemaTransformProvider_Configuration
          .Builder();
    }

    /** Builds a configuration. */
    @AutoValue.Builder
    public abstract static class Builder {
      public abstract Builder setBootstrapServers(String servers);

      public abstract Builder setTopic(String topic);

      public abstract Builder setMaxOutOfOrdernessSeconds(@Nullable Long seconds);

      public abstract Builder setBounded(@Nullable Boolean bounded);

      public abstract Configuration build();
    }
  }

  @Override
  public String identifier() {
    return IDENTIFIER;
  }

  @Override
  public String description() {
    return "Reads customer events from a Kafka topic into rows at their event time; rejected "
        + "records are dead letters with their reason.";
  }

  @Override
  public List<String> inputCollectionNames() {
    return List.of();
  }

  @Override
  public List<String> outputCollectionNames() {
    return List.of("events", "dead_letters");
  }

  @Override
  protected SchemaTransform from(Configuration configuration) {
    String servers = configuration.getBootstrapServers();
    String topic = configuration.getTopic();
    if (servers == null || servers.isBlank() || topic == null || topic.isBlank()) {
      throw new IllegalArgumentException(identifier() + ": bootstrap_servers and topic are "
          + "required, got '" + servers + "' and '" + topic + "'");
    }
    ReadCustomerEventsFromKafka read = ReadCustomerEventsFromKafka.from(servers, topic);
    Long seconds = configuration.getMaxOutOfOrdernessSeconds();
    if (seconds != null) {
      if (seconds < 0) {
        throw new IllegalArgumentException(identifier() + ": max_out_of_orderness_seconds must "
            + "not be negative, got " + seconds);
      }
      read = read.withMaxOutOfOrderness(Duration.standardSeconds(seconds));
    }
    if (Boolean.TRUE.equals(configuration.getBounded())) {
      read = read.withBoundedReadToEndOffsets();
    }
    return new SourceSchemaTransform(read, "events");
  }
}
