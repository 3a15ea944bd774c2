package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.grouping.EncodedBatches;
import dev.audiencesegmenter.model.Checked;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The identifier set of every normalized record, for the one worker that resolves the graph:
 * each set once per bundle (a customer's records repeat a few sets), keyed to that worker. The
 * sets leave in batches ({@link EncodedBatches}: the gathering then moves hundreds of elements,
 * not a million), the last ones when the bundle ends (in the global window, the only one
 * {@link ResolveIdentities} takes).
 */
final class IdentifierSetsFn<T> extends DoFn<Checked<T>, KV<Integer, byte[]>> {
  private static final int MAX_SETS_PER_BUNDLE = 200_000;

  private final NormalizeRecordFn.IdentifierAccess<T> access;
  private transient Set<Map<String, String>> emitted;
  private transient EncodedBatches<GraphInput> batches;

  IdentifierSetsFn(NormalizeRecordFn.IdentifierAccess<T> access) {
    this.access = access;
  }

  @StartBundle
  public void startBundle() {
    emitted = new HashSet<>();
    batches = GraphInput.batchesToOneWorker();
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) {
    batches.flushBundle(c);
  }

  @ProcessElement
  public void process(@Element Checked<T> in, @Timestamp Instant timestamp,
      OutputReceiver<KV<Integer, byte[]>> out) {
    if (!in.passed()) {
      return;
    }
    Map<String, String> ids = access.get(in.record());
    if (emitted.size() > MAX_SETS_PER_BUNDLE) {
      emitted.clear();
    }
    if (!emitted.add(ids)) {
      return;
    }
    batches.add(0, GraphInput.record(ids), timestamp, out::output);
  }
}
