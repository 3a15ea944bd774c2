package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.io.rails.WriterLock;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/**
 * The writer locks of a run ({@link WriterLock}): the tables of {@code --jdbcUrl} and the sync
 * state tables of {@code --syncState} when it is a database, taken before anything is read or
 * removed and held until the run has ended, so a second run on the same tables fails at launch
 * naming the first. A sync state folder has no lock: PostgreSQL is what holds it.
 */
final class WriterLocks implements AutoCloseable {
  private final List<WriterLock> locks;

  private WriterLocks(List<WriterLock> locks) {
    this.locks = locks;
  }

  static WriterLocks acquire(SegmentationPipelineOptions options) {
    List<WriterLock> taken = new ArrayList<>();
    try {
      if (options.getJdbcUrl() != null && !options.getJdbcUrl().isBlank()) {
        JdbcIO.DataSourceConfiguration database =
            SegmentationPipeline.dataSource(options.getJdbcUrl(), options);
        taken.add(WriterLock.acquire(database, "the --jdbcUrl database",
            List.of(SegmentationPipeline.FEATURES_TABLE, SegmentationPipeline.MEMBERSHIPS_TABLE,
                SegmentationPipeline.MEMBERSHIP_HISTORY_TABLE)));
      }
      List<String> sinks = Activation.sinks(options.getSinks());
      JdbcIO.DataSourceConfiguration state = Activation.stateDatabase(options);
      if (!sinks.isEmpty() && state != null) {
        List<String> tables = new ArrayList<>();
        sinks.forEach(sink -> tables.add(Activation.stateTable(sink)));
        taken.add(WriterLock.acquire(state, "the sync state database", tables));
      }
      return new WriterLocks(taken);
    } catch (RuntimeException e) {
      taken.forEach(WriterLock::close);
      throw e;
    }
  }

  @Override
  public void close() {
    locks.forEach(WriterLock::close);
  }
}
