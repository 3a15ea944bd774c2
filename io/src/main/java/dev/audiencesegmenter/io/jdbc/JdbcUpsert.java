package dev.audiencesegmenter.io.jdbc;

import com.google.auto.value.AutoValue;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import dev.audiencesegmenter.io.secrets.Credential;
import org.apache.beam.sdk.options.ValueProvider;
import org.apache.beam.sdk.options.ValueProvider.StaticValueProvider;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Upserts a schema'd PCollection into a PostgreSQL table with {@code INSERT ... ON CONFLICT
 * (keys) DO UPDATE}, through Beam's {@link JdbcIO}, so running a job again updates rows instead
 * of duplicating them.
 *
 * <p>Three steps, each after the previous one has finished:
 * <ol>
 *   <li>The table is created when missing, from the schema (STRING text, INT64 bigint, INT32
 *       integer, DOUBLE double precision, DECIMAL numeric, BOOLEAN boolean, DATETIME
 *       timestamptz, BYTES bytea, MAP/ARRAY/ROW jsonb in the JSON Lines rendering), with the
 *       key columns as primary key; columns a newer schema adds are added to an older table.
 *   <li>The rows are upserted in batches of {@link #getBatchSize()}: every non-key column takes
 *       the new value.
 *   <li>With {@link #withRunId(String)}, every row written carries the run id in a
 *       {@code run_id} column, and the rows of other runs (those this run did not write) are
 *       deleted: the table then holds exactly this run's rows, so a customer who left a
 *       segment leaves the table too. An empty input therefore empties the table. Two runs
 *       with different ids must not write the same table at the same time.
 * </ol>
 *
 * <p>The output is an empty {@code PCollection<Void>} that is complete once the table holds
 * its final rows; {@link Wait#on} it to run something after the upsert. Metrics in namespace
 * {@code JdbcUpsert}: rows_upserted, rows_deleted_stale.
 *
 * <pre>{@code
 * memberships.apply("UpsertMemberships",
 *     JdbcUpsert.<SegmentMembership>into("segment_memberships")
 *         .withJdbcUrl("jdbc:postgresql://db:5432/crm").withUsername("etl").withPassword(secret)
 *         .withKeyColumns("customer_id", "segment")
 *         .withRunId(UUID.randomUUID().toString()));
 * }</pre>
 *
 * <p>The SQL is PostgreSQL's (9.5 or later). Passwords never appear in display data, logs or
 * error messages: one given in the URL ({@code ?password=...}) is taken out of it and passed to
 * the driver separately, and URLs in messages are masked.
 */
@AutoValue
public abstract class JdbcUpsert<T> extends PTransform<PCollection<T>, PCollection<Void>> {
  /** The column that records which run wrote a row, when a run id is set. */
  public static final String RUN_ID_COLUMN = "run_id";

  public static final int DEFAULT_BATCH_SIZE = 1000;

  private static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
  // PostgreSQL silently truncates longer identifiers, which could merge two names.
  private static final int MAX_NAME_LENGTH = 63;

  public abstract String getTable();

  public abstract List<String> getKeyColumns();

  abstract @Nullable String getJdbcUrl();

  abstract @Nullable String getUsername();

  abstract @Nullable ValueProvider<String> getPassword();

  abstract JdbcIO.@Nullable DataSourceConfiguration getDataSourceConfiguration();

  public abstract @Nullable String getRunId();

  public abstract int getBatchSize();

  /** False after {@link #withoutDeletingRowsOfOtherRuns()}. */
  public abstract boolean getDeleteRowsOfOtherRuns();

  abstract Builder<T> toBuilder();

  /** Upserts into {@code table}: letters, digits and underscores, not starting with a digit. */
  public static <T> JdbcUpsert<T> into(String table) {
    return new AutoValue_JdbcUpsert.Builder<T>()
        .setTable(checkName(table, "table"))
        .setKeyColumns(List.of())
        .setBatchSize(DEFAULT_BATCH_SIZE)
        .setDeleteRowsOfOtherRuns(true)
        .build();
  }

  /** The columns of the primary key, fields of the input schema; required. */
  public JdbcUpsert<T> withKeyColumns(String... columns) {
    if (columns == null || columns.length == 0) {
      throw new IllegalArgumentException("JdbcUpsert into " + getTable()
          + " needs at least one key column");
    }
    for (String column : columns) {
      checkName(column, "key column");
    }
    if (List.of(columns).stream().distinct().count() != columns.length) {
      throw new IllegalArgumentException("Duplicate key columns in " + List.of(columns));
    }
    return toBuilder().setKeyColumns(List.of(columns)).build();
  }

  /**
   * The database, {@code jdbc:postgresql://host:port/database}, optionally with
   * {@code ?user=..&password=..}. This or {@link #withDataSourceConfiguration} is required.
   */
  public JdbcUpsert<T> withJdbcUrl(String url) {
    checkJdbcUrl(url);
    if (getDataSourceConfiguration() != null) {
      throw new IllegalArgumentException("JdbcUpsert into " + getTable()
          + ": set withJdbcUrl or withDataSourceConfiguration, not both");
    }
    return toBuilder().setJdbcUrl(url).build();
  }

  /** The database user, for {@link #withJdbcUrl}. */
  public JdbcUpsert<T> withUsername(String user) {
    if (user == null || user.isBlank()) {
      throw new IllegalArgumentException("JDBC user must not be blank, got '" + user + "'");
    }
    return toBuilder().setUsername(user).build();
  }

  /**
   * The database password, for {@link #withJdbcUrl}; it wins over one in the URL. It travels
   * inside the job (as with {@code JdbcIO}); {@link #withPassword(Credential)} keeps it out.
   */
  public JdbcUpsert<T> withPassword(String password) {
    if (password == null) {
      throw new IllegalArgumentException("JDBC password must not be null");
    }
    return toBuilder().setPassword(StaticValueProvider.of(password)).build();
  }

  /**
   * The database password as a reference (an environment variable, a file) that the workers
   * resolve: the job carries only the reference.
   */
  public JdbcUpsert<T> withPassword(Credential password) {
    if (password == null) {
      throw new IllegalArgumentException("JDBC password must not be null");
    }
    return toBuilder().setPassword(password.asValueProvider()).build();
  }

  /**
   * A ready {@link JdbcIO.DataSourceConfiguration} of a PostgreSQL database (pooling, driver
   * jars, connection properties ...), instead of {@link #withJdbcUrl}.
   */
  public JdbcUpsert<T> withDataSourceConfiguration(JdbcIO.DataSourceConfiguration dataSource) {
    if (dataSource == null) {
      throw new IllegalArgumentException("DataSourceConfiguration must not be null");
    }
    if (getJdbcUrl() != null) {
      throw new IllegalArgumentException("JdbcUpsert into " + getTable()
          + ": set withJdbcUrl or withDataSourceConfiguration, not both");
    }
    return toBuilder().setDataSourceConfiguration(dataSource).build();
  }

  /** Marks rows with this run and, after the write, deletes the rows of other runs. */
  public JdbcUpsert<T> withRunId(String runId) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("Run id must not be blank, got '" + runId + "'");
    }
    return toBuilder().setRunId(runId).build();
  }

  /**
   * Marks rows with the run id of {@link #withRunId} but leaves the rows of other runs to the
   * caller, who deletes them after a check (e.g. {@code rails.GuardedDelete}); the output is
   * then complete once the upsert is.
   */
  public JdbcUpsert<T> withoutDeletingRowsOfOtherRuns() {
    return toBuilder().setDeleteRowsOfOtherRuns(false).build();
  }

  /** Rows per JDBC batch (default {@value #DEFAULT_BATCH_SIZE}). */
  public JdbcUpsert<T> withBatchSize(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("Batch size must be at least 1, got " + rows);
    }
    return toBuilder().setBatchSize(rows).build();
  }

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setTable(String table);

    abstract Builder<T> setKeyColumns(List<String> keyColumns);

    abstract Builder<T> setJdbcUrl(String jdbcUrl);

    abstract Builder<T> setUsername(String username);

    abstract Builder<T> setPassword(ValueProvider<String> password);

    abstract Builder<T> setDataSourceConfiguration(JdbcIO.DataSourceConfiguration dataSource);

    abstract Builder<T> setRunId(String runId);

    abstract Builder<T> setBatchSize(int batchSize);

    abstract Builder<T> setDeleteRowsOfOtherRuns(boolean delete);

    abstract JdbcUpsert<T> build();
  }

  @Override
  public PCollection<Void> expand(PCollection<T> input) {
    if (!input.hasSchema()) {
      throw new IllegalArgumentException("JdbcUpsert into " + getTable()
          + " needs a PCollection with a schema, got one with coder " + input.getCoder());
    }
    Schema schema = input.getSchema();
    checkSchema(schema);
    JdbcIO.DataSourceConfiguration dataSource = dataSource();
    String where = describeDatabase();

    PCollection<String> tableReady = input.getPipeline()
        .apply("TableName", Create.of(getTable()).withCoder(StringUtf8Coder.of()))
        .apply("CreateTableIfMissing",
            ParDo.of(new RunDdl(dataSource, createTableStatements(schema), where)));

    PCollection<Void> written = input
        .apply("AfterTableIsReady", Wait.on(tableReady))
        .setCoder(input.getCoder())
        .apply("ToRows", ParDo.of(new ToRow<>(input.getToRowFunction())))
        .setRowSchema(schema)
        .apply("Upsert", JdbcIO.<Row>write()
            .withDataSourceConfiguration(dataSource)
            .withStatement(upsertStatement(schema))
            .withPreparedStatementSetter(new RowStatementSetter(getRunId()))
            .withBatchSize(getBatchSize())
            .withResults());
    if (getRunId() == null || !getDeleteRowsOfOtherRuns()) {
      return written;
    }
    return input.getPipeline()
        .apply("RunId", Create.of(getRunId()).withCoder(StringUtf8Coder.of()))
        .apply("AfterUpsert", Wait.on(written))
        .apply("DeleteRowsOfOtherRuns",
            ParDo.of(new DeleteRowsOfOtherRuns(dataSource, deleteStaleStatement(), where)))
        .setCoder(VoidCoder.of());
  }

  private void checkSchema(Schema schema) {
    if (getJdbcUrl() == null && getDataSourceConfiguration() == null) {
      throw new IllegalStateException("JdbcUpsert into " + getTable()
          + " needs withJdbcUrl(..) or withDataSourceConfiguration(..)");
    }
    if (getDataSourceConfiguration() != null
        && (getUsername() != null || getPassword() != null)) {
      throw new IllegalStateException("JdbcUpsert into " + getTable() + ": withUsername and "
          + "withPassword go with withJdbcUrl; set them on the DataSourceConfiguration instead");
    }
    if (getKeyColumns().isEmpty()) {
      throw new IllegalStateException("JdbcUpsert into " + getTable()
          + " needs withKeyColumns(..)");
    }
    for (Schema.Field field : schema.getFields()) {
      checkName(field.getName(), "column");
      sqlType(field.getType());
    }
    for (String key : getKeyColumns()) {
      if (!schema.hasField(key)) {
        throw new IllegalArgumentException("Key column '" + key + "' of table " + getTable()
            + " is not a field of the input: " + schema.getFieldNames());
      }
    }
    if (getRunId() != null && schema.hasField(RUN_ID_COLUMN)) {
      throw new IllegalArgumentException("The input of table " + getTable() + " has a field '"
          + RUN_ID_COLUMN + "', the column that withRunId(..) adds");
    }
  }

  /** The data source for JdbcIO and for the steps around it; no password in the URL. */
  private JdbcIO.DataSourceConfiguration dataSource() {
    if (getDataSourceConfiguration() != null) {
      return getDataSourceConfiguration();
    }
    return postgresDataSource(getJdbcUrl(), getUsername(), getPassword());
  }

  /**
   * A data source of a PostgreSQL JDBC URL with its {@code password} parameter taken out of the
   * URL and given as the password (unless {@code password} is given, which wins): drivers and
   * pools repeat the URL in their errors, and display data shows it. A URL that is not
   * {@code jdbc:postgresql:} is refused, named with its password masked.
   */
  public static JdbcIO.DataSourceConfiguration postgresDataSource(String jdbcUrl,
      @Nullable String username, @Nullable String password) {
    return postgresDataSource(jdbcUrl, username,
        password == null ? null : (ValueProvider<String>) StaticValueProvider.of(password));
  }

  /**
   * As {@link #postgresDataSource(String, String, String)}, with the password as a reference
   * resolved where the data source is built (the workers): the job carries only the reference.
   */
  public static JdbcIO.DataSourceConfiguration postgresDataSource(String jdbcUrl,
      @Nullable String username, @Nullable Credential password) {
    return postgresDataSource(jdbcUrl, username,
        password == null ? null : password.asValueProvider());
  }

  static JdbcIO.DataSourceConfiguration postgresDataSource(String jdbcUrl,
      @Nullable String username, @Nullable ValueProvider<String> password) {
    checkJdbcUrl(jdbcUrl);
    JdbcUrl url = JdbcUrl.parse(jdbcUrl);
    JdbcIO.DataSourceConfiguration dataSource =
        JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", url.withoutPassword());
    if (username != null) {
      dataSource = dataSource.withUsername(username);
    }
    if (password != null) {
      dataSource = dataSource.withPassword(password);
    } else if (url.password() != null) {
      dataSource = dataSource.withPassword(url.password());
    }
    return dataSource;
  }

  private static void checkJdbcUrl(@Nullable String url) {
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("JDBC URL must start with jdbc:postgresql:, got '"
          + JdbcUrl.mask(url) + "'");
    }
  }

  private String describeDatabase() {
    return "table " + getTable() + " at " + (getJdbcUrl() != null
        ? JdbcUrl.mask(getJdbcUrl()) : "the configured data source");
  }

  /** CREATE TABLE IF NOT EXISTS, then ADD COLUMN IF NOT EXISTS for each column. */
  List<String> createTableStatements(Schema schema) {
    List<String> columns = new ArrayList<>();
    for (Schema.Field field : schema.getFields()) {
      boolean notNull = getKeyColumns().contains(field.getName())
          || !field.getType().getNullable();
      columns.add(quote(field.getName()) + " " + sqlType(field.getType())
          + (notNull ? " NOT NULL" : ""));
    }
    if (getRunId() != null) {
      columns.add(quote(RUN_ID_COLUMN) + " text NOT NULL");
    }
    List<String> statements = new ArrayList<>();
    statements.add("CREATE TABLE IF NOT EXISTS " + quote(getTable()) + " ("
        + String.join(", ", columns) + ", PRIMARY KEY (" + quotedList(getKeyColumns()) + "))");
    // A table from an older schema gets the new columns (nullable: it may have rows);
    // columns the schema dropped stay, unused.
    for (Schema.Field field : schema.getFields()) {
      statements.add("ALTER TABLE " + quote(getTable()) + " ADD COLUMN IF NOT EXISTS "
          + quote(field.getName()) + " " + sqlType(field.getType()));
    }
    if (getRunId() != null) {
      statements.add("ALTER TABLE " + quote(getTable()) + " ADD COLUMN IF NOT EXISTS "
          + quote(RUN_ID_COLUMN) + " text");
    }
    return statements;
  }

  /** The upsert; parameters are the schema's fields in order, then the run id. */
  String upsertStatement(Schema schema) {
    List<String> columns = new ArrayList<>(schema.getFieldNames());
    List<String> values = new ArrayList<>();
    for (Schema.Field field : schema.getFields()) {
      values.add(RowStatementSetter.isJson(field.getType()) ? "CAST(? AS jsonb)" : "?");
    }
    if (getRunId() != null) {
      columns.add(RUN_ID_COLUMN);
      values.add("?");
    }
    List<String> updates = columns.stream()
        .filter(column -> !getKeyColumns().contains(column))
        .map(column -> quote(column) + " = EXCLUDED." + quote(column))
        .collect(Collectors.toList());
    return "INSERT INTO " + quote(getTable()) + " (" + quotedList(columns) + ") VALUES ("
        + String.join(", ", values) + ") ON CONFLICT (" + quotedList(getKeyColumns()) + ") "
        + (updates.isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + String.join(", ", updates));
  }

  /** Rows of earlier runs, and rows from before run ids were used (NULL run id). */
  String deleteStaleStatement() {
    return "DELETE FROM " + quote(getTable()) + " WHERE " + quote(RUN_ID_COLUMN)
        + " IS DISTINCT FROM ?";
  }

  static String sqlType(Schema.FieldType type) {
    return switch (type.getTypeName()) {
      case STRING -> "text";
      case BYTE, INT16, INT32 -> "integer";
      case INT64 -> "bigint";
      case FLOAT, DOUBLE -> "double precision";
      case DECIMAL -> "numeric";
      case BOOLEAN -> "boolean";
      case DATETIME -> "timestamptz";
      case BYTES -> "bytea";
      case MAP, ARRAY, ITERABLE, ROW -> "jsonb";
      case LOGICAL_TYPE -> sqlType(type.getLogicalType().getBaseType());
    };
  }

  private static String checkName(String name, String what) {
    if (name == null || !NAME.matcher(name).matches() || name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("Invalid " + what + " name '" + name + "': use up to "
          + MAX_NAME_LENGTH + " letters, digits and underscores, not starting with a digit");
    }
    return name;
  }

  /** Names are checked against {@link #NAME}, so quoting cannot be escaped. */
  private static String quote(String name) {
    return "\"" + name + "\"";
  }

  private static String quotedList(List<String> names) {
    return names.stream().map(JdbcUpsert::quote).collect(Collectors.joining(", "));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("table", getTable()).withLabel("Table"))
        .add(DisplayData.item("keyColumns", String.join(", ", getKeyColumns()))
            .withLabel("Key columns"))
        .addIfNotNull(DisplayData.item("jdbcUrl", JdbcUrl.mask(getJdbcUrl()))
            .withLabel("JDBC URL"))
        .addIfNotNull(DisplayData.item("username", getUsername()).withLabel("User"))
        .addIfNotNull(DisplayData.item("runId", getRunId()).withLabel("Run id"))
        .add(DisplayData.item("deleteRowsOfOtherRuns", getDeleteRowsOfOtherRuns())
            .withLabel("Delete rows of other runs"))
        .add(DisplayData.item("batchSize", getBatchSize()).withLabel("Batch size"));
  }

  /** Without the password, unlike the generated one. */
  @Override
  public final String toString() {
    return "JdbcUpsert{table=" + getTable() + ", keyColumns=" + getKeyColumns() + ", jdbcUrl="
        + JdbcUrl.mask(getJdbcUrl()) + ", runId=" + getRunId() + "}";
  }

  /** The statements around the write, with the where clause that picks this run's rows. */
  private abstract static class SqlFn<InputT, OutputT> extends DataSourceFn<InputT, OutputT> {
    final String where;

    SqlFn(JdbcIO.DataSourceConfiguration config, String where) {
      super(config);
      this.where = where;
    }
  }

  private static final class RunDdl extends SqlFn<String, String> {
    private final List<String> statements;

    RunDdl(JdbcIO.DataSourceConfiguration config, List<String> statements, String where) {
      super(config, where);
      this.statements = statements;
    }

    @ProcessElement
    public void process(@Element String table, OutputReceiver<String> out) throws SQLException {
      try (Connection connection = connection();
          Statement statement = connection.createStatement()) {
        for (String sql : statements) {
          statement.execute(sql);
        }
      } catch (SQLException e) {
        throw new SQLException("Creating " + where + " failed: " + e.getMessage(),
            e.getSQLState(), e);
      }
      out.output(table);
    }
  }

  /** Deletes the rows whose run id is not this run's. */
  private static final class DeleteRowsOfOtherRuns extends SqlFn<String, Void> {
    private final String delete;
    private final Counter deleted = Metrics.counter(JdbcUpsert.class, "rows_deleted_stale");

    DeleteRowsOfOtherRuns(JdbcIO.DataSourceConfiguration config, String delete, String where) {
      super(config, where);
      this.delete = delete;
    }

    @ProcessElement
    public void process(@Element String runId) throws SQLException {
      try (Connection connection = connection();
          PreparedStatement statement = connection.prepareStatement(delete)) {
        statement.setString(1, runId);
        deleted.inc(statement.executeUpdate());
      } catch (SQLException e) {
        throw new SQLException("Deleting the rows of other runs from " + where + " failed: "
            + e.getMessage(), e.getSQLState(), e);
      }
    }
  }

  /** Converts elements to rows and counts them. */
  private static final class ToRow<T> extends DoFn<T, Row> {
    private final SerializableFunction<T, Row> toRow;
    private final Counter upserted = Metrics.counter(JdbcUpsert.class, "rows_upserted");

    ToRow(SerializableFunction<T, Row> toRow) {
      this.toRow = toRow;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<Row> out) {
      out.output(toRow.apply(element));
      upserted.inc();
    }
  }
}
