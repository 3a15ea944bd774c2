package dev.audiencesegmenter.io.jdbc;

import com.google.auto.value.AutoValue;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import dev.audiencesegmenter.io.secrets.Credential;
import org.apache.beam.sdk.options.ValueProvider;
import org.apache.beam.sdk.options.ValueProvider.StaticValueProvider;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Keeps a PostgreSQL history of segment membership, {@code (customer_id, segment, entered_at,
 * exited_at)}, in step with the memberships table that {@link JdbcUpsert} keeps as exactly the
 * current run's rows. Applied to that upsert's output (so it runs once the table is final), it
 * compares the table with the history's open rows ({@code exited_at IS NULL}), the previous
 * state, in one transaction:
 *
 * <pre>{@code
 * written.apply(MembershipHistory.of("segment_memberships", "segment_membership_history")
 *     .withAsOf(asOf).withJdbcUrl("jdbc:postgresql://localhost/cdp"));
 * }</pre>
 *
 * <ul>
 *   <li>an open row whose membership is gone is closed: {@code exited_at} = the run's as-of
 *       time (never before its {@code entered_at});
 *   <li>a membership without an open row opens one: {@code entered_at} = the as-of time.
 * </ul>
 *
 * <p>Times are the run's {@code asOf}, not the wall clock, so a rerun of the same run finds
 * nothing to open or close and changes nothing; a customer who comes back gets a second row.
 * The table (primary key {@code (customer_id, segment, entered_at)}, at most one open row per
 * customer and segment by a partial unique index) is created when missing. Metrics, namespace
 * {@code MembershipHistory}: memberships_entered, memberships_exited.
 */
@AutoValue
public abstract class MembershipHistory
    extends PTransform<PCollection<Void>, PCollection<Void>> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  public abstract String getHistoryTable();

  public abstract String getMembershipsTable();

  public abstract @Nullable Instant getAsOf();

  abstract @Nullable String getJdbcUrl();

  abstract @Nullable String getUsername();

  abstract @Nullable ValueProvider<String> getPassword();

  abstract Builder toBuilder();

  /** History in {@code historyTable} of the memberships in {@code membershipsTable}. */
  public static MembershipHistory of(String membershipsTable, String historyTable) {
    return new AutoValue_MembershipHistory.Builder()
        .setMembershipsTable(checkName(membershipsTable, "memberships table"))
        .setHistoryTable(checkName(historyTable, "history table")).build();
  }

  /** The run's "now": when memberships opened or closed by this run entered or left. */
  public MembershipHistory withAsOf(Instant asOf) {
    if (asOf == null) {
      throw new IllegalArgumentException("MembershipHistory needs an as-of time");
    }
    return toBuilder().setAsOf(asOf).build();
  }

  /** The database, as for {@link JdbcUpsert#withJdbcUrl}. */
  public MembershipHistory withJdbcUrl(String url) {
    JdbcUrl.parse(url); // checks it, naming it masked
    return toBuilder().setJdbcUrl(url).build();
  }

  public MembershipHistory withUsername(String username) {
    return toBuilder().setUsername(username).build();
  }

  /** The database password, as for {@link JdbcUpsert#withPassword(String)}. */
  public MembershipHistory withPassword(String password) {
    return toBuilder().setPassword(StaticValueProvider.of(password)).build();
  }

  /** The database password as a reference the workers resolve. */
  public MembershipHistory withPassword(Credential password) {
    return toBuilder().setPassword(password.asValueProvider()).build();
  }

  private static String checkName(String name, String what) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid " + what + " name '" + name + "'");
    }
    return name;
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setHistoryTable(String table);

    abstract Builder setMembershipsTable(String table);

    abstract Builder setAsOf(Instant asOf);

    abstract Builder setJdbcUrl(String url);

    abstract Builder setUsername(String username);

    abstract Builder setPassword(ValueProvider<String> password);

    abstract MembershipHistory build();
  }

  @Override
  public PCollection<Void> expand(PCollection<Void> membershipsWritten) {
    if (getJdbcUrl() == null) {
      throw new IllegalStateException("MembershipHistory of " + getMembershipsTable()
          + " needs withJdbcUrl(..)");
    }
    if (getAsOf() == null) {
      throw new IllegalStateException("MembershipHistory of " + getMembershipsTable()
          + " needs withAsOf(..)");
    }
    JdbcIO.DataSourceConfiguration dataSource =
        JdbcUpsert.postgresDataSource(getJdbcUrl(), getUsername(), getPassword());
    return membershipsWritten.getPipeline()
        .apply("HistoryTable", Create.of(getHistoryTable()).withCoder(StringUtf8Coder.of()))
        .apply("AfterMembershipsAreWritten", Wait.on(membershipsWritten))
        .apply("OpenAndCloseHistoryRows", ParDo.of(new Update(dataSource, statements(),
            getAsOf().getMillis(), "table " + getHistoryTable() + " at "
                + JdbcUrl.mask(getJdbcUrl()))))
        .setCoder(VoidCoder.of());
  }

  /** DDL, then close (parameter: as-of), then open (parameter: as-of). */
  List<String> statements() {
    String h = "\"" + getHistoryTable() + "\"";
    String m = "\"" + getMembershipsTable() + "\"";
    return List.of(
        "CREATE TABLE IF NOT EXISTS " + h + " (customer_id text NOT NULL, segment text NOT NULL, "
            + "entered_at timestamptz NOT NULL, exited_at timestamptz, "
            + "PRIMARY KEY (customer_id, segment, entered_at))",
        "CREATE UNIQUE INDEX IF NOT EXISTS \"" + getHistoryTable() + "_open\" ON " + h
            + " (customer_id, segment) WHERE exited_at IS NULL",
        "UPDATE " + h + " h SET exited_at = GREATEST(CAST(? AS timestamptz), h.entered_at) "
            + "WHERE h.exited_at IS NULL AND NOT EXISTS (SELECT 1 FROM " + m + " m "
            + "WHERE m.customer_id = h.customer_id AND m.segment = h.segment)",
        "INSERT INTO " + h + " (customer_id, segment, entered_at) "
            + "SELECT DISTINCT m.customer_id, m.segment, CAST(? AS timestamptz) FROM " + m
            + " m WHERE NOT EXISTS (SELECT 1 FROM " + h + " h WHERE h.customer_id = "
            + "m.customer_id AND h.segment = m.segment AND h.exited_at IS NULL) "
            + "ON CONFLICT DO NOTHING");
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("historyTable", getHistoryTable()))
        .add(DisplayData.item("membershipsTable", getMembershipsTable()))
        .addIfNotNull(DisplayData.item("jdbcUrl", JdbcUrl.mask(getJdbcUrl())));
  }

  @Override
  public final String toString() {
    return "MembershipHistory{historyTable=" + getHistoryTable() + ", membershipsTable="
        + getMembershipsTable() + ", jdbcUrl=" + JdbcUrl.mask(getJdbcUrl()) + "}";
  }

  private static final class Update extends DoFn<String, Void> {
    private final JdbcIO.DataSourceConfiguration config;
    private final List<String> statements;
    private final long asOfMillis;
    private final String where;
    private final Counter entered = Metrics.counter(MembershipHistory.class,
        "memberships_entered");
    private final Counter exited = Metrics.counter(MembershipHistory.class,
        "memberships_exited");
    private transient @Nullable DataSource dataSource;

    Update(JdbcIO.DataSourceConfiguration config, List<String> statements, long asOfMillis,
        String where) {
      this.config = config;
      this.statements = statements;
      this.asOfMillis = asOfMillis;
      this.where = where;
    }

    @Setup
    public void setup() {
      dataSource = config.buildDatasource();
    }

    @ProcessElement
    public void process(@Element String table) throws SQLException {
      java.sql.Timestamp asOf = new java.sql.Timestamp(asOfMillis);
      try (Connection connection = dataSource.getConnection()) {
        try (Statement ddl = connection.createStatement()) {
          ddl.execute(statements.get(0));
          ddl.execute(statements.get(1));
        }
        connection.setAutoCommit(false);
        try (PreparedStatement close = connection.prepareStatement(statements.get(2));
            PreparedStatement open = connection.prepareStatement(statements.get(3))) {
          close.setTimestamp(1, asOf);
          int closed = close.executeUpdate();
          open.setTimestamp(1, asOf);
          int opened = open.executeUpdate();
          connection.commit();
          exited.inc(closed);
          entered.inc(opened);
        } catch (SQLException e) {
          connection.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new SQLException("Updating the membership history in " + where + " failed: "
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
