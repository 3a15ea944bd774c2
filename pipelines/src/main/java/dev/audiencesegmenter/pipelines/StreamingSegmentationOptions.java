package dev.audiencesegmenter.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of {@link StreamingSegmentationPipeline}: those of the batch job (segments, identity
 * rules, feature and lifecycle settings, JDBC) plus the stream's source, sinks and timing.
 * {@code --input} replays files instead of reading Kafka; {@code --asOf} ends a replay with an
 * evaluation as of that instant.
 */
public interface StreamingSegmentationOptions extends SegmentationPipelineOptions {
  @Description("Kafka bootstrap servers (host:port,...). With --kafkaEventsTopic, events are "
      + "read from Kafka; without, --input files are replayed.")
  String getKafkaBootstrapServers();

  void setKafkaBootstrapServers(String value);

  @Description("Kafka topic of events: one JSON line per record (data-formats.md).")
  String getKafkaEventsTopic();

  void setKafkaEventsTopic(String value);

  @Description("Optional Kafka topic for membership changes (entered / exited), keyed by "
      + "customer_id.")
  String getKafkaChangesTopic();

  void setKafkaChangesTopic(String value);

  @Description("Optional Kafka topic for dead letters (bad records, events too late).")
  String getKafkaDeadLetterTopic();

  void setKafkaDeadLetterTopic(String value);

  @Description("Read the events topic up to its end offsets at start, then finish (a "
      + "backfill); by default the job reads on until cancelled.")
  @Default.Boolean(false)
  boolean getKafkaBounded();

  void setKafkaBounded(boolean value);

  @Description("How far behind the newest event time of a Kafka partition the watermark "
      + "trails, in seconds.")
  @Default.Long(60)
  long getMaxOutOfOrdernessSeconds();

  void setMaxOutOfOrdernessSeconds(long value);

  @Description("Evaluation grid, in milliseconds: a customer is evaluated at the first "
      + "multiple of this after each event.")
  @Default.Long(1000)
  long getEvaluationIntervalMillis();

  void setEvaluationIntervalMillis(long value);

  @Description("Re-evaluate each customer this often, in hours, so that time-based "
      + "conditions change without new events.")
  @Default.Long(24)
  long getReevaluationIntervalHours();

  void setReevaluationIntervalHours(long value);

  @Description("Stop re-evaluating a customer this many days after its newest event.")
  @Default.Long(400)
  long getReevaluationHorizonDays();

  void setReevaluationHorizonDays(long value);

  @Description("An event older than its customer's newest event by more than this many hours "
      + "is dead-lettered.")
  @Default.Long(168)
  long getAllowedLatenessHours();

  void setAllowedLatenessHours(long value);
}
