package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;

/**
 * {@link NormalizeRecordFn} for a stream that carries its rejects along ({@link Checked}): a
 * record leaves with normalized identifiers, or as its dead letter when none is valid; earlier
 * rejects pass through. One output, so that a runner ships the stream once to each reader.
 */
final class NormalizeCheckedFn<T> extends DoFn<Checked<T>, Checked<T>> {
  private final IdentifierNormalizer normalizer;
  private final NormalizeRecordFn.IdentifierAccess<T> access;
  private final SerializableFunction<T, Row> toRow;

  private final Counter invalid = Metrics.counter(ResolveIdentities.class, "identifiers_invalid");
  private final Counter noIdentifier =
      Metrics.counter(ResolveIdentities.class, "records_without_identifier");
  private final Counter records = Metrics.counter(ResolveIdentities.class, "records_resolved");

  NormalizeCheckedFn(IdentifierNormalizer normalizer, NormalizeRecordFn.IdentifierAccess<T> access,
      SerializableFunction<T, Row> toRow) {
    this.normalizer = normalizer;
    this.access = access;
    this.toRow = toRow;
  }

  @ProcessElement
  public void process(@Element Checked<T> in, OutputReceiver<Checked<T>> out) {
    if (!in.passed()) {
      out.output(in);
      return;
    }
    T record = in.record();
    Map<String, String> raw = access.get(record);
    Map<String, String> normalized = NormalizeRecordFn.normalized(normalizer, raw);
    List<String> rejectedTypes = NormalizeRecordFn.rejectedTypes(normalizer, raw, normalized);
    invalid.inc(rejectedTypes.size());
    if (normalized.isEmpty()) {
      noIdentifier.inc();
      out.output(Checked.rejected(DeadLetter.create(NormalizeRecordFn.STEP,
          NormalizeRecordFn.noIdentifierReason(rejectedTypes),
          JsonLines.toJson(toRow.apply(record)))));
      return;
    }
    records.inc();
    out.output(Checked.passed(access.with(record, normalized)));
  }
}
