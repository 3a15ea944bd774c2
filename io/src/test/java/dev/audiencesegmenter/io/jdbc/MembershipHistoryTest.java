package dev.audiencesegmenter.io.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.SegmentMembership;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs of memberships upserts followed by the history update, on a real PostgreSQL. */
@Timeout(300)
class MembershipHistoryTest {
  static PostgresTestDatabase db;

  @BeforeAll
  static void start() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
  }

  static void run(List<SegmentMembership> rows, String runId, String asOf) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(rows))
        .apply("Upsert", JdbcUpsert.<SegmentMembership>into("hist_memberships")
            .withJdbcUrl(db.jdbcUrl()).withKeyColumns("customer_id", "segment")
            .withRunId(runId))
        .apply("History", MembershipHistory.of("hist_memberships", "hist_history")
            .withJdbcUrl(db.jdbcUrl()).withAsOf(Instant.parse(asOf)));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  static List<String> history() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT customer_id, segment, "
            + "to_char(entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
            + "to_char(exited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM hist_history "
            + "ORDER BY 1, 2, 3")) {
      while (r.next()) {
        rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getString(3) + " "
            + r.getString(4));
      }
    }
    return rows;
  }

  static SegmentMembership m(String customer, String segment) {
    return SegmentMembership.create(customer, segment, "g", false);
  }

  @Test
  void opensOnEntryClosesOnExitAndARerunChangesNothing() throws Exception {
    run(List.of(m("a", "vip"), m("a", "loyal"), m("b", "vip")), "r1", "2024-06-30T00:00:00Z");
    List<String> first = List.of("a loyal 2024-06-30 null", "a vip 2024-06-30 null",
        "b vip 2024-06-30 null");
    assertEquals(first, history());

    // the same run again (a new launch of the same data and asOf): nothing changes
    run(List.of(m("a", "vip"), m("a", "loyal"), m("b", "vip")), "r1b", "2024-06-30T00:00:00Z");
    assertEquals(first, history());

    // a week later: b left vip, c entered it, a stays
    run(List.of(m("a", "vip"), m("a", "loyal"), m("c", "vip")), "r2", "2024-07-07T00:00:00Z");
    List<String> second = List.of("a loyal 2024-06-30 null", "a vip 2024-06-30 null",
        "b vip 2024-06-30 2024-07-07", "c vip 2024-07-07 null");
    assertEquals(second, history());
    run(List.of(m("a", "vip"), m("a", "loyal"), m("c", "vip")), "r2b", "2024-07-07T00:00:00Z");
    assertEquals(second, history());

    // b comes back: a second row; everyone else left loyal
    run(List.of(m("a", "vip"), m("b", "vip"), m("c", "vip")), "r3", "2024-07-14T00:00:00Z");
    assertEquals(List.of("a loyal 2024-06-30 2024-07-14", "a vip 2024-06-30 null",
        "b vip 2024-06-30 2024-07-07", "b vip 2024-07-14 null", "c vip 2024-07-07 null"),
        history());
  }

  @Test
  void namesAndSettingsAreChecked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MembershipHistory.of("segment_memberships", "history; drop"));
    assertTrue(e.getMessage().contains("'history; drop'"));
  }
}
