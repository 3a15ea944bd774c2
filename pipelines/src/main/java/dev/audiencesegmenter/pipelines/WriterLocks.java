package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.io.rails.FolderLock;
import dev.audiencesegmenter.io.rails.WriterLock;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/**
 * The writer locks of a run: the tables of {@code --jdbcUrl} and the sync state tables of
 * {@code --syncState} when it is a database ({@link WriterLock}), or each platform's folder of a
 * sync state kept in files ({@link FolderLock}; not for a dry run, which writes no state), taken before anything is read or removed and
 * held until the run has ended, so a second run on the same tables or state fails at launch
 * naming the first.
 */
final class WriterLocks implements AutoCloseable {
  private final List<AutoCloseable> locks;

  private WriterLocks(List<AutoCloseable> locks) {
    this.locks = locks;
  }

  static WriterLocks acquire(SegmentationPipelineOptions options) {
    List<AutoCloseable> taken = new ArrayList<>();
    try {
      if (options.getJdbcUrl() != null && !options.getJdbcUrl().isBlank()) {
        JdbcIO.DataSourceConfiguration database =
            SegmentationPipeline.dataSource(options.getJdbcUrl(), options);
        taken.add(WriterLock.acquire(database, "the --jdbcUrl database",
            List.of(SegmentationPipeline.FEATURES_TABLE, SegmentationPipeline.MEMBERSHIPS_TABLE,
                SegmentationPipeline.MEMBERSHIP_HISTORY_TABLE)));
      }
      // the segment file's destinations count too (read only when there is a state to lock)
      List<String> sinks = Activation.syncState(options) == null ? List.of()
          : Activation.sinks(options.getSinks(), SegmentationPipeline.segments(options));
      JdbcIO.DataSourceConfiguration state = Activation.stateDatabase(options);
      if (!sinks.isEmpty() && state != null) {
        List<String> tables = new ArrayList<>();
        sinks.forEach(sink -> tables.add(Activation.stateTable(sink)));
        taken.add(WriterLock.acquire(state, "the sync state database", tables));
      }
      String stateFolder = Activation.stateFolder(options);
      // a dry run writes no state (and must leave the folder as it is)
      if (!sinks.isEmpty() && stateFolder != null && !options.getDryRun()) {
        taken.add(FolderLock.acquire(stateFolder, sinks));
      }
      return new WriterLocks(taken);
    } catch (RuntimeException e) {
      closeAll(taken);
      throw e;
    }
  }

  @Override
  public void close() {
    closeAll(locks);
  }

  private static void closeAll(List<AutoCloseable> locks) {
    for (AutoCloseable lock : locks) {
      try {
        lock.close();
      } catch (Exception e) {
        throw new IllegalStateException("Releasing a writer lock failed: " + e.getMessage(), e);
      }
    }
  }
}
