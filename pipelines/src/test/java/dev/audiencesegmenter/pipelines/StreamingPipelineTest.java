package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import dev.audiencesegmenter.io.kafka.KafkaBroker;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import dev.audiencesegmenter.io.kafka.ReadCustomerEventsFromKafka;
import dev.audiencesegmenter.io.kafka.WriteJsonToKafka;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.MembershipChange;
import dev.audiencesegmenter.streaming.SegmentContinuously;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming job as a user launches it: events from a real Kafka broker (some sent twice),
 * Flink, and a real PostgreSQL; the tables end with the batch job's features and memberships,
 * the changes topic holds every change once; and a failure mid-stream is recovered from a
 * checkpoint without loss or duplicates.
 */
@Timeout(600)
class StreamingPipelineTest {
  @TempDir static Path work;
  static KafkaBroker kafka;
  static PostgresTestDatabase db;

  @BeforeAll
  static void start() {
    kafka = KafkaBroker.start();
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
    db.close();
  }

  /** Set when the injected failure has happened: the job restarts in this JVM. */
  static final AtomicBoolean FAILED = new AtomicBoolean();
  /** Events passed on by the slow step, over all attempts of the job. */
  static final java.util.concurrent.atomic.AtomicInteger PASSED =
      new java.util.concurrent.atomic.AtomicInteger();

  @Test
  void kafkaToPostgresOnFlinkEndsWithTheBatchResults() throws Exception {
    runAndCheck("plain", false);
  }

  /**
   * An endless Kafka read with checkpoints every 200 ms; a task fails mid-stream, Flink
   * restores the latest checkpoint (state and Kafka offsets) and the job goes on: the tables end
   * with the batch results, nothing lost and no row written twice.
   */
  @Test
  void recoversFromAFailedTaskWithoutLossOrDuplicates() throws Exception {
    FAILED.set(false);
    PASSED.set(0);
    int events = runAndCheck("recovery", true);
    assertTrue(FAILED.get(), "the failure was injected");
    // Restarted from scratch, the job would pass on 3/4 of the events and then all of them
    // again; restored from a checkpoint, it resumes from the offsets saved in it.
    assertTrue(PASSED.get() < events * 3 / 4 - 1 + events, PASSED.get() + " events passed, "
        + events + " in the topic: the job did not resume from a checkpoint");
  }

  /** Runs the job over a fresh topic and checks the tables; returns the records produced. */
  private static int runAndCheck(String name, boolean fail) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      for (String table : List.of("customer_features_live", "segment_memberships_live",
          "segment_membership_changes", "customer_merges")) {
        s.execute("DROP TABLE IF EXISTS " + table);
      }
    }
    Path data = work.resolve(name);
    new SampleDataGenerator(8, LocalDate.parse(BatchReference.AS_OF)).write(data, 40);
    // Kafka carries JSON lines: the generator's JSON Lines files (its app events are CSV).
    String input = data.resolve("events") + "/*.jsonl*";
    BatchReference reference = BatchReference.of(input, work.resolve("batch"));

    String events = name + "-events";
    String changes = name + "-changes";
    List<String> lines = jsonLines(data.resolve("events"));
    if (fail) {
      // In event-time order on one partition: the watermark follows the events closely.
      lines.sort(java.util.Comparator.comparing(
          l -> l.replaceAll(".*\"time\":\"([^\"]+)\".*", "$1")));
    } else {
      Collections.shuffle(lines, new Random(3));
    }
    int partitions = fail ? 1 : 2;
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      records.add(new ProducerRecord<>(events, i % partitions, null, lines.get(i)));
      if (i % 25 == 0) {
        records.add(new ProducerRecord<>(events, (i + 1) % partitions, null, lines.get(i)));
      }
    }
    kafka.createTopic(events, partitions);
    kafka.createTopic(changes, 2);
    kafka.produce(records);

    Path rules = work.resolve("identity.yaml");
    StringBuilder yaml = new StringBuilder("blocked_values:\n");
    for (Map.Entry<String, List<String>> e : reference.junk.entrySet()) {
      yaml.append("  ").append(e.getKey()).append(":\n");
      e.getValue().forEach(v -> yaml.append("    - \"").append(v).append("\"\n"));
    }
    Files.writeString(rules, yaml);

    PipelineOptionsFactory.register(StreamingSegmentationOptions.class);
    List<String> args = new ArrayList<>(List.of(
        "--kafkaBootstrapServers=" + kafka.bootstrapServers(), "--kafkaEventsTopic=" + events,
        "--kafkaBounded=" + !fail, "--kafkaChangesTopic=" + changes,
        "--segments=" + BatchReference.SEGMENTS, "--identityRules=" + rules,
        "--asOf=" + BatchReference.AS_OF, "--jdbcUrl=" + db.jdbcUrl(),
        "--evaluationIntervalMillis=21600000", "--reevaluationIntervalHours=720",
        "--allowedLatenessHours=" + (fail ? 1 : 87600),
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"));
    if (fail) {
      // An endless Kafka read, checkpointed every 200 ms, launched without waiting for it.
      args.addAll(List.of("--checkpointingInterval=200", "--numberOfExecutionRetries=2",
          "--executionRetryDelay=200", "--maxBundleTimeMills=50", "--attachedMode=false"));
    }
    StreamingSegmentationOptions options = PipelineOptionsFactory
        .fromArgs(args.toArray(new String[0])).as(StreamingSegmentationOptions.class);
    Pipeline pipeline = Pipeline.create(options);
    if (fail) {
      // The job of StreamingSegmentationPipeline.build, with a step that slows the events
      // down (so that checkpoints complete during the read) and fails once, mid-stream.
      options.as(org.apache.beam.sdk.options.StreamingOptions.class).setStreaming(true);
      options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class)
          .setShutdownSourcesAfterIdleMs(0L); // as StreamingSegmentationPipeline.build does
      SegmentContinuously.Result result = pipeline
          .apply(ReadCustomerEventsFromKafka.from(kafka.bootstrapServers(), events)
              .withConsumerConfigUpdates(Map.of("auto.offset.reset", "earliest")))
          .getRecords()
          .apply("SlowThenFailOnce", ParDo.of(new SlowThenFailOnce(records.size() * 3 / 4)))
          .apply(StreamingSegmentationPipeline.segmentation(options));
      StreamingSegmentationPipeline.writeToDatabase(options, result);
      result.getChanges().apply(WriteJsonToKafka.<MembershipChange>to(
          kafka.bootstrapServers(), changes, "customer_id"));
      PipelineResult job = LargeStackSubmission.run(pipeline);
      // The job never ends by itself: wait until the tables are right, then cancel it.
      long deadline = System.nanoTime() + 150_000_000_000L;
      try {
        while (true) {
          try {
            checkTables(reference, changes, true);
            break;
          } catch (AssertionError | SQLException notYet) { // wrong, or no table yet
            if (System.nanoTime() > deadline) {
              throw notYet;
            }
            Thread.sleep(1000);
          }
        }
      } finally {
        job.cancel();
      }
      return records.size();
    }
    StreamingSegmentationPipeline.build(pipeline, options);
    assertEquals(PipelineResult.State.DONE, LargeStackSubmission.run(pipeline).waitUntilFinish());
    checkTables(reference, changes, false);
    return records.size();
  }
  /** The tables hold the batch job's results; every change is in the history once. */
  private static void checkTables(BatchReference reference, String changes, boolean fail)
      throws Exception {
    TreeSet<String> merged = query("SELECT other_id FROM customer_merges");
    TreeSet<String> features = new TreeSet<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rows = s.executeQuery("SELECT customer_id FROM customer_features_live")) {
      while (rows.next()) {
        if (!merged.contains(rows.getString(1))) {
          features.add(rows.getString(1));
        }
      }
    }
    TreeSet<String> expectedCustomers = new TreeSet<>();
    reference.features.forEach(f -> expectedCustomers.add(
        f.substring(f.indexOf("\"customer_id\":\"") + 15, f.indexOf("\",", 15))));
    assertEquals(expectedCustomers, features);
    assertEquals(reference.members, query("SELECT customer_id || '|' || segment || '|' || "
        + "\"group\" || '|' || holdout FROM segment_memberships_live WHERE change = 'entered' "
        + "AND customer_id NOT IN (SELECT other_id FROM customer_merges)"));
    // Frequencies and totals, customer by customer, as the batch job has them.
    TreeSet<String> expectedTotals = new TreeSet<>();
    for (String f : reference.features) {
      var row = BatchReference.JSON.readTree(f);
      expectedTotals.add(row.get("customer_id").asText() + " " + row.get("frequency").asLong()
          + " " + row.get("monetary_total").decimalValue().setScale(2) + " "
          + row.get("email_opens_90d").asLong());
    }
    assertEquals(expectedTotals, query("SELECT customer_id || ' ' || frequency || ' ' || "
        + "monetary_total || ' ' || email_opens_90d FROM customer_features_live WHERE "
        + "customer_id NOT IN (SELECT other_id FROM customer_merges)"));

    // Every change is on the topic once, as in the history table.
    // Every change is in the history table once; the topic has each of them (at least once
    // after a restore: the Kafka sink is not transactional).
    List<ConsumerRecord<String, String>> published = kafka.consumeAll(changes);
    TreeSet<String> distinct = new TreeSet<>();
    published.forEach(r -> distinct.add(r.value()));
    if (!fail) {
      assertEquals(published.size(), distinct.size(), "a change was written twice");
    }
    assertEquals(query("SELECT count(*) FROM segment_membership_changes").first(),
        String.valueOf(distinct.size()));
    assertEquals(query("SELECT count(*) FROM (SELECT DISTINCT customer_id, segment, at, change "
        + "FROM segment_membership_changes) d").first(), String.valueOf(distinct.size()));
    assertTrue(distinct.size() > reference.members.size(), distinct.size() + " changes");
  }

  /** Passes events on, 20 ms apart; throws once, at the {@code failAt}-th event. */
  private static final class SlowThenFailOnce extends DoFn<CustomerEvent, CustomerEvent> {
    private final int failAt;

    SlowThenFailOnce(int failAt) {
      this.failAt = failAt;
    }

    @ProcessElement
    public void process(@Element CustomerEvent event, OutputReceiver<CustomerEvent> out)
        throws InterruptedException {
      Thread.sleep(20);
      if (PASSED.get() >= failAt && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure (recovery test)");
      }
      PASSED.incrementAndGet();
      out.output(event);
    }
  }

  private static TreeSet<String> query(String sql) throws SQLException {
    TreeSet<String> values = new TreeSet<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rows = s.executeQuery(sql)) {
      while (rows.next()) {
        values.add(rows.getString(1));
      }
    }
    return values;
  }

  private static List<String> jsonLines(Path folder) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(f -> f.toString().contains(".jsonl")).sorted().toList()) {
        try (InputStream raw = Files.newInputStream(file);
            InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
          for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
              lines.add(line);
            }
          }
        }
      }
    }
    return lines;
  }
}
