package dev.audiencesegmenter.io.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A DoFn that runs a few SQL statements of its own (around a write, not the write itself): one
 * data source per DoFn instance, opened in {@code @Setup} and closed in {@code @Teardown}.
 */
public abstract class DataSourceFn<InputT, OutputT> extends DoFn<InputT, OutputT> {
  private final JdbcIO.DataSourceConfiguration dataSourceConfiguration;
  private transient @Nullable DataSource dataSource;

  protected DataSourceFn(JdbcIO.DataSourceConfiguration dataSourceConfiguration) {
    this.dataSourceConfiguration = dataSourceConfiguration;
  }

  @Setup
  public void setup() {
    dataSource = dataSourceConfiguration.buildDatasource();
  }

  /** A connection from this instance's data source; the caller closes it. */
  protected Connection connection() throws SQLException {
    return dataSource.getConnection();
  }

  @Teardown
  public void teardown() throws Exception {
    if (dataSource instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }
}
