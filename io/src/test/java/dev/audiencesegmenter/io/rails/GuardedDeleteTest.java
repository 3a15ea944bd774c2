package dev.audiencesegmenter.io.rails;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import dev.audiencesegmenter.model.SegmentMembership;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, item 5, on a real PostgreSQL server: the rows of earlier runs are deleted only
 * when the run is not degenerate; otherwise the upserts run, the old rows stay and are listed.
 */
@Timeout(300)
class GuardedDeleteTest {
  static PostgresTestDatabase db;
  static final Schema CUSTOMER = Schema.builder().addStringField("customer_id")
      .addStringField("tier").build();

  @BeforeAll
  static void start() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
  }

  static List<Row> customers(int from, int to) {
    List<Row> rows = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      rows.add(Row.withSchema(CUSTOMER).addValues("c" + i, "gold").build());
    }
    return rows;
  }

  /** Every customer in vip, the first five also in loyal. */
  static List<SegmentMembership> memberships(int from, int to) {
    List<SegmentMembership> rows = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      rows.add(SegmentMembership.create("c" + i, "vip", "g", false));
      if (i <= 5) {
        rows.add(SegmentMembership.create("c" + i, "loyal", "g", false));
      }
    }
    return rows;
  }

  /** As the pipeline wires it: count, upsert both tables, then delete or refuse. */
  static void run(List<Row> customers, List<SegmentMembership> memberships, String runId,
      ChangeLimits limits, List<String> expectedRefused) throws Exception {
    JdbcIO.DataSourceConfiguration database =
        JdbcUpsert.postgresDataSource(db.jdbcUrl(), null, (String) null);
    GuardedDelete guard = GuardedDelete.of("postgresql", "g_customers", "g_memberships")
        .withDataSourceConfiguration(database).withRunId(runId).withLimits(limits);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<ChangeCounts> before = p.apply("CountBefore", guard.countBefore());
    PCollection<Void> customersWritten = p
        .apply("Customers", Create.of(customers).withRowSchema(CUSTOMER))
        .apply("AfterCountC", Wait.on(before)).setRowSchema(CUSTOMER)
        .apply("UpsertCustomers", JdbcUpsert.<Row>into("g_customers")
            .withDataSourceConfiguration(database).withKeyColumns("customer_id")
            .withRunId(runId).withoutDeletingRowsOfOtherRuns());
    PCollection<Void> membershipsWritten = p
        .apply("Memberships", Create.of(memberships)
            .withCoder(p.getSchemaRegistry().getSchemaCoder(SegmentMembership.class)))
        .apply("AfterCountM", Wait.on(before))
        .setCoder(p.getSchemaRegistry().getSchemaCoder(SegmentMembership.class))
        .apply("UpsertMemberships", JdbcUpsert.<SegmentMembership>into("g_memberships")
            .withDataSourceConfiguration(database).withKeyColumns("customer_id", "segment")
            .withRunId(runId).withoutDeletingRowsOfOtherRuns());
    GuardedDelete.Result result = before
        .apply("AfterUpserts", Wait.on(customersWritten, membershipsWritten))
        .apply("DeleteOrRefuse", guard.deleteOrRefuse());
    PAssert.that(result.getRefused()).containsInAnyOrder(expectedRefused);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  static List<String> query(String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }

  static List<String> refusedDeletes(int from, int to, boolean withMemberships) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      lines.add("{\"destination\":\"postgresql\",\"table\":\"g_customers\",\"delete\":"
          + "{\"customer_id\":\"c" + i + "\"}}");
      if (withMemberships) {
        lines.add("{\"destination\":\"postgresql\",\"table\":\"g_memberships\",\"delete\":"
            + "{\"customer_id\":\"c" + i + "\",\"segment\":\"vip\"}}");
      }
    }
    return lines;
  }

  @Test
  void aDegenerateRunKeepsTheOldRowsUntilAllowed() throws Exception {
    ChangeLimits limits = ChangeLimits.defaults();
    run(customers(1, 10), memberships(1, 10), "r1", limits, List.of());
    assertEquals(List.of("10", "15"), counts());

    // half the customers are missing: upserted, nothing deleted, the deletes listed
    run(customers(1, 5), memberships(1, 5), "r2", limits, refusedDeletes(6, 10, true));
    assertEquals(List.of("10", "15"), counts());
    assertEquals(List.of("r1", "r2"), query("SELECT DISTINCT run_id FROM g_customers ORDER BY 1"));

    // the same change, confirmed
    run(customers(1, 5), memberships(1, 5), "r3", limits.withAllowLargeChanges(true),
        List.of());
    assertEquals(List.of("5", "10"), counts());

    // an empty input never deletes, not even when allowed
    List<String> everything = new ArrayList<>(refusedDeletes(1, 5, true));
    for (int i = 1; i <= 5; i++) {
      everything.add("{\"destination\":\"postgresql\",\"table\":\"g_memberships\",\"delete\":"
          + "{\"customer_id\":\"c" + i + "\",\"segment\":\"loyal\"}}");
    }
    run(List.of(), List.of(), "r4", limits.withAllowLargeChanges(true), everything);
    assertEquals(List.of("5", "10"), counts());

    // a normal week: one customer leaves, one joins
    run(customers(2, 6), memberships(2, 6), "r5", limits, List.of());
    assertEquals(List.of("5", "9"), counts());
    assertEquals(List.of("c2", "c3", "c4", "c5", "c6"),
        query("SELECT customer_id FROM g_customers ORDER BY 1"));
  }

  static List<String> counts() throws Exception {
    return List.of(query("SELECT count(*) FROM g_customers").get(0),
        query("SELECT count(*) FROM g_memberships").get(0));
  }
}
