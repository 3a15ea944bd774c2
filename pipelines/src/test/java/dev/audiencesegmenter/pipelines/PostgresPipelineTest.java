package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import dev.audiencesegmenter.io.rails.WriterLock;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on the Flink runner against a real PostgreSQL server, run three times: the
 * tables then hold exactly one row per customer and per membership, with the latest run's
 * values, and the history of entries and exits.
 */
@Timeout(1200)
class PostgresPipelineTest {
  static PostgresTestDatabase db;

  @BeforeAll
  static void startDatabase() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    db.close();
  }

  static List<String> run(Path data, Path out, String asOf, String... more) {
    List<String> args = new ArrayList<>(List.of("--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"), "--asOf=" + asOf,
        "--output=" + out, "--jdbcUrl=" + db.jdbcUrl(), "@../runner-configs/flink-local.args"));
    args.addAll(List.of(more));
    PipelineRuns.runToCompletion(args);
    return args;
  }

  static TreeSet<String> query(String sql) throws Exception {
    TreeSet<String> rows = new TreeSet<>();
    List<String> all = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        all.add(r.getString(1));
      }
    }
    rows.addAll(all);
    assertEquals(all.size(), rows.size(), "duplicate rows from " + sql);
    return rows;
  }

  @Test
  void secondRunUpdatesRowsInsteadOfDuplicatingThem(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    new SampleDataGenerator(7, LocalDate.parse("2024-06-30")).write(data, 150);
    run(data, dir.resolve("first"), "2024-03-31");
    Path second = dir.resolve("second");
    // a quarter later most memberships change, more than the rails let a run end unconfirmed
    run(data, second, "2024-06-30", "--allowLargeChanges=true");

    TreeSet<String> features = new TreeSet<>();
    for (JsonNode f : OutputFiles.rows(second.resolve("features"))) {
      features.add(f.get("customer_id").asText() + "|" + f.get("frequency").asLong() + "|"
          + f.get("monetary_total").decimalValue().toPlainString() + "|"
          + f.get("tenure_days").asLong());
    }
    TreeSet<String> memberships = new TreeSet<>();
    for (JsonNode m : OutputFiles.rows(second.resolve("segments"))) {
      memberships.add(m.get("customer_id").asText() + "|" + m.get("segment").asText() + "|"
          + m.get("holdout").asBoolean());
    }
    assertTrue(features.size() > 100 && !memberships.isEmpty());
    assertEquals(features, query("SELECT customer_id || '|' || frequency || '|' "
        + "|| monetary_total || '|' || tenure_days FROM customer_features"));
    assertEquals(memberships, query("SELECT customer_id || '|' || segment || '|' || holdout "
        + "FROM segment_memberships"));

    // history: open rows are the current memberships; first-run memberships that are gone
    // were closed when the second run happened; a rerun changes nothing
    TreeSet<String> current = new TreeSet<>();
    for (JsonNode m : OutputFiles.rows(second.resolve("segments"))) {
      current.add(m.get("customer_id").asText() + "|" + m.get("segment").asText());
    }
    TreeSet<String> gone = new TreeSet<>();
    for (JsonNode m : OutputFiles.rows(dir.resolve("first").resolve("segments"))) {
      String key = m.get("customer_id").asText() + "|" + m.get("segment").asText();
      if (!current.contains(key)) {
        gone.add(key);
      }
    }
    assertTrue(!gone.isEmpty(), "the sample must have exits between the two runs");
    assertEquals(current, query("SELECT customer_id || '|' || segment "
        + "FROM segment_membership_history WHERE exited_at IS NULL"));
    assertEquals(gone, query("SELECT customer_id || '|' || segment "
        + "FROM segment_membership_history WHERE exited_at IS NOT NULL"));
    TreeSet<String> before = query("SELECT customer_id || '|' || segment || '|' || entered_at "
        + "|| '|' || coalesce(exited_at::text, '-') FROM segment_membership_history");
    run(data, dir.resolve("again"), "2024-06-30");
    assertEquals(before, query("SELECT customer_id || '|' || segment || '|' || entered_at "
        + "|| '|' || coalesce(exited_at::text, '-') FROM segment_membership_history"));
  }

  /**
   * Issue 17, item 6: while another run holds the tables, a launch fails at once, naming the
   * holder, before it touches the output folder or the database.
   */
  @Test
  void aSecondWriterFailsAtLaunchNamingTheFirst(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    new SampleDataGenerator(7, LocalDate.parse("2024-06-30")).write(data, 30);
    Path out = dir.resolve("out");
    Path earlier = out.resolve("segments").resolve("part-00000-of-00001.jsonl");
    Files.createDirectories(earlier.getParent());
    Files.writeString(earlier, "{\"customer_id\":\"c1\",\"segment\":\"vip\"}\n");
    List<String> args = List.of("--input=" + data.resolve("events") + "/*",
        "--segments=" + PipelineRuns.sampleSegmentsWithoutValueTiers(), "--asOf=2024-06-30",
        "--output=" + out, "--jdbcUrl=" + db.jdbcUrl(), "--valueModels=false",
        "@../runner-configs/direct.args");
    try (WriterLock other = WriterLock.acquire(
        JdbcUpsert.postgresDataSource(db.jdbcUrl(), null, (String) null), "the other run's database",
        List.of("segment_membership_history"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> PipelineRuns.runToCompletion(args));
      assertTrue(e.getMessage().startsWith("segment_membership_history in the --jdbcUrl "
          + "database is being written by another run: " + WriterLock.applicationName()
          + " (PostgreSQL session " + other.sessionPid() + ", "), e.getMessage());
    }
    assertTrue(Files.exists(earlier), "the refused launch removed the earlier output");
  }
}
