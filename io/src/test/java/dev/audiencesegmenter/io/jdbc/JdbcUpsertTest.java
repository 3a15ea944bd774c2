package dev.audiencesegmenter.io.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Against a real PostgreSQL server; tables are checked with plain JDBC. */
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

  static PipelineResult upsertMemberships(List<SegmentMembership> rows, String runId) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(rows)).apply(JdbcUpsert.<SegmentMembership>into("memberships")
        .withJdbcUrl(db.jdbcUrl()).withKeyColumns("customer_id", "segment").withRunId(runId)
        .withBatchSize(2));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  /** Every row of a query, its cells joined with {@code |}, in the query's order. */
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

  static void execute(String sql) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> counter : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(JdbcUpsert.class, name)).build()).getCounters()) {
      total += counter.getAttempted();
    }
    return total;
  }

  @Test
  void secondRunLeavesExactlyOneRowPerKeyWithItsValues() throws Exception {
    PipelineResult first = upsertMemberships(List.of(
        SegmentMembership.create("a", "loyal", "lifecycle", false),
        SegmentMembership.create("b", "loyal", "lifecycle", false),
        SegmentMembership.create("c", "lapsed", "lifecycle", true)), "run-1");
    assertEquals(List.of("a|loyal|lifecycle|f|run-1", "b|loyal|lifecycle|f|run-1",
            "c|lapsed|lifecycle|t|run-1"),
        query("SELECT * FROM memberships ORDER BY customer_id, segment"));
    assertEquals(3, counter(first, "rows_upserted"));
    assertEquals(0, counter(first, "rows_deleted_stale"));

    // Run 2: a changes holdout and group, b left the segment, c is unchanged, d is new.
    PipelineResult second = upsertMemberships(List.of(
        SegmentMembership.create("a", "loyal", "value", true),
        SegmentMembership.create("c", "lapsed", "lifecycle", true),
        SegmentMembership.create("d", "new", "lifecycle", false)), "run-2");
    assertEquals(List.of("a|loyal|value|t|run-2", "c|lapsed|lifecycle|t|run-2",
            "d|new|lifecycle|f|run-2"),
        query("SELECT * FROM memberships ORDER BY customer_id, segment"));
    // 3 rows written; only b's row was left with run-1.
    assertEquals(3, counter(second, "rows_upserted"));
    assertEquals(1, counter(second, "rows_deleted_stale"));
    assertEquals(List.of("customer_id|text|NO", "segment|text|NO", "group|text|NO",
            "holdout|boolean|NO", "run_id|text|NO"),
        query("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            + "WHERE table_schema = current_schema() AND table_name = 'memberships' "
            + "ORDER BY ordinal_position"));
  }

  @Test
  void typesRoundTrip() throws Exception {
    Schema address = Schema.builder().addStringField("city")
        .addNullableField("zip", FieldType.STRING).build();
    Schema schema = Schema.builder().addStringField("id").addInt64Field("n")
        .addInt32Field("days").addDecimalField("amount").addBooleanField("flag")
        .addDateTimeField("at").addNullableField("maybe", FieldType.DOUBLE)
        .addMapField("tags", FieldType.STRING, FieldType.STRING)
        .addArrayField("scores", FieldType.INT64).addRowField("address", address)
        .addNullableField("extra", FieldType.map(FieldType.STRING, FieldType.STRING)).build();
    Row x = Row.withSchema(schema).addValues("x", 9007199254740993L, -3,
        new BigDecimal("10.50"), true, Instant.parse("2024-06-30T12:00:00Z"), null,
        Map.of("b", "2", "a", "1"), List.of(3L, 1L),
        Row.withSchema(address).addValues("Zürich", null).build(), null).build();
    Row y = Row.withSchema(schema).addValues("y", -1L, 0, new BigDecimal("1E+3"), false,
        Instant.parse("2024-06-30T23:59:59.007Z"), 0.25, Map.of(), List.of(),
        Row.withSchema(address).addValues("Oslo", "0150").build(), Map.of("k", "v")).build();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(x, y).withRowSchema(schema))
        .apply(JdbcUpsert.<Row>into("typed").withJdbcUrl(db.jdbcUrl()).withKeyColumns("id"));
    p.run().waitUntilFinish();

    // Numeric keeps the scale (10.50) and 1E+3 is 1000; times are UTC instants (to the
    // millisecond); jsonb prints ", " and ": " and orders keys by length, then bytes.
    assertEquals(List.of(
            "x|9007199254740993|-3|10.50|t|2024-06-30T12:00:00.000Z|null"
                + "|{\"a\": \"1\", \"b\": \"2\"}|[3, 1]"
                + "|{\"zip\": null, \"city\": \"Zürich\"}|null",
            "y|-1|0|1000|f|2024-06-30T23:59:59.007Z|0.25|{}|[]"
                + "|{\"zip\": \"0150\", \"city\": \"Oslo\"}|{\"k\": \"v\"}"),
        query("SELECT id, n, days, amount, flag, to_char(at AT TIME ZONE 'UTC', "
            + "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), maybe, tags::text, scores::text, "
            + "address::text, extra::text FROM typed ORDER BY id"));
    assertEquals(List.of("id|text", "n|bigint", "days|integer", "amount|numeric",
            "flag|boolean", "at|timestamp with time zone", "maybe|double precision",
            "tags|jsonb", "scores|jsonb", "address|jsonb", "extra|jsonb"),
        query("SELECT column_name, data_type FROM information_schema.columns "
            + "WHERE table_schema = current_schema() AND table_name = 'typed' "
            + "ORDER BY ordinal_position"));
  }

  @Test
  void reservedWordsAsColumnNamesAreQuoted() throws Exception {
    // "group" and "size" are SQL keywords.
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(SegmentSummary.create("loyal", "lifecycle", 3, 1, 0.25,
            new BigDecimal("99.90"))))
        .apply(JdbcUpsert.<SegmentSummary>into("summary").withJdbcUrl(db.jdbcUrl())
            .withKeyColumns("segment"));
    p.run().waitUntilFinish();
    assertEquals(List.of("loyal|lifecycle|3|1|0.25|99.90"), query("SELECT * FROM summary"));
  }

  @Test
  void withoutRunIdRowsAreUpdatedAndNoneDeleted() throws Exception {
    JdbcUpsert<SegmentSummary> upsert = JdbcUpsert.<SegmentSummary>into("summary_no_run")
        .withDataSourceConfiguration(
            JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", db.jdbcUrl()))
        .withKeyColumns("segment").withBatchSize(1);
    Pipeline first = Pipeline.create(PipelineOptionsFactory.create());
    first.apply(Create.of(
            SegmentSummary.create("loyal", "lifecycle", 3, 1, 0.25, new BigDecimal("99.90")),
            SegmentSummary.create("lapsed", "lifecycle", 1, 0, 0.5, new BigDecimal("0"))))
        .apply(upsert);
    first.run().waitUntilFinish();
    Pipeline second = Pipeline.create(PipelineOptionsFactory.create());
    second.apply(Create.of(
            SegmentSummary.create("loyal", "lifecycle", 4, 2, 0.75, new BigDecimal("120.00"))))
        .apply(upsert);
    second.run().waitUntilFinish();
    // loyal updated in place; lapsed, absent from run 2, stays: there is no run id.
    assertEquals(List.of("lapsed|lifecycle|1|0|0.5|0", "loyal|lifecycle|4|2|0.75|120.00"),
        query("SELECT * FROM summary_no_run ORDER BY segment"));
  }

  @Test
  void aTableFromBeforeRunIdsGetsTheColumnAndLosesRowsNotWritten() throws Exception {
    execute("CREATE TABLE legacy (id text PRIMARY KEY, score bigint)");
    execute("INSERT INTO legacy VALUES ('gone', 1), ('kept', 2)");
    Schema schema = Schema.builder().addStringField("id").addInt64Field("score")
        .addNullableField("note", FieldType.STRING).build();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(Row.withSchema(schema).addValues("kept", 5L, "n").build(),
            Row.withSchema(schema).addValues("new", 6L, null).build()).withRowSchema(schema))
        .apply(JdbcUpsert.<Row>into("legacy").withJdbcUrl(db.jdbcUrl()).withKeyColumns("id")
            .withRunId("r1"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    // "gone" had a NULL run id, which is not r1.
    assertEquals(List.of("kept|5|r1|n", "new|6|r1|null"),
        query("SELECT id, score, run_id, note FROM legacy ORDER BY id"));
    assertEquals(1, counter(result, "rows_deleted_stale"));
  }

  @Test
  void statementsForASmallSchema() {
    Schema schema = Schema.builder().addStringField("customer_id").addStringField("segment")
        .addNullableField("score", FieldType.DOUBLE)
        .addMapField("tags", FieldType.STRING, FieldType.STRING).build();
    JdbcUpsert<Row> upsert = JdbcUpsert.<Row>into("t").withJdbcUrl("jdbc:postgresql://h/d")
        .withKeyColumns("customer_id", "segment").withRunId("r");
    assertEquals(List.of("CREATE TABLE IF NOT EXISTS \"t\" (\"customer_id\" text NOT NULL, "
            + "\"segment\" text NOT NULL, \"score\" double precision, \"tags\" jsonb NOT NULL, "
            + "\"run_id\" text NOT NULL, PRIMARY KEY (\"customer_id\", \"segment\"))",
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"customer_id\" text",
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"segment\" text",
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"score\" double precision",
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"tags\" jsonb",
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"run_id\" text"),
        upsert.createTableStatements(schema));
    assertEquals("INSERT INTO \"t\" (\"customer_id\", \"segment\", \"score\", \"tags\", "
            + "\"run_id\") VALUES (?, ?, ?, CAST(? AS jsonb), ?) ON CONFLICT (\"customer_id\", "
            + "\"segment\") DO UPDATE SET \"score\" = EXCLUDED.\"score\", \"tags\" = "
            + "EXCLUDED.\"tags\", \"run_id\" = EXCLUDED.\"run_id\"",
        upsert.upsertStatement(schema));
    assertEquals("DELETE FROM \"t\" WHERE \"run_id\" IS DISTINCT FROM ?",
        upsert.deleteStaleStatement());
  }

  @Test
  void aPasswordInTheUrlStaysOutOfDisplayDataAndMessages() {
    String url = "jdbc:postgresql://db.example:5432/crm?user=etl&password=s3cr%3Bet";
    JdbcUpsert<SegmentMembership> upsert = JdbcUpsert.<SegmentMembership>into("m")
        .withJdbcUrl(url).withKeyColumns("customer_id", "segment").withRunId("r");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(SegmentMembership.create("a", "s", "g", false))).apply(upsert);
    List<String> items = new ArrayList<>();
    p.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
        if (node.getTransform() != null) {
          DisplayData.from(node.getTransform()).items()
              .forEach(item -> items.add(item.getKey() + "=" + item.getValue()));
        }
        return CompositeBehavior.ENTER_TRANSFORM;
      }

      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        DisplayData.from(node.getTransform()).items()
            .forEach(item -> items.add(item.getKey() + "=" + item.getValue()));
      }
    });
    // The transform shows its URL masked; no step anywhere shows the password.
    assertTrue(items.contains("jdbcUrl=jdbc:postgresql://db.example:5432/crm?user=etl"
        + "&password=***"), items.toString());
    assertFalse(items.toString().contains("s3cr"), items.toString());
    assertFalse(upsert.toString().contains("s3cr"), upsert.toString());
  }

  @Test
  void badConfigurationIsRejectedWithTheBadValue() {
    for (String table : List.of("drop table x;", "1abc", "a-b", "", "x".repeat(64))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> JdbcUpsert.into(table));
      assertTrue(e.getMessage().startsWith("Invalid table name '" + table + "'"),
          e.getMessage());
    }
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> JdbcUpsert.into("t").withKeyColumns("id", "a\"b"));
    assertTrue(key.getMessage().startsWith("Invalid key column name 'a\"b'"), key.getMessage());
    IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
        () -> JdbcUpsert.into("t").withJdbcUrl("jdbc:mysql://h/db?password=secret"));
    assertEquals("JDBC URL must start with jdbc:postgresql:, got "
        + "'jdbc:mysql://h/db?password=***'", url.getMessage());
    IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
        () -> JdbcUpsert.into("t").withJdbcUrl("jdbc:postgresql://h/db")
            .withDataSourceConfiguration(
                JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", "x")));
    assertEquals("JdbcUpsert into t: set withJdbcUrl or withDataSourceConfiguration, not both",
        both.getMessage());
    assertThrows(IllegalArgumentException.class, () -> JdbcUpsert.into("t").withRunId(" "));
    assertThrows(IllegalArgumentException.class, () -> JdbcUpsert.into("t").withBatchSize(0));
  }

  @Test
  void configurationThatDoesNotFitTheInputIsRejectedWhenApplied() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<SegmentMembership> input =
        p.apply(Create.of(SegmentMembership.create("a", "s", "g", false)));
    IllegalStateException noUrl = assertThrows(IllegalStateException.class,
        () -> input.apply("NoUrl", JdbcUpsert.<SegmentMembership>into("t")
            .withKeyColumns("customer_id")));
    assertEquals("JdbcUpsert into t needs withJdbcUrl(..) or withDataSourceConfiguration(..)",
        noUrl.getMessage());
    IllegalArgumentException missingKey = assertThrows(IllegalArgumentException.class,
        () -> input.apply("MissingKey", JdbcUpsert.<SegmentMembership>into("t")
            .withJdbcUrl("jdbc:postgresql://h/d").withKeyColumns("customer")));
    assertTrue(missingKey.getMessage().startsWith("Key column 'customer' of table t is not a "
        + "field of the input"), missingKey.getMessage());
  }
}
