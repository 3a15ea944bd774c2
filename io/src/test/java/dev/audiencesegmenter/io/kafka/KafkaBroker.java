package dev.audiencesegmenter.io.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A real Kafka broker for tests: one combined KRaft broker and controller in this JVM (Kafka's
 * own test kit), on free ports, its log folders in a temporary folder that {@link #close()}
 * deletes. Starts in about a second; start one per test class.
 *
 * <pre>{@code
 * static KafkaBroker kafka;
 * @BeforeAll static void start() { kafka = KafkaBroker.start(); }
 * @AfterAll static void stop() throws Exception { kafka.close(); }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final KafkaClusterTestKit cluster;

  private KafkaBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Formats and starts a single-node cluster and waits until its broker is ready. */
  public static KafkaBroker start() {
    KafkaClusterTestKit cluster = null;
    try {
      cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
              .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
          // One broker: the internal topics cannot have more replicas.
          .setConfigProp("offsets.topic.replication.factor", "1")
          .setConfigProp("transaction.state.log.replication.factor", "1")
          .setConfigProp("transaction.state.log.min.isr", "1")
          // Consumer groups start at once instead of after 3 s.
          .setConfigProp("group.initial.rebalance.delay.ms", "0")
          .build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new KafkaBroker(cluster);
    } catch (Exception e) {
      if (cluster != null) {
        try {
          cluster.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new IllegalStateException("Cannot start the Kafka test broker", e);
    }
  }

  /** {@code host:port} of the broker, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Creates {@code topic} with this many partitions and waits until it exists. */
  public void createTopic(String topic, int partitions) {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
          .all().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted creating topic " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Cannot create topic " + topic, e);
    }
  }

  /** Sends the records (String key and value; a null key is allowed) and waits for acks. */
  public void produce(List<ProducerRecord<String, String>> records) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      for (ProducerRecord<String, String> record : records) {
        producer.send(record).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted producing", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Cannot produce to the test broker", e);
    }
  }

  /**
   * Every record in {@code topic} now, read from the start of each partition up to its end
   * offset: partition by partition, each in offset order.
   */
  public List<ConsumerRecord<String, String>> consumeAll(String topic) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, WAIT).stream()
          .map(p -> new TopicPartition(topic, p.partition()))
          .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
          .toList();
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, WAIT);
      List<ConsumerRecord<String, String>> all = new ArrayList<>();
      for (TopicPartition partition : partitions) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (consumer.position(partition, WAIT) < ends.get(partition)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Timed out reading " + partition);
          }
          consumer.poll(Duration.ofMillis(200)).forEach(all::add);
        }
      }
      return all;
    }
  }

  /** Stops the broker and deletes its folders. */
  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
