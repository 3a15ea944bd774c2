package dev.audiencesegmenter.io.rails;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.jdbc.DataSourceFn;
import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rail on the PostgreSQL deletes of a run: a customers table (key {@code customer_id}) and
 * a memberships table (key {@code customer_id, segment}) written by {@link JdbcUpsert} with
 * this run's id and {@link JdbcUpsert#withoutDeletingRowsOfOtherRuns()}. In two steps:
 * <ol>
 *   <li>{@link #countBefore()}, which the upserts {@code Wait.on}: the rows the previous run
 *       left (a missing table has none);
 *   <li>{@link #deleteOrRefuse()}, applied to that count once both upserts have finished:
 *       counts this run's customers and the rows of other runs, asks {@link ChangeLimits}, and
 *       either deletes the rows of other runs from both tables in one transaction, or, refused
 *       (logged at WARN), keeps them and lists each row it would have deleted as a JSON line
 *       of {@link Result#getRefused()}: destination, table, the row's key.
 * </ol>
 * Kept rows keep their old run id, so the next run deletes them once it is within the limits
 * or allowed; a membership history kept from the memberships table closes nothing meanwhile.
 * Metrics, namespace {@code GuardedDelete}: deletes_refused, rows_deleted, rows_kept.
 */
@AutoValue
public abstract class GuardedDelete implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(GuardedDelete.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  public abstract String getDestination();

  public abstract String getCustomersTable();

  public abstract String getMembershipsTable();

  abstract JdbcIO.@Nullable DataSourceConfiguration getDataSourceConfiguration();

  public abstract @Nullable String getRunId();

  public abstract ChangeLimits getLimits();

  abstract Builder toBuilder();

  /** The rail of {@code destination} (named in messages) over the two tables. */
  public static GuardedDelete of(String destination, String customersTable,
      String membershipsTable) {
    return new AutoValue_GuardedDelete.Builder().setDestination(destination)
        .setCustomersTable(checkName(customersTable))
        .setMembershipsTable(checkName(membershipsTable))
        .setLimits(ChangeLimits.defaults()).build();
  }

  /** The database, as given to the upserts (no password in its URL). */
  public GuardedDelete withDataSourceConfiguration(JdbcIO.DataSourceConfiguration dataSource) {
    return toBuilder().setDataSourceConfiguration(dataSource).build();
  }

  /** The run id the upserts write; rows with another id are the ones to delete. */
  public GuardedDelete withRunId(String runId) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("Run id must not be blank, got '" + runId + "'");
    }
    return toBuilder().setRunId(runId).build();
  }

  public GuardedDelete withLimits(ChangeLimits limits) {
    return toBuilder().setLimits(limits).build();
  }

  private static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid table name '" + name + "'");
    }
    return name;
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDestination(String destination);

    abstract Builder setCustomersTable(String table);

    abstract Builder setMembershipsTable(String table);

    abstract Builder setDataSourceConfiguration(JdbcIO.DataSourceConfiguration dataSource);

    abstract Builder setRunId(String runId);

    abstract Builder setLimits(ChangeLimits limits);

    abstract GuardedDelete build();
  }

  private void checkConfigured() {
    if (getDataSourceConfiguration() == null || getRunId() == null) {
      throw new IllegalStateException("GuardedDelete of " + getCustomersTable() + " and "
          + getMembershipsTable() + " needs withDataSourceConfiguration(..) and withRunId(..)");
    }
  }

  /** One element: the customers and memberships the previous run left. */
  public PTransform<PBegin, PCollection<ChangeCounts>> countBefore() {
    checkConfigured();
    GuardedDelete config = this;
    return new PTransform<>() {
      @Override
      public PCollection<ChangeCounts> expand(PBegin begin) {
        return begin.apply("Tables", Create.of(config.getDestination())
                .withCoder(StringUtf8Coder.of()))
            .apply("CountRowsBefore", ParDo.of(new CountBefore(config)))
            .setCoder(SerializableCoder.of(ChangeCounts.class));
      }
    };
  }

  /** Deletes the rows of other runs, or keeps and lists them when the limits refuse it. */
  public PTransform<PCollection<ChangeCounts>, Result> deleteOrRefuse() {
    checkConfigured();
    GuardedDelete config = this;
    return new PTransform<>() {
      @Override
      public Result expand(PCollection<ChangeCounts> before) {
        PCollectionTuple out = before.apply("DeleteOrListRowsOfOtherRuns",
            ParDo.of(new DeleteOrRefuse(config))
                .withOutputTags(DONE, TupleTagList.of(REFUSED)));
        return new Result(before.getPipeline(), out.get(DONE).setCoder(VoidCoder.of()),
            out.get(REFUSED).setCoder(StringUtf8Coder.of()));
      }

      @Override
      public void populateDisplayData(DisplayData.Builder builder) {
        super.populateDisplayData(builder);
        builder.add(DisplayData.item("customersTable", config.getCustomersTable()))
            .add(DisplayData.item("membershipsTable", config.getMembershipsTable()))
            .add(DisplayData.item("maxCustomerDrop", config.getLimits().getMaxCustomerDrop()))
            .add(DisplayData.item("maxExitShare", config.getLimits().getMaxExitShare()))
            .add(DisplayData.item("allowLargeChanges",
                config.getLimits().getAllowLargeChanges()));
      }
    };
  }

  static final TupleTag<Void> DONE = new TupleTag<>() {};
  static final TupleTag<String> REFUSED = new TupleTag<>() {};

  /** {@link #getDone()} completes once the deletes are done or refused. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<Void> done;
    private final PCollection<String> refused;

    Result(Pipeline pipeline, PCollection<Void> done, PCollection<String> refused) {
      this.pipeline = pipeline;
      this.done = done;
      this.refused = refused;
    }

    /** Empty; {@code Wait.on} it to run after the deletes (e.g. a membership history). */
    public PCollection<Void> getDone() {
      return done;
    }

    /** One JSON line per row kept; empty unless the deletes were refused. */
    public PCollection<String> getRefused() {
      return refused;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(DONE, done, REFUSED, refused);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }

  /** Statements on the tables the rail guards. */
  private abstract static class SqlFn<InputT, OutputT> extends DataSourceFn<InputT, OutputT> {
    final GuardedDelete config;

    SqlFn(GuardedDelete config) {
      super(config.getDataSourceConfiguration());
      this.config = config;
    }
  }

  static long count(Connection connection, String table, @Nullable String runIdFilter,
      @Nullable String runId) throws SQLException {
    try (PreparedStatement exists = connection.prepareStatement(
        "SELECT to_regclass(?) IS NOT NULL")) {
      exists.setString(1, "\"" + table + "\"");
      try (ResultSet r = exists.executeQuery()) {
        r.next();
        if (!r.getBoolean(1)) {
          return 0;
        }
      }
    }
    String sql = "SELECT count(*) FROM \"" + table + "\""
        + (runIdFilter == null ? "" : " WHERE \"" + JdbcUpsert.RUN_ID_COLUMN + "\" "
            + runIdFilter + " ?");
    try (PreparedStatement count = connection.prepareStatement(sql)) {
      if (runIdFilter != null) {
        count.setString(1, runId);
      }
      try (ResultSet r = count.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  private static final class CountBefore extends SqlFn<String, ChangeCounts> {
    CountBefore(GuardedDelete config) {
      super(config);
    }

    @ProcessElement
    public void process(OutputReceiver<ChangeCounts> out) throws SQLException {
      try (Connection connection = connection()) {
        out.output(ChangeCounts.create(count(connection, config.getCustomersTable(), null, null),
            0, count(connection, config.getMembershipsTable(), null, null), 0));
      } catch (SQLException e) {
        throw new SQLException("Counting the rows of " + config.getCustomersTable() + " and "
            + config.getMembershipsTable() + " failed: " + e.getMessage(), e.getSQLState(), e);
      }
    }
  }

  private static final class DeleteOrRefuse extends SqlFn<ChangeCounts, Void> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Counter refused = Metrics.counter(GuardedDelete.class, "deletes_refused");
    private final Counter deleted = Metrics.counter(GuardedDelete.class, "rows_deleted");
    private final Counter kept = Metrics.counter(GuardedDelete.class, "rows_kept");

    DeleteOrRefuse(GuardedDelete config) {
      super(config);
    }

    @ProcessElement
    public void process(@Element ChangeCounts before, MultiOutputReceiver out)
        throws SQLException {
      String runId = config.getRunId();
      String customers = config.getCustomersTable();
      String memberships = config.getMembershipsTable();
      try (Connection connection = connection()) {
        ChangeCounts counts = ChangeCounts.create(before.getPreviousCustomers(),
            count(connection, customers, "=", runId), before.getPreviousMemberships(),
            count(connection, memberships, "IS DISTINCT FROM", runId));
        Verdict verdict = config.getLimits().check(config.getDestination(), counts);
        if (!verdict.isRefused()) {
          LOG.info("{}", verdict.getMessage());
          connection.setAutoCommit(false);
          try {
            long rows = delete(connection, customers, runId) + delete(connection, memberships,
                runId);
            connection.commit();
            deleted.inc(rows);
          } catch (SQLException e) {
            connection.rollback();
            throw e;
          }
          return;
        }
        refused.inc();
        LOG.warn("Deletes refused in {}. {}. The rows of earlier runs stay in {} and {} (this "
            + "run's rows were upserted); those it would have deleted are listed in the run's "
            + "refused/ folder. If the change is real, run again with --allowLargeChanges.",
            config.getDestination(), verdict.getMessage(), customers, memberships);
        connection.setAutoCommit(false); // lets PostgreSQL stream with the fetch size
        list(connection, customers, List.of("customer_id"), runId, out);
        list(connection, memberships, List.of("customer_id", "segment"), runId, out);
        connection.commit();
      } catch (SQLException e) {
        throw new SQLException("Deleting the rows of other runs from " + customers + " and "
            + memberships + " failed: " + e.getMessage(), e.getSQLState(), e);
      }
    }

    private static long delete(Connection connection, String table, String runId)
        throws SQLException {
      try (PreparedStatement delete = connection.prepareStatement("DELETE FROM \"" + table
          + "\" WHERE \"" + JdbcUpsert.RUN_ID_COLUMN + "\" IS DISTINCT FROM ?")) {
        delete.setString(1, runId);
        return delete.executeUpdate();
      }
    }

    private void list(Connection connection, String table, List<String> keys, String runId,
        MultiOutputReceiver out) throws SQLException {
      StringBuilder columns = new StringBuilder();
      for (String key : keys) {
        columns.append(columns.length() == 0 ? "" : ", ").append('"').append(key).append('"');
      }
      try (PreparedStatement select = connection.prepareStatement("SELECT " + columns
          + " FROM \"" + table + "\" WHERE \"" + JdbcUpsert.RUN_ID_COLUMN
          + "\" IS DISTINCT FROM ?")) {
        select.setFetchSize(10_000);
        select.setString(1, runId);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            ObjectNode line = JSON.createObjectNode();
            line.put("destination", config.getDestination());
            line.put("table", table);
            ObjectNode key = line.putObject("delete");
            for (int i = 0; i < keys.size(); i++) {
              key.put(keys.get(i), rows.getString(i + 1));
            }
            out.get(REFUSED).output(line.toString());
            kept.inc();
          }
        }
      }
    }
  }
}
