package dev.audiencesegmenter.io.kafka;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.model.JsonLines;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes a schema'd PCollection to a Kafka topic, one record per element: the value is the
 * element as one line of JSON, exactly as {@link dev.audiencesegmenter.io.files.WriteJsonLines}
 * writes it ({@link JsonLines}); the key is the element's {@link #getKeyField()} (a string
 * field such as {@code customer_id}), so that one customer's records go to one partition and
 * stay in order there. An element whose key field is null is sent without a key (any
 * partition). Metrics in namespace {@code WriteJsonToKafka}'s class name: rows_written,
 * null_keys.
 *
 * <pre>{@code
 * features.apply("PublishFeatures",
 *     WriteJsonToKafka.<CustomerFeatures>to("broker-1:9092", "customer-features", "customer_id"));
 * }</pre>
 */
@AutoValue
public abstract class WriteJsonToKafka<T> extends PTransform<PCollection<T>, PDone> {
  /** Set by this transform: keys and values are always UTF-8 strings. */
  private static final Set<String> RESERVED_CONFIG = Set.of(
      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

  public abstract String getBootstrapServers();

  public abstract String getTopic();

  /** The schema field whose value is the record key. */
  public abstract String getKeyField();

  public abstract Map<String, Object> getProducerConfigUpdates();

  abstract Builder<T> toBuilder();

  /** Writes to {@code topic} at {@code bootstrapServers}, keyed by the field {@code keyField}. */
  public static <T> WriteJsonToKafka<T> to(String bootstrapServers, String topic,
      String keyField) {
    if (keyField == null || keyField.isBlank()) {
      throw new IllegalArgumentException("WriteJsonToKafka needs a key field, got '" + keyField
          + "'");
    }
    return new AutoValue_WriteJsonToKafka.Builder<T>()
        .setBootstrapServers(KafkaChecks.bootstrapServers(bootstrapServers, "WriteJsonToKafka"))
        .setTopic(KafkaChecks.topic(topic, "WriteJsonToKafka"))
        .setKeyField(keyField)
        .setProducerConfigUpdates(Map.of())
        .build();
  }

  /**
   * Producer settings ({@code acks}, {@code compression.type}, security, ...), added to
   * KafkaIO's. Bootstrap servers and serializers are set by this transform.
   */
  public WriteJsonToKafka<T> withProducerConfigUpdates(Map<String, Object> updates) {
    return toBuilder().setProducerConfigUpdates(KafkaChecks.configUpdates(updates,
        RESERVED_CONFIG, "producer")).build();
  }

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setBootstrapServers(String bootstrapServers);

    abstract Builder<T> setTopic(String topic);

    abstract Builder<T> setKeyField(String keyField);

    abstract Builder<T> setProducerConfigUpdates(Map<String, Object> updates);

    abstract WriteJsonToKafka<T> build();
  }

  @Override
  public PDone expand(PCollection<T> input) {
    if (!input.hasSchema()) {
      throw new IllegalArgumentException("WriteJsonToKafka to " + getTopic() + " needs a "
          + "PCollection with a schema, got one with coder " + input.getCoder());
    }
    Schema schema = input.getSchema();
    if (!schema.hasField(getKeyField())) {
      throw new IllegalArgumentException("WriteJsonToKafka: key field '" + getKeyField()
          + "' is not in the schema; fields: " + schema.getFieldNames());
    }
    Schema.TypeName keyType = schema.getField(getKeyField()).getType().getTypeName();
    if (keyType != Schema.TypeName.STRING) {
      throw new IllegalArgumentException("WriteJsonToKafka: key field '" + getKeyField()
          + "' must be a STRING, got " + keyType);
    }
    return input
        .apply("ToKeyedJson", ParDo.of(new ToKeyedJson<>(input.getToRowFunction(),
            getKeyField())))
        .setCoder(KvCoder.of(NullableCoder.of(StringUtf8Coder.of()), StringUtf8Coder.of()))
        .apply("WriteKafka", KafkaIO.<String, String>write()
            .withBootstrapServers(getBootstrapServers())
            .withTopic(getTopic())
            .withKeySerializer(StringSerializer.class)
            .withValueSerializer(StringSerializer.class)
            .withProducerConfigUpdates(getProducerConfigUpdates()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("bootstrapServers", getBootstrapServers()))
        .add(DisplayData.item("topic", getTopic()))
        .add(DisplayData.item("keyField", getKeyField()))
        // Keys only: values may hold credentials (sasl.jaas.config).
        .add(DisplayData.item("producerConfigKeys",
            String.join(",", new TreeMap<>(getProducerConfigUpdates()).keySet())));
  }

  /** Renders an element through its schema and picks its key. */
  private static final class ToKeyedJson<T> extends DoFn<T, KV<String, String>> {
    private final SerializableFunction<T, Row> toRow;
    private final String keyField;
    private final Counter written = Metrics.counter(WriteJsonToKafka.class, "rows_written");
    private final Counter nullKeys = Metrics.counter(WriteJsonToKafka.class, "null_keys");

    ToKeyedJson(SerializableFunction<T, Row> toRow, String keyField) {
      this.toRow = toRow;
      this.keyField = keyField;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<KV<String, String>> out) {
      Row row = toRow.apply(element);
      String key = row.getString(keyField);
      if (key == null) {
        nullKeys.inc();
      }
      out.output(KV.of(key, JsonLines.toJson(row)));
      written.inc();
    }
  }
}
