package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.features.AsOf;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.kafka.ReadCustomerEventsFromKafka;
import dev.audiencesegmenter.io.kafka.WriteJsonToKafka;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.MembershipChange;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.streaming.SegmentContinuously;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.WithTimestamps;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming segmentation job: events from Kafka (or files replayed in event-time order),
 * identities linked as they arrive, features and segment memberships kept up to date per
 * customer ({@link SegmentContinuously}), and every change written as it happens: to
 * PostgreSQL ({@code --jdbcUrl}: tables {@value #FEATURES_TABLE}, {@value #LIVE_TABLE},
 * {@value #CHANGES_TABLE}, {@value #MERGES_TABLE}) and to Kafka ({@code --kafkaChangesTopic}).
 * Every table is upserted by its key, so a replay after a failure writes no duplicate row.
 *
 * <pre>
 * java -cp audience-segmenter-pipelines-VERSION.jar \
 *     dev.audiencesegmenter.pipelines.StreamingSegmentationPipeline \
 *     --kafkaBootstrapServers=localhost:9092 --kafkaEventsTopic=events \
 *     --segments=sample/segments-streaming.yaml --jdbcUrl=jdbc:postgresql://localhost/cdp \
 *     --runner=FlinkRunner --flinkMaster=localhost:8081 --checkpointingInterval=30000
 * </pre>
 */
public final class StreamingSegmentationPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingSegmentationPipeline.class);

  static final String FEATURES_TABLE = "customer_features_live";
  static final String LIVE_TABLE = "segment_memberships_live";
  static final String CHANGES_TABLE = "segment_membership_changes";
  static final String MERGES_TABLE = "customer_merges";

  private StreamingSegmentationPipeline() {}

  /** How the job is started, as {@code --help} shows it. */
  static final String USAGE = "java -cp audience-segmenter-pipelines.jar "
      + StreamingSegmentationPipeline.class.getName() + " --kafkaBootstrapServers=<host:port> "
      + "--kafkaEventsTopic=<topic> --segments=<segments.yaml> [options]";

  public static void main(String[] args) {
    int status = launch(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /** As {@link SegmentationPipeline#launch}: 0 ended, 1 failed, 2 a command-line mistake. */
  static int launch(String[] args, PrintStream out, PrintStream err) {
    // not validated by Beam: --input is required in batch only
    return CommandLine.launch(args, StreamingSegmentationOptions.class, USAGE, false, out, err,
        (options, unused) -> {
          PipelineResult.State state = run(options).waitUntilFinish();
          LOG.info("Streaming pipeline finished: {}", state);
          return state == PipelineResult.State.DONE ? 0 : 1;
        });
  }


  public static PipelineResult run(StreamingSegmentationOptions options) {
    return LargeStackSubmission.run(create(options));
  }

  /** The job's pipeline, built and not yet run, with the runner's options only. */
  static Pipeline create(StreamingSegmentationOptions options) {
    Pipeline pipeline = Pipeline.create(
        RunnerOptions.of(options, StreamingSegmentationOptions.class));
    build(pipeline, options);
    return pipeline;
  }

  /** Adds the job to {@code pipeline}; configuration is checked before anything runs. */
  static SegmentContinuously.Result build(Pipeline pipeline,
      StreamingSegmentationOptions options) {
    boolean kafka = options.getKafkaEventsTopic() != null
        && !options.getKafkaEventsTopic().isBlank();
    List<InputSources.Source> sources = InputSources.resolve(options.getInput(),
        SourceMapping.Kind.EVENTS, "--input");
    boolean files = !sources.isEmpty();
    if (kafka == files) {
      throw new IllegalArgumentException("Give exactly one source: --kafkaEventsTopic (with "
          + "--kafkaBootstrapServers) or --input files to replay");
    }
    if (options.getSegments() == null || options.getSegments().isBlank()) {
      throw new IllegalArgumentException("--segments is required");
    }
    if (!SegmentationPipeline.purchaseCovariates(options).isEmpty()) {
      throw new IllegalArgumentException("--purchaseCovariates is an option of the batch job: "
          + "the streaming job fits no value models to give covariates to");
    }
    // State and timers run in streaming mode on every runner, also over a bounded replay. Set
    // on the pipeline's options: those are what the runner gets (see RunnerOptions).
    pipeline.getOptions().as(StreamingOptions.class).setStreaming(true);
    FlinkPipelineOptions flink = pipeline.getOptions().as(FlinkPipelineOptions.class);
    if (flink.getShutdownSourcesAfterIdleMs() < 0) {
      // With checkpointing, Flink's runner keeps finished bounded sources alive by default;
      // the JDBC sink's "table ready" signal (a bounded source) would then never arrive.
      // Flink 1.19 checkpoints with finished tasks, so let them finish.
      flink.setShutdownSourcesAfterIdleMs(0L);
    }
    SegmentContinuously segment = segmentation(options);

    PCollection<CustomerEvent> events;
    PCollection<DeadLetter> readRejects;
    if (kafka) {
      ReadCustomerEventsFromKafka source = ReadCustomerEventsFromKafka
          .from(options.getKafkaBootstrapServers(), options.getKafkaEventsTopic())
          .withMaxOutOfOrderness(Duration.standardSeconds(options.getMaxOutOfOrdernessSeconds()))
          .withMaxLineBytes(options.getMaxLineBytes())
          .withMaxIdentifiersPerRecord(options.getMaxIdentifiersPerRecord());
      ReadResult<CustomerEvent> read = pipeline.apply("ReadEventsFromKafka",
          options.getKafkaBounded() ? source.withBoundedReadToEndOffsets() : source);
      events = read.getRecords();
      readRejects = read.getDeadLetters();
    } else {
      List<PCollection<CustomerEvent>> records = new ArrayList<>();
      List<PCollection<DeadLetter>> rejects = new ArrayList<>();
      for (int i = 0; i < sources.size(); i++) {
        InputSources.Source source = sources.get(i);
        ReadCustomerEvents reader = ReadCustomerEvents.from(source.spec().pattern())
            .withMaxLineBytes(options.getMaxLineBytes())
            .withMaxIdentifiersPerRecord(options.getMaxIdentifiersPerRecord());
        if (source.mapping() != null) {
          reader = reader.withMapping(source.mapping());
        }
        ReadResult<CustomerEvent> read = pipeline.apply(
            sources.size() == 1 ? "ReadEventFiles" : "ReadEventFiles-" + (i + 1), reader);
        records.add(read.getRecords());
        rejects.add(read.getDeadLetters());
      }
      events = PCollectionList.of(records).apply("AllEventFiles", Flatten.pCollections())
          .apply("AtEventTime", WithTimestamps.of((CustomerEvent e) -> e.getEventTime()));
      readRejects = PCollectionList.of(rejects).apply("AllFileRejects",
          Flatten.pCollections());
    }
    SegmentContinuously.Result result = events.apply("SegmentContinuously", segment);
    PCollection<DeadLetter> deadLetters = PCollectionList.of(readRejects)
        .and(result.getDeadLetters())
        .apply("CollectDeadLetters", Flatten.pCollections());

    if (options.getJdbcUrl() != null && !options.getJdbcUrl().isBlank()) {
      writeToDatabase(options, result);
    }
    String bootstrap = options.getKafkaBootstrapServers();
    if (options.getKafkaChangesTopic() != null && !options.getKafkaChangesTopic().isBlank()) {
      result.getChanges().apply("WriteChangesToKafka", WriteJsonToKafka
          .<MembershipChange>to(bootstrap, options.getKafkaChangesTopic(), "customer_id"));
    }
    if (options.getKafkaDeadLetterTopic() != null
        && !options.getKafkaDeadLetterTopic().isBlank()) {
      deadLetters.apply("WriteDeadLettersToKafka", WriteJsonToKafka
          .<DeadLetter>to(bootstrap, options.getKafkaDeadLetterTopic(), "step"));
    }
    return result;
  }

  /** The streaming transform as the options configure it. */
  static SegmentContinuously segmentation(StreamingSegmentationOptions options) {
    SegmentDefinitions segments = SegmentDefinitions.parse(
        SegmentationPipeline.readText(options.getSegments()), options.getSegments());
    SegmentContinuously segment = SegmentContinuously.of(segments)
        .withFeatures(SegmentationPipeline.computeFeatures(options, new Instant(0)))
        .withLifecycle(SegmentationPipeline.lifecycle(options))
        .withDefaultRegion(options.getDefaultRegion())
        .withEvaluationInterval(Duration.millis(options.getEvaluationIntervalMillis()))
        .withReevaluation(Duration.standardHours(options.getReevaluationIntervalHours()),
            Duration.standardDays(options.getReevaluationHorizonDays()))
        .withAllowedLateness(Duration.standardHours(options.getAllowedLatenessHours()));
    if (options.getIdentityRules() != null && !options.getIdentityRules().isBlank()) {
      segment = segment.withIdentityRules(IdentityRules.parse(
          SegmentationPipeline.readText(options.getIdentityRules()), options.getIdentityRules(),
          options.getDefaultRegion()));
    }
    if (options.getAsOf() != null && !options.getAsOf().isBlank()) {
      segment = segment.withUntil(AsOf.parse(options.getAsOf(), "--asOf"));
    }
    return segment;
  }

  static void writeToDatabase(StreamingSegmentationOptions options,
      SegmentContinuously.Result result) {
    Credential password = SegmentationPipeline.password(options);
    result.getFeatures().apply("UpsertFeatures", SegmentationPipeline.database(
        JdbcUpsert.<CustomerFeatures>into(FEATURES_TABLE), options, password)
        .withKeyColumns("customer_id"));
    // The latest change per customer and segment: 'entered' rows are the members now.
    result.getChanges().apply("UpsertLiveMemberships", SegmentationPipeline.database(
        JdbcUpsert.<MembershipChange>into(LIVE_TABLE), options, password)
        .withKeyColumns("customer_id", "segment"));
    result.getChanges().apply("UpsertChanges", SegmentationPipeline.database(
        JdbcUpsert.<MembershipChange>into(CHANGES_TABLE), options, password)
        .withKeyColumns("customer_id", "segment", "at", "change"));
    result.getMerges().apply("UpsertMerges", SegmentationPipeline.database(
        JdbcUpsert.<IdentityChange>into(MERGES_TABLE), options, password)
        .withKeyColumns("kept_id", "other_id"));
  }
}
