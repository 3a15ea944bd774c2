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
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming job as a user launches it: events from a real Kafka broker (shuffled across
 * two partitions, some sent twice), Flink, and a real PostgreSQL; the tables end with the
 * batch job's features and memberships, the changes topic holds every change once.
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

  @Test
  void kafkaToPostgresOnFlinkEndsWithTheBatchResults() throws Exception {
    Path data = work.resolve("data");
    new SampleDataGenerator(8, LocalDate.parse(BatchReference.AS_OF)).write(data, 40);
    // Kafka carries JSON lines: the generator's JSON Lines files (its app events are CSV).
    String input = data.resolve("events") + "/*.jsonl*";
    BatchReference reference = BatchReference.of(input, work.resolve("batch"));

    List<String> lines = jsonLines(data.resolve("events"));
    Collections.shuffle(lines, new Random(3));
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      records.add(new ProducerRecord<>("events", i % 2, null, lines.get(i)));
      if (i % 25 == 0) {
        records.add(new ProducerRecord<>("events", (i + 1) % 2, null, lines.get(i))); // again
      }
    }
    kafka.createTopic("events", 2);
    kafka.createTopic("changes", 2);
    kafka.produce(records);

    Path rules = work.resolve("identity.yaml");
    StringBuilder yaml = new StringBuilder("blocked_values:\n");
    for (Map.Entry<String, List<String>> e : reference.junk.entrySet()) {
      yaml.append("  ").append(e.getKey()).append(":\n");
      e.getValue().forEach(v -> yaml.append("    - \"").append(v).append("\"\n"));
    }
    Files.writeString(rules, yaml);

    PipelineOptionsFactory.register(StreamingSegmentationOptions.class);
    StreamingSegmentationOptions options = PipelineOptionsFactory.fromArgs(
        "--kafkaBootstrapServers=" + kafka.bootstrapServers(), "--kafkaEventsTopic=events",
        "--kafkaBounded=true", "--kafkaChangesTopic=changes",
        "--segments=" + BatchReference.SEGMENTS, "--identityRules=" + rules,
        "--asOf=" + BatchReference.AS_OF, "--jdbcUrl=" + db.jdbcUrl(),
        "--evaluationIntervalMillis=21600000", "--reevaluationIntervalHours=720",
        "--allowedLatenessHours=87600",
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2")
        .as(StreamingSegmentationOptions.class);
    assertEquals(PipelineResult.State.DONE,
        StreamingSegmentationPipeline.run(options).waitUntilFinish());

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
    List<ConsumerRecord<String, String>> changes = kafka.consumeAll("changes");
    TreeSet<String> distinct = new TreeSet<>();
    changes.forEach(r -> distinct.add(r.value()));
    assertEquals(changes.size(), distinct.size(), "a change was written twice");
    assertEquals(query("SELECT count(*) FROM segment_membership_changes").first(),
        String.valueOf(changes.size()));
    assertTrue(changes.size() > reference.members.size(), changes.size() + " changes");
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
