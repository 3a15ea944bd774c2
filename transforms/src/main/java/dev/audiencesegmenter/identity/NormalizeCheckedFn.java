package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.Checked;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;

/**
 * {@link NormalizeRecordFn} for a stream that carries its rejects along ({@link Checked}): a
 * record leaves with normalized identifiers, or as its dead letter when none is valid; earlier
 * rejects pass through. One output, so that a runner ships the stream once to each reader.
 */
final class NormalizeCheckedFn<T> extends DoFn<Checked<T>, Checked<T>> {
  private final RecordNormalization<T> normalization;

  NormalizeCheckedFn(IdentifierNormalizer normalizer, NormalizeRecordFn.IdentifierAccess<T> access,
      SerializableFunction<T, Row> toRow) {
    this.normalization = new RecordNormalization<>(normalizer, access, toRow);
  }

  @ProcessElement
  public void process(@Element Checked<T> in, OutputReceiver<Checked<T>> out) {
    out.output(in.passed() ? normalization.apply(in.record()) : in);
  }
}
