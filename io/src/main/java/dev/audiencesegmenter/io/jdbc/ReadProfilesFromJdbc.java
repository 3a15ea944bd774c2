package dev.audiencesegmenter.io.jdbc;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.files.LineParser;
import dev.audiencesegmenter.io.files.ParseLines;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.ProfileAttributes;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads profile attributes from a database with a query, each row read through a profiles
 * {@link SourceMapping} over its column names (as a CSV export's columns are read), with the
 * checks and dead letters of the file readers. With {@link #withPartitions} the query runs as
 * that many range reads on a numeric column, in parallel ({@code JdbcIO.readWithPartitions}:
 * the column's min and max are asked first, then {@code partitions} equal ranges). Unlike the
 * file readers it does not drop duplicates of (source, id): a table's key keeps its rows apart.
 * Metrics in namespace {@code ReadProfilesFromJdbc}: lines_read (rows), records_parsed,
 * dead_lettered.
 *
 * <pre>{@code
 * ReadResult<ProfileAttributes> profiles = pipeline.apply(ReadProfilesFromJdbc
 *     .from(JdbcUpsert.postgresDataSource(url, user, password),
 *         "SELECT id, email, phone, plan, updated_at FROM crm.contacts", mapping)
 *     .withPartitions("id", 16));
 * }</pre>
 */
@AutoValue
public abstract class ReadProfilesFromJdbc
    extends PTransform<PBegin, ReadResult<ProfileAttributes>> {
  private static final String NAMESPACE = "ReadProfilesFromJdbc";

  abstract JdbcIO.DataSourceConfiguration getDataSourceConfiguration();

  public abstract String getQuery();

  public abstract SourceMapping getMapping();

  public abstract @Nullable String getPartitionColumn();

  public abstract int getPartitions();

  public abstract int getMaxIdentifiersPerRecord();

  abstract Builder toBuilder();

  /** Profiles of the rows {@code query} returns, read through {@code mapping}. */
  public static ReadProfilesFromJdbc from(JdbcIO.DataSourceConfiguration dataSource,
      String query, SourceMapping mapping) {
    if (dataSource == null) {
      throw new IllegalArgumentException("ReadProfilesFromJdbc needs a data source");
    }
    if (query == null || query.isBlank()) {
      throw new IllegalArgumentException("ReadProfilesFromJdbc needs a query, got '" + query
          + "'");
    }
    if (mapping == null || mapping.getKind() != SourceMapping.Kind.PROFILES) {
      throw new IllegalArgumentException("ReadProfilesFromJdbc needs a mapping of profiles, got "
          + (mapping == null ? "null" : "'" + mapping.getName() + "', a mapping of "
              + mapping.getKind().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    return new AutoValue_ReadProfilesFromJdbc.Builder()
        .setDataSourceConfiguration(dataSource)
        .setQuery(query.strip().replaceFirst(";$", ""))
        .setMapping(mapping)
        .setPartitions(1)
        .setMaxIdentifiersPerRecord(LineParser.DEFAULT_MAX_IDENTIFIERS)
        .build();
  }

  /**
   * Reads in {@code partitions} ranges of {@code column}, a numeric column of the query's
   * result (a key, say), in parallel.
   */
  public ReadProfilesFromJdbc withPartitions(String column, int partitions) {
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
  public ReadProfilesFromJdbc withMaxIdentifiersPerRecord(int maxIdentifiers) {
    if (maxIdentifiers < 1) {
      throw new IllegalArgumentException("maxIdentifiersPerRecord must be at least 1, got "
          + maxIdentifiers);
    }
    return toBuilder().setMaxIdentifiersPerRecord(maxIdentifiers).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDataSourceConfiguration(JdbcIO.DataSourceConfiguration dataSource);

    abstract Builder setQuery(String query);

    abstract Builder setMapping(SourceMapping mapping);

    abstract Builder setPartitionColumn(@Nullable String column);

    abstract Builder setPartitions(int partitions);

    abstract Builder setMaxIdentifiersPerRecord(int maxIdentifiers);

    abstract ReadProfilesFromJdbc build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("query", getQuery()))
        .add(DisplayData.item("mapping", getMapping().getName()))
        .addIfNotNull(DisplayData.item("partitionColumn", getPartitionColumn()))
        .add(DisplayData.item("partitions", getPartitions()))
        .add(DisplayData.item("maxIdentifiersPerRecord", getMaxIdentifiersPerRecord()));
  }

  @Override
  public ReadResult<ProfileAttributes> expand(PBegin begin) {
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
          .withTable("(" + getQuery() + ") AS profile_rows")
          .withPartitionColumn(getPartitionColumn())
          .withNumPartitions(getPartitions())
          .withRowMapper(new JsonRowMapper())
          .withCoder(StringUtf8Coder.of()));
    }
    return rows.apply("Parse", ParseLines.profiles(
        LineParser.mappedProfiles(getMapping(), ReadCustomerEvents.DEFAULT_MAX_LINE_BYTES,
            getMaxIdentifiersPerRecord()), NAMESPACE + "/Parse", NAMESPACE));
  }
}
