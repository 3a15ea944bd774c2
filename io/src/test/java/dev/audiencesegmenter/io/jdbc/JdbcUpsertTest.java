package dev.audiencesegmenter.io.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.model.SegmentSummary;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(300)
class JdbcUpsertTest {
  static PostgresTestDatabase db;

  @BeforeAll
  static void startDatabase() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    db.close();
  }

  static void upsertMemberships(List<SegmentMembership> rows, String runId) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(rows)).apply(JdbcUpsert.<SegmentMembership>into("memberships")
        .withJdbcUrl(db.jdbcUrl()).withKeyColumns("customer_id", "segment").withRunId(runId));
    p.run().waitUntilFinish();
  }

  static List<String> query(String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      int n = r.getMetaData().getColumnCount();
      while (r.next()) {
        List<String> cells = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          cells.add(r.getString(i));
        }
        rows.add(String.join("|", cells));
      }
    }
    return rows;
  }

  @Test
  void secondRunLeavesExactlyItsOwnRows() throws Exception {
    upsertMemberships(List.of(
        SegmentMembership.create("a", "loyal", "lifecycle", false),
        SegmentMembership.create("b", "loyal", "lifecycle", false),
        SegmentMembership.create("c", "lapsed", "lifecycle", true)), "run-1");
    assertEquals(List.of("a|loyal|lifecycle|f|run-1", "b|loyal|lifecycle|f|run-1",
            "c|lapsed|lifecycle|t|run-1"),
        query("SELECT * FROM memberships ORDER BY customer_id, segment"));
    // Run 2: a changes holdout, b left the segment, d is new.
    upsertMemberships(List.of(
        SegmentMembership.create("a", "loyal", "lifecycle", true),
        SegmentMembership.create("c", "lapsed", "lifecycle", true),
        SegmentMembership.create("d", "new", "lifecycle", false)), "run-2");
    assertEquals(List.of("a|loyal|lifecycle|t|run-2", "c|lapsed|lifecycle|t|run-2",
            "d|new|lifecycle|f|run-2"),
        query("SELECT * FROM memberships ORDER BY customer_id, segment"));
  }

  @Test
  void typesRoundTrip() throws Exception {
    Schema schema = Schema.builder().addStringField("id").addInt64Field("n")
        .addDecimalField("amount").addBooleanField("flag").addDateTimeField("at")
        .addNullableField("maybe", Schema.FieldType.DOUBLE)
        .addMapField("tags", Schema.FieldType.STRING, Schema.FieldType.STRING).build();
    Row row = Row.withSchema(schema).addValues("x", 42L, new BigDecimal("10.50"), true,
        Instant.parse("2024-06-30T12:00:00Z"), null, java.util.Map.of("b", "2", "a", "1"))
        .build();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(row).withRowSchema(schema))
        .apply(JdbcUpsert.<Row>into("typed").withJdbcUrl(db.jdbcUrl()).withKeyColumns("id"));
    p.run().waitUntilFinish();
    assertEquals(List.of("x|42|10.50|t|2024-06-30T12:00:00Z|null|{\"a\": \"1\", \"b\": \"2\"}"),
        query("SELECT id, n, amount, flag, to_char(at AT TIME ZONE 'UTC', "
            + "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), maybe, tags::text FROM typed"));
  }

  @Test
  void summaryRowsWithReservedColumnNames() throws Exception {
    // "group" and "size" need quoting in SQL.
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(SegmentSummary.create("loyal", "lifecycle", 3, 1, 0.25,
            new BigDecimal("99.90"))))
        .apply(JdbcUpsert.<SegmentSummary>into("summary").withJdbcUrl(db.jdbcUrl())
            .withKeyColumns("segment"));
    p.run().waitUntilFinish();
    assertEquals(List.of("loyal|lifecycle|3|1|0.25|99.90"),
        query("SELECT * FROM summary"));
  }

  @Test
  void badNamesAndUrlsAreRejectedAtConstruction() {
    IllegalArgumentException table = assertThrows(IllegalArgumentException.class,
        () -> JdbcUpsert.into("drop table x;"));
    assertTrue(table.getMessage().contains("'drop table x;'"), table.getMessage());
    IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
        () -> JdbcUpsert.into("t").withJdbcUrl("jdbc:mysql://h/db?password=secret"));
    assertTrue(!url.getMessage().contains("secret"), url.getMessage());
  }
}
