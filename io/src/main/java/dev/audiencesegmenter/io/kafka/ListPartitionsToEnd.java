package dev.audiencesegmenter.io.kafka;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.kafka.KafkaSourceDescriptor;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * For the bounded read: one source descriptor per partition of the topic, from its first
 * offset to its end offset when the pipeline runs (not when it is built), so later records are
 * not read and the read ends.
 */
final class ListPartitionsToEnd extends DoFn<byte[], KafkaSourceDescriptor> {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final String topic;
  private final HashMap<String, Object> consumerConfig;

  ListPartitionsToEnd(String bootstrapServers, String topic, Map<String, Object> updates) {
    this.topic = topic;
    this.consumerConfig = new HashMap<>(updates);
    this.consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
  }

  @ProcessElement
  public void process(OutputReceiver<KafkaSourceDescriptor> out) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
          .map(p -> new TopicPartition(topic, p.partition()))
          .sorted(Comparator.comparingInt(TopicPartition::partition))
          .toList();
      if (partitions.isEmpty()) {
        throw new IllegalStateException("Kafka topic '" + topic + "' has no partitions "
            + "(does it exist?)");
      }
      Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions, TIMEOUT);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
      for (TopicPartition partition : partitions) {
        long start = starts.get(partition);
        long end = ends.get(partition);
        if (end > start) {  // an empty partition has nothing to read
          out.output(KafkaSourceDescriptor.of(partition, start, null, end, null, null));
        }
      }
    }
  }
}
