package dev.audiencesegmenter.io.jdbc;

import dev.audiencesegmenter.model.JsonLines;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.ReadableInstant;

/**
 * Upserts a schema'd PCollection into a PostgreSQL table: {@code INSERT ... ON CONFLICT (key)
 * DO UPDATE}, through Beam's {@link JdbcIO}, so running a job twice updates rows instead of
 * duplicating them.
 *
 * <p>The table is created when missing, from the schema (text, bigint, integer, double
 * precision, numeric, boolean, timestamptz, and jsonb for maps, lists and rows), with the key
 * columns as primary key; columns a newer schema adds are added. With {@link
 * #withRunId(String)} every row written carries the run id, and once the whole write has
 * finished the rows of earlier runs that this run did not write are deleted: the table then
 * holds exactly this run's rows (a customer who left a segment leaves the table too).
 *
 * <pre>{@code
 * memberships.apply(JdbcUpsert.<SegmentMembership>into("segment_memberships")
 *     .withJdbcUrl("jdbc:postgresql://db:5432/crm").withUsername("etl").withPassword(secret)
 *     .withKeyColumns("customer_id", "segment").withRunId(UUID.randomUUID().toString()));
 * }</pre>
 *
 * <p>Passwords are never logged; messages show the URL without its query parameters.
 */
public final class JdbcUpsert<T> extends PTransform<PCollection<T>, PCollection<String>> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  static final String RUN_ID = "run_id";

  private final String table;
  private final List<String> keyColumns;
  private final @Nullable String jdbcUrl;
  private final @Nullable String username;
  private final @Nullable String password;
  private final @Nullable String runId;
  private final int batchSize;

  private JdbcUpsert(String table, List<String> keyColumns, @Nullable String jdbcUrl,
      @Nullable String username, @Nullable String password, @Nullable String runId,
      int batchSize) {
    this.table = table;
    this.keyColumns = keyColumns;
    this.jdbcUrl = jdbcUrl;
    this.username = username;
    this.password = password;
    this.runId = runId;
    this.batchSize = batchSize;
  }

  /** Upserts into {@code table} (letters, digits and underscores). */
  public static <T> JdbcUpsert<T> into(String table) {
    return new JdbcUpsert<>(checkName(table, "table"), List.of(), null, null, null, null, 1000);
  }

  /** The columns of the primary key; required. */
  public JdbcUpsert<T> withKeyColumns(String... columns) {
    if (columns.length == 0) {
      throw new IllegalArgumentException("at least one key column is needed");
    }
    for (String c : columns) {
      checkName(c, "key column");
    }
    return new JdbcUpsert<>(table, List.of(columns), jdbcUrl, username, password, runId,
        batchSize);
  }

  /** {@code jdbc:postgresql://host:port/database}; required. */
  public JdbcUpsert<T> withJdbcUrl(String url) {
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("JDBC URL must start with jdbc:postgresql:, got '"
          + (url == null ? null : redact(url)) + "'");
    }
    return new JdbcUpsert<>(table, keyColumns, url, username, password, runId, batchSize);
  }

  public JdbcUpsert<T> withUsername(String user) {
    return new JdbcUpsert<>(table, keyColumns, jdbcUrl, user, password, runId, batchSize);
  }

  public JdbcUpsert<T> withPassword(String secret) {
    return new JdbcUpsert<>(table, keyColumns, jdbcUrl, username, secret, runId, batchSize);
  }

  /** Marks rows with this run and deletes, after the write, the rows of other runs. */
  public JdbcUpsert<T> withRunId(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("run id must not be blank");
    }
    return new JdbcUpsert<>(table, keyColumns, jdbcUrl, username, password, id, batchSize);
  }

  /** Rows per JDBC batch (default 1000). */
  public JdbcUpsert<T> withBatchSize(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + rows);
    }
    return new JdbcUpsert<>(table, keyColumns, jdbcUrl, username, password, runId, rows);
  }

  @Override
  public PCollection<String> expand(PCollection<T> input) {
    if (jdbcUrl == null) {
      throw new IllegalStateException("JdbcUpsert into " + table + " needs withJdbcUrl(..)");
    }
    if (keyColumns.isEmpty()) {
      throw new IllegalStateException("JdbcUpsert into " + table + " needs withKeyColumns(..)");
    }
    if (!input.hasSchema()) {
      throw new IllegalArgumentException("JdbcUpsert needs a PCollection with a schema");
    }
    Schema schema = input.getSchema();
    for (Schema.Field f : schema.getFields()) {
      checkName(f.getName(), "column");
    }
    for (String key : keyColumns) {
      if (!schema.hasField(key)) {
        throw new IllegalArgumentException("key column '" + key + "' is not a field of "
            + schema.getFieldNames());
      }
    }
    Connector connector = new Connector(jdbcUrl, username, password);
    PCollection<String> tableReady = input.getPipeline()
        .apply("CreateTable", Create.of(createTableSql(schema)).withCoder(StringUtf8Coder.of()))
        .apply("ExecuteDdl", ParDo.of(new ExecuteSql(connector, null)));

    SerializableFunction<T, Row> toRow = input.getToRowFunction();
    PCollection<Row> rows = input
        .apply("AfterTableIsReady", Wait.on(tableReady))
        .setCoder(input.getCoder())
        .apply("ToRows", MapElements.into(TypeDescriptor.of(Row.class)).via(toRow::apply))
        .setRowSchema(schema);
    JdbcIO.DataSourceConfiguration dataSource =
        JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", jdbcUrl);
    if (username != null) {
      dataSource = dataSource.withUsername(username);
    }
    if (password != null) {
      dataSource = dataSource.withPassword(password);
    }
    PCollection<Void> written = rows.apply("Upsert", JdbcIO.<Row>write()
        .withDataSourceConfiguration(dataSource)
        .withStatement(upsertSql(schema))
        .withPreparedStatementSetter(new RowSetter(runId))
        .withBatchSize(batchSize)
        .withResults());
    if (runId == null) {
      return written.getPipeline()
          .apply("Done", Create.of("upserted").withCoder(StringUtf8Coder.of()))
          .apply("AfterUpsert", Wait.on(written));
    }
    return input.getPipeline()
        .apply("StaleRows", Create.of("DELETE FROM " + quote(table) + " WHERE "
            + quote(RUN_ID) + " <> ?").withCoder(StringUtf8Coder.of()))
        .apply("AfterUpsert", Wait.on(written))
        .apply("DeleteStaleRows", ParDo.of(new ExecuteSql(connector, runId)));
  }

  String createTableSql(Schema schema) {
    List<String> columns = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      boolean key = keyColumns.contains(f.getName());
      columns.add(quote(f.getName()) + " " + sqlType(f.getType())
          + (key || !f.getType().getNullable() ? " NOT NULL" : ""));
    }
    if (runId != null) {
      columns.add(quote(RUN_ID) + " text NOT NULL");
    }
    String create = "CREATE TABLE IF NOT EXISTS " + quote(table) + " ("
        + String.join(", ", columns) + ", PRIMARY KEY ("
        + keyColumns.stream().map(JdbcUpsert::quote).collect(Collectors.joining(", ")) + "))";
    // A newer schema's columns are added to an older table; dropped ones are left alone.
    List<String> statements = new ArrayList<>(List.of(create));
    for (Schema.Field f : schema.getFields()) {
      statements.add("ALTER TABLE " + quote(table) + " ADD COLUMN IF NOT EXISTS "
          + quote(f.getName()) + " " + sqlType(f.getType()));
    }
    if (runId != null) {
      statements.add("ALTER TABLE " + quote(table) + " ADD COLUMN IF NOT EXISTS "
          + quote(RUN_ID) + " text");
    }
    return String.join(";\n", statements);
  }

  String upsertSql(Schema schema) {
    List<String> names = new ArrayList<>(schema.getFieldNames());
    List<String> values = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      values.add(isJson(f.getType()) ? "CAST(? AS jsonb)" : "?");
    }
    if (runId != null) {
      names.add(RUN_ID);
      values.add("?");
    }
    List<String> updates = names.stream().filter(n -> !keyColumns.contains(n))
        .map(n -> quote(n) + " = EXCLUDED." + quote(n)).collect(Collectors.toList());
    return "INSERT INTO " + quote(table) + " ("
        + names.stream().map(JdbcUpsert::quote).collect(Collectors.joining(", "))
        + ") VALUES (" + String.join(", ", values) + ") ON CONFLICT ("
        + keyColumns.stream().map(JdbcUpsert::quote).collect(Collectors.joining(", "))
        + ") " + (updates.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
        + String.join(", ", updates));
  }

  private static boolean isJson(Schema.FieldType type) {
    return switch (type.getTypeName()) {
      case MAP, ARRAY, ITERABLE, ROW -> true;
      default -> false;
    };
  }

  private static String sqlType(Schema.FieldType type) {
    return switch (type.getTypeName()) {
      case STRING -> "text";
      case BYTE, INT16, INT32 -> "integer";
      case INT64 -> "bigint";
      case FLOAT, DOUBLE -> "double precision";
      case DECIMAL -> "numeric";
      case BOOLEAN -> "boolean";
      case DATETIME -> "timestamptz";
      case MAP, ARRAY, ITERABLE, ROW -> "jsonb";
      default -> throw new IllegalArgumentException("no SQL column type for " + type);
    };
  }

  private static String checkName(String name, String what) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid " + what + " name '" + name
          + "': use letters, digits and underscores, starting with a letter or underscore");
    }
    return name;
  }

  static String quote(String name) {
    return "\"" + name + "\"";
  }

  /** The URL without its query string, where passwords may hide. */
  static String redact(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q) + "?...";
  }

  /** Opens connections for the small statements around the write. */
  private record Connector(String url, @Nullable String user, @Nullable String password)
      implements java.io.Serializable {
    Connection open() throws SQLException {
      return user == null && password == null ? DriverManager.getConnection(url)
          : DriverManager.getConnection(url, user, password);
    }

    @Override
    public String toString() {
      return "Connector[" + redact(url) + "]";
    }
  }

  /** Runs one SQL script (DDL), or one DELETE with the run id as parameter. */
  private static final class ExecuteSql extends DoFn<String, String> {
    private final Connector connector;
    private final @Nullable String runId;
    private final Counter deleted = Metrics.counter(JdbcUpsert.class, "rows_deleted_stale");

    ExecuteSql(Connector connector, @Nullable String runId) {
      this.connector = connector;
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element String sql, OutputReceiver<String> out) throws SQLException {
      try (Connection c = connector.open()) {
        if (runId == null) {
          try (Statement s = c.createStatement()) {
            for (String statement : sql.split(";\n")) {
              s.execute(statement);
            }
          }
        } else {
          try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, runId);
            deleted.inc(s.executeUpdate());
          }
        }
      } catch (SQLException e) {
        throw new SQLException("Statement failed on " + redact(connector.url()) + ": "
            + e.getMessage(), e.getSQLState(), e);
      }
      out.output(sql);
    }
  }

  /** Binds a row's values, in schema order, then the run id. */
  private static final class RowSetter implements JdbcIO.PreparedStatementSetter<Row> {
    private final @Nullable String runId;
    private final Counter upserted = Metrics.counter(JdbcUpsert.class, "rows_upserted");

    RowSetter(@Nullable String runId) {
      this.runId = runId;
    }

    @Override
    public void setParameters(Row row, PreparedStatement statement) throws Exception {
      Schema schema = row.getSchema();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        set(statement, i + 1, schema.getField(i).getType(), row.getValue(i));
      }
      if (runId != null) {
        statement.setString(schema.getFieldCount() + 1, runId);
      }
      upserted.inc();
    }

    private static void set(PreparedStatement s, int index, Schema.FieldType type, Object v)
        throws SQLException {
      if (isJson(type)) {
        if (v == null) {
          s.setNull(index, Types.VARCHAR);
        } else {
          Row wrapper = Row.withSchema(Schema.builder().addField("v", type).build())
              .addValue(v).build();
          String json = JsonLines.toJson(wrapper);
          s.setString(index, json.substring("{\"v\":".length(), json.length() - 1));
        }
        return;
      }
      if (v == null) {
        s.setNull(index, switch (type.getTypeName()) {
          case STRING -> Types.VARCHAR;
          case BYTE, INT16, INT32 -> Types.INTEGER;
          case INT64 -> Types.BIGINT;
          case FLOAT, DOUBLE -> Types.DOUBLE;
          case DECIMAL -> Types.NUMERIC;
          case BOOLEAN -> Types.BOOLEAN;
          case DATETIME -> Types.TIMESTAMP_WITH_TIMEZONE;
          default -> Types.OTHER;
        });
        return;
      }
      switch (type.getTypeName()) {
        case STRING -> s.setString(index, (String) v);
        case BYTE, INT16, INT32 -> s.setInt(index, ((Number) v).intValue());
        case INT64 -> s.setLong(index, ((Number) v).longValue());
        case FLOAT, DOUBLE -> s.setDouble(index, ((Number) v).doubleValue());
        case DECIMAL -> s.setBigDecimal(index, (BigDecimal) v);
        case BOOLEAN -> s.setBoolean(index, (Boolean) v);
        case DATETIME -> s.setObject(index, OffsetDateTime.ofInstant(
            java.time.Instant.ofEpochMilli(((ReadableInstant) v).getMillis()), ZoneOffset.UTC));
        default -> throw new IllegalArgumentException("cannot bind " + type);
      }
    }
  }

  @Override
  public String toString() {
    return "JdbcUpsert[" + table + " " + Arrays.toString(keyColumns.toArray()) + "]";
  }
}
