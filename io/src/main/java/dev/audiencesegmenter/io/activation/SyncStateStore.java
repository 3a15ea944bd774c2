package dev.audiencesegmenter.io.activation;

import dev.audiencesegmenter.io.sink.JdbcSyncState;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import java.io.Serializable;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.POutput;

/**
 * Where a destination's sync state lives between runs: what each platform already holds (per
 * customer: the hash of what was sent, the segments, the contact keys, withdrawals), read
 * before the delta sync and committed after the send. Two stores: {@link #folder} (JSON Lines
 * files, any file system Beam reads) and {@link #database} (a PostgreSQL table). Use the same
 * store for every run of a destination; a new, empty one makes the next run send everybody
 * and remove nobody.
 */
public interface SyncStateStore extends Serializable {

  /** The entries of the previous sync (none for a new store). */
  PTransform<PBegin, PCollection<SyncStateEntry>> read();

  /**
   * Writes {@link SyncState#commitInputs} once the send has finished: every customer's new
   * entry, except those the sink dead-lettered, who keep their previous entry and are sent
   * again next run. {@code runId} identifies this run's rows where the store keeps them.
   */
  PTransform<PCollectionTuple, ? extends POutput> commit(String runId);

  /** Where the state is, for display data and messages (no password). */
  String describe();

  /** The state as {@code *.jsonl} files in {@code folder} (e.g. {@code gs://b/state/hubspot/}). */
  static SyncStateStore folder(String folder) {
    if (folder == null || folder.isBlank()) {
      throw new IllegalArgumentException("A sync state folder must be given, got '" + folder
          + "'");
    }
    String dir = folder.endsWith("/") ? folder : folder + "/";
    return new SyncStateStore() {
      private static final long serialVersionUID = 1L;

      @Override
      public PTransform<PBegin, PCollection<SyncStateEntry>> read() {
        return SyncState.read(dir);
      }

      @Override
      public PTransform<PCollectionTuple, ? extends POutput> commit(String runId) {
        return SyncState.commit(dir);
      }

      @Override
      public String describe() {
        return "folder " + dir;
      }
    };
  }

  /**
   * The state as rows of {@code table} in a PostgreSQL database (created when missing); build
   * the data source with {@code JdbcUpsert.postgresDataSource} to keep the password out of the
   * job.
   */
  static SyncStateStore database(JdbcIO.DataSourceConfiguration dataSource, String table) {
    JdbcSyncState.read(dataSource, table); // checks both now, naming the bad one
    return new SyncStateStore() {
      private static final long serialVersionUID = 1L;

      @Override
      public PTransform<PBegin, PCollection<SyncStateEntry>> read() {
        return JdbcSyncState.read(dataSource, table);
      }

      @Override
      public PTransform<PCollectionTuple, ? extends POutput> commit(String runId) {
        return JdbcSyncState.commit(dataSource, table, runId);
      }

      @Override
      public String describe() {
        return "table " + table;
      }
    };
  }
}
