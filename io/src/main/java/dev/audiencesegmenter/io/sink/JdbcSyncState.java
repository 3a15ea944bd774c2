package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The sync state in a PostgreSQL table instead of a folder: same entries and the same rules as
 * {@link SyncState}. The table ({@code key} primary key, {@code payload_hash}, {@code segments}
 * jsonb, {@code email}, {@code phone}, {@code withdrawn}, {@code sms_withdrawn},
 * {@code push_withdrawn}, {@code run_id})
 * is created on the first commit (an older table gets the missing columns added); a missing
 * table reads as an empty state. A commit upserts the new state through {@link JdbcUpsert} with
 * a run id and deletes the rows of other runs, so the table then holds exactly the new state.
 * Reading is one query in one worker, fine for millions of rows, not for billions.
 */
public final class JdbcSyncState {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  private JdbcSyncState() {}

  public static PTransform<PBegin, PCollection<SyncStateEntry>> read(
      JdbcIO.DataSourceConfiguration dataSource, String table) {
    checkTable(table);
    if (dataSource == null) {
      throw new IllegalArgumentException("JdbcSyncState needs a data source");
    }
    return new PTransform<>() {
      @Override
      public PCollection<SyncStateEntry> expand(PBegin begin) {
        return begin.apply("StateTable", Create.of(table).withCoder(StringUtf8Coder.of()))
            .apply("ReadStateRows", ParDo.of(new ReadTable(dataSource)));
      }
    };
  }

  /**
   * Writes {@link SyncState#commitInputs} (the state after the sync) to {@code table}, as
   * {@link SyncState#commit} does for folders; {@code runId} marks this run's rows.
   */
  public static PTransform<PCollectionTuple, PCollection<Void>> commit(
      JdbcIO.DataSourceConfiguration dataSource, String table, String runId) {
    checkTable(table);
    return new PTransform<>() {
      @Override
      public PCollection<Void> expand(PCollectionTuple input) {
        return SyncState.mergeAfterSync(input)
            .apply("UpsertState", JdbcUpsert.<SyncStateEntry>into(table)
                .withDataSourceConfiguration(dataSource).withKeyColumns("key")
                .withRunId(runId));
      }
    };
  }

  private static void checkTable(String table) {
    if (table == null || !NAME.matcher(table).matches()) {
      throw new IllegalArgumentException("Invalid sync state table name '" + table + "'");
    }
  }

  private static final class ReadTable extends DoFn<String, SyncStateEntry> {
    private final JdbcIO.DataSourceConfiguration config;
    private transient @Nullable DataSource dataSource;

    ReadTable(JdbcIO.DataSourceConfiguration config) {
      this.config = config;
    }

    @Setup
    public void setup() {
      dataSource = config.buildDatasource();
    }

    @ProcessElement
    public void process(@Element String table, OutputReceiver<SyncStateEntry> out)
        throws SQLException {
      try (Connection connection = dataSource.getConnection()) {
        try (PreparedStatement exists = connection.prepareStatement(
            "SELECT to_regclass(?) IS NOT NULL")) {
          exists.setString(1, table);
          try (ResultSet result = exists.executeQuery()) {
            result.next();
            if (!result.getBoolean(1)) {
              return; // first sync: no state yet
            }
          }
        }
        try (Statement select = connection.createStatement()) {
          select.setFetchSize(10_000);
          connection.setAutoCommit(false); // lets PostgreSQL stream with the fetch size
          // the withdrawal flags through the row's JSON: a table from before those columns
          // reads as false (not delivered)
          try (ResultSet rows = select.executeQuery("SELECT \"key\", \"payload_hash\", "
              + "CAST(\"segments\" AS text), \"email\", \"phone\", "
              + "COALESCE((to_jsonb(t) ->> 'withdrawn')::boolean, false), "
              + "COALESCE((to_jsonb(t) ->> 'sms_withdrawn')::boolean, false), "
              + "COALESCE((to_jsonb(t) ->> 'push_withdrawn')::boolean, false) FROM \"" + table
              + "\" t")) {
            while (rows.next()) {
              List<String> segments = new ArrayList<>();
              JsonNode array = Json.parse(rows.getString(3));
              if (array != null) {
                array.forEach(segment -> segments.add(segment.asText()));
              }
              out.output(SyncStateEntry.create(rows.getString(1), rows.getString(2), segments,
                  rows.getString(4), rows.getString(5), rows.getBoolean(6),
                  rows.getBoolean(7), rows.getBoolean(8)));
            }
          }
          connection.commit();
        }
      } catch (SQLException e) {
        throw new SQLException("Reading the sync state table " + table + " failed: "
            + e.getMessage(), e.getSQLState(), e);
      }
    }

    @Teardown
    public void teardown() throws Exception {
      if (dataSource instanceof AutoCloseable closeable) {
        closeable.close();
      }
    }
  }
}
