package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;

/**
 * A record with its identifiers normalized, or its dead letter when none is valid, counted:
 * the first step of resolution, in {@link NormalizeRecordFn} and {@link NormalizeCheckedFn}.
 */
final class RecordNormalization<T> implements Serializable {
  private static final Counter INVALID =
      Metrics.counter(ResolveIdentities.class, "identifiers_invalid");
  private static final Counter NO_IDENTIFIER =
      Metrics.counter(ResolveIdentities.class, "records_without_identifier");
  private static final Counter RECORDS =
      Metrics.counter(ResolveIdentities.class, "records_resolved");

  private final IdentifierNormalizer normalizer;
  private final NormalizeRecordFn.IdentifierAccess<T> access;
  private final SerializableFunction<T, Row> toRow;

  RecordNormalization(IdentifierNormalizer normalizer,
      NormalizeRecordFn.IdentifierAccess<T> access, SerializableFunction<T, Row> toRow) {
    this.normalizer = normalizer;
    this.access = access;
    this.toRow = toRow;
  }

  Checked<T> apply(T record) {
    Map<String, String> raw = access.get(record);
    Map<String, String> normalized = NormalizeRecordFn.normalized(normalizer, raw);
    List<String> rejectedTypes = NormalizeRecordFn.rejectedTypes(normalizer, raw, normalized);
    INVALID.inc(rejectedTypes.size());
    if (normalized.isEmpty()) {
      NO_IDENTIFIER.inc();
      return Checked.rejected(DeadLetter.create(NormalizeRecordFn.STEP,
          NormalizeRecordFn.noIdentifierReason(rejectedTypes),
          JsonLines.toJson(toRow.apply(record))));
    }
    RECORDS.inc();
    return Checked.passed(access.with(record, normalized));
  }
}
