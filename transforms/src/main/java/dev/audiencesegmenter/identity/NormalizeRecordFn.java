package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.DeadLetter;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Normalizes the identifiers of one record (event or profile) and emits the record with its
 * normalized identifiers, every ordered pair of its identifier nodes and every node paired
 * with itself (what {@link FindJunkIdentifiers} counts), or a dead letter when no identifier is
 * valid.
 */
class NormalizeRecordFn<T> extends DoFn<T, T> {
  static final String STEP = "ResolveIdentities/Normalize";
  private static final int MAX_SETS_PER_BUNDLE = 100_000;

  /** Reads and replaces a record's identifier map. */
  interface IdentifierAccess<T> extends Serializable {
    Map<String, String> get(T record);

    T with(T record, Map<String, String> identifiers);
  }

  private final RecordNormalization<T> normalization;
  private final IdentityRules rules;
  private final IdentifierAccess<T> access;
  private final TupleTag<T> mainTag;
  private final TupleTag<KV<String, String>> pairsTag;
  private final @Nullable TupleTag<GraphInput> setsTag;
  private final TupleTag<DeadLetter> deadLetterTag;
  /** Identifier sets already emitted in this bundle: records of one customer repeat them. */
  private transient Set<Map<String, String>> emitted;

  NormalizeRecordFn(IdentifierNormalizer normalizer, IdentityRules rules,
      IdentifierAccess<T> access,
      SerializableFunction<T, Row> toRow, TupleTag<T> mainTag,
      TupleTag<KV<String, String>> pairsTag, TupleTag<DeadLetter> deadLetterTag) {
    this.mainTag = mainTag;
    this.normalization = new RecordNormalization<>(normalizer, access, toRow);
    this.rules = rules;
    this.access = access;
    this.pairsTag = pairsTag;
    this.setsTag = null;
    this.deadLetterTag = deadLetterTag;
  }

  /**
   * For the one-worker graph: emits each record's identifier set (once per bundle) instead of
   * its pairs.
   */
  NormalizeRecordFn(IdentifierNormalizer normalizer, IdentityRules rules,
      IdentifierAccess<T> access, SerializableFunction<T, Row> toRow, TupleTag<T> mainTag,
      TupleTag<GraphInput> setsTag, TupleTag<DeadLetter> deadLetterTag, boolean sets) {
    this.mainTag = mainTag;
    this.normalization = new RecordNormalization<>(normalizer, access, toRow);
    this.rules = rules;
    this.access = access;
    this.pairsTag = null;
    this.setsTag = setsTag;
    this.deadLetterTag = deadLetterTag;
  }

  @StartBundle
  public void startBundle() {
    emitted = new HashSet<>();
  }

  @ProcessElement
  public void process(@Element T record, MultiOutputReceiver out) {
    Checked<T> checked = normalization.apply(record);
    if (!checked.passed()) {
      out.get(deadLetterTag).output(checked.deadLetter());
      return;
    }
    Map<String, String> normalized = access.get(checked.record());
    if (setsTag != null) {
      if (emitted.size() > MAX_SETS_PER_BUNDLE) {
        emitted.clear();
      }
      if (emitted.add(normalized)) {
        out.get(setsTag).output(GraphInput.record(normalized));
      }
    } else {
      pairs(rules, normalized, (a, b) -> out.get(pairsTag).output(KV.of(a, b)));
    }
    out.get(mainTag).output(checked.record());
  }

  /** A record's identifiers normalized; those that are invalid, or whose type has a colon, out. */
  static Map<String, String> normalized(IdentifierNormalizer normalizer,
      Map<String, String> raw) {
    Map<String, String> normalized = normalizer.normalizeAll(raw);
    normalized.keySet().removeIf(type -> type.indexOf(':') >= 0);
    return normalized;
  }

  /** The raw types that did not survive normalization. */
  static List<String> rejectedTypes(IdentifierNormalizer normalizer, Map<String, String> raw,
      Map<String, String> normalized) {
    List<String> rejectedTypes = new ArrayList<>();
    for (String type : raw.keySet()) {
      if (type == null || !normalized.containsKey(normalizer.normalizeType(type))) {
        rejectedTypes.add(String.valueOf(type));
      }
    }
    return rejectedTypes;
  }

  static String noIdentifierReason(List<String> rejectedTypes) {
    return "no valid identifier after normalization (invalid: "
        + String.join(", ", new TreeSet<>(rejectedTypes)) + ")";
  }

  /**
   * Every ordered pair of a record's nodes, and every node with itself: what {@link
   * FindJunkIdentifiers} counts.
   */
  static void pairs(IdentityRules rules, Map<String, String> normalized,
      BiConsumer<String, String> out) {
    List<String> nodes = new ArrayList<>();
    normalized.forEach((type, value) -> nodes.add(IdentifierNode.of(type, value)));
    for (String a : nodes) {
      for (String b : nodes) {
        // A placeholder or blocked value must not count towards another identifier's fan-out
        // or limits ("undefined" is not a second user id); its own pairs are kept for the
        // junk report.
        if (a.equals(b) || !rules.isListedJunk(b)) {
          out.accept(a, b);
        }
      }
    }
  }
}
