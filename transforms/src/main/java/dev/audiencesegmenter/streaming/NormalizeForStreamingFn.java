package dev.audiencesegmenter.streaming;

import dev.audiencesegmenter.identity.IdentifierNormalizer;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.identity.IncrementalIdentityGraph;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Normalizes an event's identifiers (in parallel, before the single-key identity step) and
 * keys it for that step; an event with no usable identifier is dead-lettered.
 */
final class NormalizeForStreamingFn extends DoFn<CustomerEvent, KV<Integer, CustomerEvent>> {
  static final String STEP = "SegmentContinuously/Normalize";
  /** The identity graph's only key. */
  static final int GRAPH_KEY = 0;
  static final TupleTag<KV<Integer, CustomerEvent>> NORMALIZED = new TupleTag<>("normalized") {};

  private final IdentifierNormalizer normalizer;
  private final IdentityRules rules;
  private final SerializableFunction<CustomerEvent, Row> toRow;
  private final TupleTag<DeadLetter> deadLetters;
  private final Counter events = Metrics.counter(SegmentContinuously.class, "events_read");
  private final Counter unusable = Metrics.counter(SegmentContinuously.class,
      "events_without_usable_identifier");

  NormalizeForStreamingFn(IdentifierNormalizer normalizer, IdentityRules rules,
      SerializableFunction<CustomerEvent, Row> toRow, TupleTag<DeadLetter> deadLetters) {
    this.normalizer = normalizer;
    this.rules = rules;
    this.toRow = toRow;
    this.deadLetters = deadLetters;
  }

  @ProcessElement
  public void process(@Element CustomerEvent event, MultiOutputReceiver out) {
    events.inc();
    Map<String, String> normalized = normalizer.normalizeAll(event.getIdentifiers());
    if (IncrementalIdentityGraph.nodes(normalized, rules).isEmpty()) {
      unusable.inc();
      out.get(deadLetters).output(DeadLetter.create(STEP,
          "no valid identifier after normalization that is not a listed placeholder",
          JsonLines.toJson(toRow.apply(event))));
      return;
    }
    out.get(NORMALIZED).output(
        KV.of(GRAPH_KEY, event.toBuilder().setIdentifiers(normalized).build()));
  }
}
