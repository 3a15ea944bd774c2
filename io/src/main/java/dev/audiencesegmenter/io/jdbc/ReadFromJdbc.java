package dev.audiencesegmenter.io.jdbc;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.files.LineParser;
import dev.audiencesegmenter.io.files.ParseLines;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.Locale;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads profiles ({@link #profiles}) or events ({@link #events}) from a database with a query,
 * each row read through a {@link SourceMapping} over its column names (as a CSV export's
 * columns are read), with the checks and dead letters of the file readers; a row becomes a
 * JSON object first ({@link JsonRowMapper}). With {@link #withPartitions} the query runs as
 * that many range reads on a numeric column, in parallel ({@code JdbcIO.readWithPartitions}:
 * the column's min and max are asked first, then {@code partitions} equal ranges). Unlike the
 * file readers it does not drop duplicates of (source, id): a table's key keeps its rows apart.
 * Metrics and dead-letter steps in namespace {@code ReadProfilesFromJdbc} or
 * {@code ReadEventsFromJdbc}: lines_read (rows), records_parsed, dead_lettered.
 *
 * <pre>{@code
 * ReadResult<ProfileAttributes> profiles = pipeline.apply(ReadFromJdbc
 *     .profiles(JdbcUpsert.postgresDataSource(url, user, password),
 *         "SELECT id, email, phone, plan, updated_at FROM crm.contacts", mapping)
 *     .withPartitions("id", 16));
 * }</pre>
 */
@AutoValue
public abstract class ReadFromJdbc<T> extends PTransform<PBegin, ReadResult<T>> {

  abstract JdbcIO.DataSourceConfiguration getDataSourceConfiguration();

  public abstract String getQuery();

  public abstract SourceMapping getMapping();

  public abstract @Nullable String getPartitionColumn();

  public abstract int getPartitions();

  public abstract int getMaxIdentifiersPerRecord();

  public abstract boolean getDeadLettersInBand();

  abstract Builder<T> toBuilder();

  /** Profiles: the rows {@code query} returns, read through a profiles {@code mapping}. */
  public static ReadFromJdbc<ProfileAttributes> profiles(
      JdbcIO.DataSourceConfiguration dataSource, String query, SourceMapping mapping) {
    return create(dataSource, query, mapping, SourceMapping.Kind.PROFILES);
  }

  /** Events: the rows {@code query} returns, read through an events {@code mapping}. */
  public static ReadFromJdbc<CustomerEvent> events(JdbcIO.DataSourceConfiguration dataSource,
      String query, SourceMapping mapping) {
    return create(dataSource, query, mapping, SourceMapping.Kind.EVENTS);
  }

  private static <T> ReadFromJdbc<T> create(JdbcIO.DataSourceConfiguration dataSource,
      String query, SourceMapping mapping, SourceMapping.Kind kind) {
    String wanted = kind.toString().toLowerCase(Locale.ROOT);
    if (dataSource == null) {
      throw new IllegalArgumentException("ReadFromJdbc needs a data source");
    }
    if (query == null || query.isBlank()) {
      throw new IllegalArgumentException("ReadFromJdbc needs a query, got '" + query + "'");
    }
    if (mapping == null || mapping.getKind() != kind) {
      throw new IllegalArgumentException("ReadFromJdbc of " + wanted + " needs a mapping of "
          + wanted + ", got " + (mapping == null ? "null" : "'" + mapping.getName()
              + "', a mapping of " + mapping.getKind().toString().toLowerCase(Locale.ROOT)));
    }
    return new AutoValue_ReadFromJdbc.Builder<T>()
        .setDataSourceConfiguration(dataSource)
        // it may become a derived table: no final ';'
        .setQuery(query.strip().replaceFirst(";$", ""))
        .setMapping(mapping)
        .setPartitions(1)
        .setMaxIdentifiersPerRecord(LineParser.DEFAULT_MAX_IDENTIFIERS)
        .setDeadLettersInBand(false)
        .build();
  }

  /**
   * Reads in {@code partitions} ranges of {@code column}, a numeric column of the query's
   * result (a key, say), in parallel.
   */
  public ReadFromJdbc<T> withPartitions(String column, int partitions) {
    if (column == null || !column.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("partition column must be a plain column name, got '"
          + column + "'");
    }
    if (partitions < 1 || partitions > 10_000) {
      throw new IllegalArgumentException("partitions must be in [1, 10000], got " + partitions);
    }
    return toBuilder().setPartitionColumn(column).setPartitions(partitions).build();
  }

  /** Rows with more identifiers than this are rejected (default 50). */
  public ReadFromJdbc<T> withMaxIdentifiersPerRecord(int maxIdentifiers) {
    if (maxIdentifiers < 1) {
      throw new IllegalArgumentException("maxIdentifiersPerRecord must be at least 1, got "
          + maxIdentifiers);
    }
    return toBuilder().setMaxIdentifiersPerRecord(maxIdentifiers).build();
  }

  /**
   * Records and rejected rows in one stream ({@link ReadResult#getChecked}), as the file
   * readers' {@code withDeadLettersInBand()}.
   */
  public ReadFromJdbc<T> withDeadLettersInBand() {
    return toBuilder().setDeadLettersInBand(true).build();
  }

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setDataSourceConfiguration(JdbcIO.DataSourceConfiguration dataSource);

    abstract Builder<T> setQuery(String query);

    abstract Builder<T> setMapping(SourceMapping mapping);

    abstract Builder<T> setPartitionColumn(@Nullable String column);

    abstract Builder<T> setPartitions(int partitions);

    abstract Builder<T> setMaxIdentifiersPerRecord(int maxIdentifiers);

    abstract Builder<T> setDeadLettersInBand(boolean inBand);

    abstract ReadFromJdbc<T> build();
  }

  private boolean readsEvents() {
    return getMapping().getKind() == SourceMapping.Kind.EVENTS;
  }

  /** The dead letters' step prefix and the metrics namespace. */
  private String namespace() {
    return readsEvents() ? "ReadEventsFromJdbc" : "ReadProfilesFromJdbc";
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("query", getQuery()))
        .add(DisplayData.item("mapping", getMapping().getName()))
        .add(DisplayData.item("kind", getMapping().getKind().toString()))
        .addIfNotNull(DisplayData.item("partitionColumn", getPartitionColumn()))
        .add(DisplayData.item("partitions", getPartitions()))
        .add(DisplayData.item("maxIdentifiersPerRecord", getMaxIdentifiersPerRecord()));
  }

  @Override
  @SuppressWarnings("unchecked")  // T is the mapping's kind, checked by the factories
  public ReadResult<T> expand(PBegin begin) {
    PCollection<String> rows;
    if (getPartitionColumn() == null) {
      rows = begin.apply("ReadRows", JdbcIO.<String>read()
          .withDataSourceConfiguration(getDataSourceConfiguration())
          .withQuery(getQuery())
          .withRowMapper(new JsonRowMapper())
          .withCoder(StringUtf8Coder.of()));
    } else {
      rows = begin.apply("ReadRowRanges", JdbcIO.<String>readWithPartitions()
          .withDataSourceConfiguration(getDataSourceConfiguration())
          // the query as a derived table: JdbcIO adds the range condition around it
          .withTable("(" + getQuery() + ") AS source_rows")
          .withPartitionColumn(getPartitionColumn())
          .withNumPartitions(getPartitions())
          .withRowMapper(new JsonRowMapper())
          .withCoder(StringUtf8Coder.of()));
    }
    String step = namespace() + "/Parse";
    int maxBytes = ReadCustomerEvents.DEFAULT_MAX_LINE_BYTES;
    if (readsEvents()) {
      ParseLines<CustomerEvent> parse = ParseLines.customerEvents(
          LineParser.mappedEvents(getMapping(), maxBytes, getMaxIdentifiersPerRecord()), step,
          namespace());
      return (ReadResult<T>) rows.apply("Parse",
          getDeadLettersInBand() ? parse.withDeadLettersInBand() : parse);
    }
    ParseLines<ProfileAttributes> parse = ParseLines.profiles(
        LineParser.mappedProfiles(getMapping(), maxBytes, getMaxIdentifiersPerRecord()), step,
        namespace());
    return (ReadResult<T>) rows.apply("Parse",
        getDeadLettersInBand() ? parse.withDeadLettersInBand() : parse);
  }
}
