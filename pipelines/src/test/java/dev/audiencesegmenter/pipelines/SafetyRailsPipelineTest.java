package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import dev.audiencesegmenter.io.rails.FolderLock;
import dev.audiencesegmenter.io.rails.WriterLock;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, safety rails on destructive steps: a degenerate run removes nothing (item 5), the
 * sync state location (item 7) and the previous run's files under the same output (item 7), on
 * small generated data with the Direct runner.
 */
@Timeout(900)
class SafetyRailsPipelineTest {

  static SegmentationPipelineOptions options(String... args) {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs(args).withValidation()
        .as(SegmentationPipelineOptions.class);
  }

  static List<String> dataArgs(Path dir, Path out) throws Exception {
    return dataArgs(dir.resolve("data"), 60, out);
  }

  /** Generated customers: the same seed makes the first N the same customers at any size. */
  static List<String> dataArgs(Path data, int customers, Path out) throws Exception {
    if (!Files.exists(data)) {
      new SampleDataGenerator(5, LocalDate.parse("2024-06-30")).write(data, customers);
    }
    return new ArrayList<>(List.of("--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.sampleSegmentsWithoutValueTiers(), "--asOf=2024-06-30",
        "--output=" + out, "--valueModels=false", "@../runner-configs/direct.args"));
  }

  @Test
  void aSecondRunOnTheSameSyncStateFolderFailsAtLaunchNamingTheFirst(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("out");
    Path earlier = out.resolve("segments").resolve("part-00000-of-00001.jsonl");
    Files.createDirectories(earlier.getParent());
    Files.writeString(earlier, "{\"customer_id\":\"c1\",\"segment\":\"vip\"}\n");
    String state = dir.resolve("state") + "/";
    List<String> args = List.of("--input=" + PipelineRuns.SAMPLE.resolve("events") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"), "--asOf=2024-06-30",
        "--output=" + out, "--sinks=hubspot,klaviyo", "--syncState=" + state,
        "--hubspotAccessToken=pat-na1-never-sent", "--klaviyoApiKey=pk_never_sent",
        "@../runner-configs/direct.args");
    try (FolderLock other = FolderLock.acquire(state, List.of("klaviyo"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> PipelineRuns.runToCompletion(args));
      assertEquals("The sync state " + state + "klaviyo/ is being written by another run: "
          + WriterLock.applicationName() + ", since " + other.since() + ". Two runs syncing "
          + "the same state undo each other's removals: wait for that run to end. If it was "
          + "killed, delete " + state + "klaviyo/" + FolderLock.FILE + ".", e.getMessage());
      assertFalse(Files.exists(Path.of(state, "hubspot", FolderLock.FILE)),
          "the lock taken before the refusal was released");
    }
    assertTrue(Files.exists(earlier), "the refused launch removed the earlier output");
  }

  @Test
  void sinksWithoutASyncStateFailAtLaunchSayingWhy(@TempDir Path dir) {
    String[] base = {"--input=in/*", "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30", "--output=" + dir.resolve("out"), "--sinks=hubspot",
        "--dryRun=true"};
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> SegmentationPipeline.build(Pipeline.create(), options(base)));
    assertEquals("--sinks needs --syncState: a folder (e.g. gs://bucket/sync-state/) or a "
        + "jdbc:postgresql: URL that every run of this job uses. The sync state is how a run "
        + "knows what each platform already holds, and so which customers to remove from it; "
        + "a state kept under a new --output folder per run would start empty every time, and "
        + "nobody would ever be removed. To keep the state under a fixed output folder, pass "
        + "--syncState=" + dir.resolve("out") + "/sync-state/", missing.getMessage());

    String[] both = java.util.stream.Stream.concat(java.util.Arrays.stream(base),
        java.util.stream.Stream.of("--syncState=" + dir.resolve("state"),
            "--syncStateJdbcUrl=jdbc:postgresql://db/state")).toArray(String[]::new);
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> Activation.syncState(options(both)));
    assertEquals("Give the sync state once: --syncState, --syncStateDir or --syncStateJdbcUrl "
        + "(got --syncState and --syncStateJdbcUrl)", twice.getMessage());

    SegmentationPipelineOptions folder = options("--input=x", "--segments=y", "--output=o",
        "--syncState=" + dir.resolve("state"));
    assertEquals(dir.resolve("state") + "/", Activation.stateFolder(folder));
    assertNull(Activation.stateDatabase(folder));
    SegmentationPipelineOptions database = options("--input=x", "--segments=y", "--output=o",
        "--syncState=jdbc:postgresql://db/state");
    assertNotNull(Activation.stateDatabase(database));
    // the older spellings still work
    assertEquals("gs://b/state/", Activation.stateFolder(options("--input=x", "--segments=y",
        "--output=o", "--syncStateDir=gs://b/state")));
  }

  @Test
  void aPreviousRunUnderTheSameOutputIsReadBeforeItIsReplaced(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("out");
    PipelineRuns.runToCompletion(dataArgs(dir, out));
    List<String> firstSegments = OutputFiles.sortedLines(out.resolve("segments"));
    assertTrue(firstSegments.size() > 10, "the data must have memberships");

    List<String> again = dataArgs(dir, out);
    again.add("--previousSegments=" + out.resolve("segments") + "/");
    again.add("--previousIdentities=" + out.resolve("identities") + "/*");
    PipelineRuns.runToCompletion(again);

    // read from a copy of exactly the first run's files
    assertEquals(firstSegments, OutputFiles.sortedLines(out.resolve("previous/segments")));
    // same data, same asOf: everyone stays, which shows the whole previous run was read
    List<JsonNode> cells = OutputFiles.rows(out.resolve("stability"));
    assertFalse(cells.isEmpty());
    for (JsonNode cell : cells) {
      assertEquals(cell.get("from_segment").asText(), cell.get("to_segment").asText(),
          cell.toString());
    }
    for (JsonNode row : OutputFiles.rows(out.resolve("summary"))) {
      assertEquals(0.0, row.get("membership_churn").asDouble(), row.toString());
    }
    assertEquals(firstSegments, OutputFiles.sortedLines(out.resolve("segments")));
    assertTrue(OutputFiles.rows(out.resolve("merges")).isEmpty(), "customer ids changed");
  }

  static final String TOKEN = "pat-na1-rails-secret-77";

  static TreeSet<String> query(PostgresTestDatabase db, String sql) throws Exception {
    TreeSet<String> rows = new TreeSet<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }

  static TreeSet<String> column(Path folder, String... fields) {
    TreeSet<String> values = new TreeSet<>();
    for (JsonNode row : OutputFiles.rows(folder)) {
      values.add(String.join("|", Arrays.stream(fields).map(f -> row.get(f).asText())
          .toList()));
    }
    return values;
  }

  /** HubSpot's contacts: email to the segments it holds. */
  static Map<String, Set<String>> segmentsAtHubSpot(FakeHubSpot hubspot) {
    Map<String, Set<String>> segments = new TreeMap<>();
    hubspot.contacts.forEach((email, contact) -> {
      String joined = contact.path("audience_segments").asText("");
      segments.put(email, joined.isEmpty() ? Set.of() : Set.of(joined.split(";")));
    });
    return segments;
  }

  @Test
  void aDegenerateRunRemovesNothingUntilAllowed(@TempDir Path dir) throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.start();
        FakeHubSpot hubspot = new FakeHubSpot(TOKEN)) {
      List<String> sinkArgs = List.of("--jdbcUrl=" + db.jdbcUrl(), "--sinks=hubspot",
          "--hubspotBaseUrl=" + hubspot.baseUrl(), "--hubspotAccessToken=" + TOKEN,
          "--syncState=" + dir.resolve("sync-state"));
      Path first = dir.resolve("first");
      List<String> args = dataArgs(dir, first);
      args.addAll(sinkArgs);
      PipelineRuns.runToCompletion(args);
      Map<String, Set<String>> synced = segmentsAtHubSpot(hubspot);
      TreeSet<String> customers = column(first.resolve("features"), "customer_id");
      TreeSet<String> memberships = column(first.resolve("segments"), "customer_id", "segment");
      assertTrue(synced.size() > 10 && customers.size() > 30, synced.toString());

      // a partial input (as from a glob that matched only some files): 20 of the 60 customers
      Path second = dir.resolve("second");
      List<String> partial = dataArgs(dir.resolve("partial"), 20, second);
      partial.addAll(sinkArgs);
      PipelineRuns.runToCompletion(partial);
      TreeSet<String> remaining = column(second.resolve("features"), "customer_id");
      assertTrue(!remaining.isEmpty() && remaining.size() < customers.size() * 0.8,
          remaining.size() + " of " + customers.size());

      // nothing removed: every table row and every platform membership of the first run stays
      TreeSet<String> tableCustomers = query(db, "SELECT customer_id FROM customer_features");
      assertTrue(tableCustomers.containsAll(customers));
      TreeSet<String> union = new TreeSet<>(customers);
      union.addAll(remaining);
      assertEquals(union, tableCustomers);
      assertTrue(query(db, "SELECT customer_id || '|' || segment FROM segment_memberships")
          .containsAll(memberships));
      assertEquals(Set.of(), query(db, "SELECT customer_id FROM segment_membership_history "
          + "WHERE exited_at IS NOT NULL"));
      Map<String, Set<String>> after = segmentsAtHubSpot(hubspot);
      synced.forEach((email, segments) -> assertTrue(after.get(email).containsAll(segments),
          email + " lost segments at HubSpot: " + segments + " -> " + after.get(email)));
      // and what would have been removed is listed
      Set<String> gone = new TreeSet<>(customers);
      gone.removeAll(remaining);
      TreeSet<String> listed = new TreeSet<>();
      for (String line : Files.readAllLines(second.resolve("refused/postgresql.jsonl"))) {
        JsonNode row = Json.parse(line);
        if (row.get("table").asText().equals("customer_features")) {
          listed.add(row.get("delete").get("customer_id").asText());
        }
      }
      assertEquals(gone, listed);
      List<String> exits = Files.readAllLines(second.resolve("refused/hubspot.jsonl"));
      assertFalse(exits.isEmpty());
      for (String line : exits) {
        assertEquals("hubspot", Json.parse(line).get("destination").asText(), line);
        assertFalse(line.contains("@"), "an email in the listing: " + line);
      }

      // confirmed: the tables hold exactly the run, and the missing customers leave HubSpot
      Path third = dir.resolve("third");
      List<String> allowed = dataArgs(dir.resolve("partial"), 20, third);
      allowed.addAll(sinkArgs);
      allowed.add("--allowLargeChanges=true");
      PipelineRuns.runToCompletion(allowed);
      assertEquals(column(third.resolve("features"), "customer_id"),
          query(db, "SELECT customer_id FROM customer_features"));
      assertFalse(Files.exists(third.resolve("refused/postgresql.jsonl")));
      assertFalse(Files.exists(third.resolve("refused/hubspot.jsonl")));
      Map<String, Set<String>> confirmed = segmentsAtHubSpot(hubspot);
      assertTrue(synced.keySet().stream().anyMatch(email -> confirmed.get(email).isEmpty()),
          "nobody left HubSpot's segments: " + confirmed);
    }
  }
}
