package dev.audiencesegmenter.io.activation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.model.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * One destination's sync log of a run, as one JSON line: how many customers were added (first
 * in a segment there), updated, removed (out of every segment there), unsubscribed (a consent
 * withdrawal, any channel), rejected (dead-lettered) and skipped for consent (never sent, no
 * consent), and the five most frequent rejection reasons with their counts. A dry run counts
 * what would have been sent ({@code "dry_run": true}).
 *
 * <pre>
 * {"platform":"hubspot","dry_run":false,"added":12,"updated":3,"removed":2,"unsubscribed":1,
 *  "rejected":1,"skipped_for_consent":40,"first_rejections":[{"reason":"...","count":1}]}
 * </pre>
 */
final class SyncLog extends PTransform<PCollectionTuple, PCollection<String>> {
  /** The changes sent (after the rails and add-only), as given to the sink. */
  static final TupleTag<ContactUpdate> SENT_CHANGES = new TupleTag<>() {};
  static final TupleTag<String> FAILED_KEYS = new TupleTag<>() {};
  static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  static final TupleTag<String> SKIPPED_FOR_CONSENT = new TupleTag<>() {};
  static final List<String> COUNTS = List.of("added", "updated", "removed", "unsubscribed",
      "rejected", "skipped_for_consent");
  static final int REASONS = 5;
  private static final String REASON = "reason:";

  private final String platform;
  private final boolean dryRun;

  SyncLog(String platform, boolean dryRun) {
    this.platform = platform;
    this.dryRun = dryRun;
  }

  /** What a change does at the destination. */
  static String kind(ContactUpdate change) {
    if (change.getWithdrawn() || change.getSmsWithdrawn() || change.getPushWithdrawn()) {
      return "unsubscribed";
    }
    if (change.getSegmentsCurrent().isEmpty() && !change.getSegmentsExited().isEmpty()) {
      return "removed";
    }
    if (!change.getSegmentsEntered().isEmpty() && change.getSegmentsExited().isEmpty()
        && change.getSegmentsEntered().size() == change.getSegmentsCurrent().size()) {
      return "added";
    }
    return "updated";
  }

  @Override
  public PCollection<String> expand(PCollectionTuple input) {
    TupleTag<String> kinds = new TupleTag<>("kinds");
    TupleTag<String> failed = new TupleTag<>("failed");
    PCollection<KV<String, String>> changeKinds = input.get(SENT_CHANGES)
        .apply("KindOfChange", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(),
            TypeDescriptors.strings())).via(change -> KV.of(change.getKey(), kind(change))));
    PCollection<KV<String, String>> failures = input.get(FAILED_KEYS)
        .apply("KeyFailures", WithKeys.of((String key) -> key)
            .withKeyType(TypeDescriptors.strings()));
    PCollection<String> outcomes = KeyedPCollectionTuple.of(kinds, changeKinds)
        .and(failed, failures).apply("JoinWithFailures", CoGroupByKey.create())
        .apply("Outcome", ParDo.of(new Outcome(kinds, failed)));
    PCollection<String> skipped = input.get(SKIPPED_FOR_CONSENT)
        .apply("Skipped", MapElements.into(TypeDescriptors.strings())
            .via(key -> "skipped_for_consent"));
    PCollection<String> reasons = input.get(DEAD_LETTERS)
        .apply("Reasons", MapElements.into(TypeDescriptors.strings())
            .via(letter -> REASON + letter.getReason()));
    return PCollectionList.of(outcomes).and(skipped).and(reasons)
        .apply("AllOutcomes", Flatten.pCollections())
        .apply("CountEach", Count.perElement())
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("OneLine", Combine.globally(new ToLine(platform, dryRun)))
        .setCoder(StringUtf8Coder.of());
  }

  /** A change's count: its kind, or rejected when the sink dead-lettered its key. */
  private static final class Outcome extends DoFn<KV<String, CoGbkResult>, String> {
    private final TupleTag<String> kinds;
    private final TupleTag<String> failed;

    Outcome(TupleTag<String> kinds, TupleTag<String> failed) {
      this.kinds = kinds;
      this.failed = failed;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined, OutputReceiver<String> out) {
      boolean rejected = joined.getValue().getAll(failed).iterator().hasNext();
      for (String kind : joined.getValue().getAll(kinds)) {
        out.output(rejected ? "rejected" : kind);
      }
    }
  }

  /** The counts and the most frequent reasons (ties by reason), as one JSON line. */
  static final class ToLine extends Combine.CombineFn<KV<String, Long>, SortedMap<String, Long>,
      String> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String platform;
    private final boolean dryRun;

    ToLine(String platform, boolean dryRun) {
      this.platform = platform;
      this.dryRun = dryRun;
    }

    @Override
    public SortedMap<String, Long> createAccumulator() {
      return new TreeMap<>();
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<SortedMap<String, Long>> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<KV<String, Long>> inputCoder) {
      return org.apache.beam.sdk.coders.SortedMapCoder.of(StringUtf8Coder.of(),
          VarLongCoder.of());
    }

    @Override
    public SortedMap<String, Long> addInput(SortedMap<String, Long> counts, KV<String, Long> count) {
      counts.merge(count.getKey(), count.getValue(), Long::sum);
      return counts;
    }

    @Override
    public SortedMap<String, Long> mergeAccumulators(Iterable<SortedMap<String, Long>> all) {
      SortedMap<String, Long> merged = new TreeMap<>();
      all.forEach(counts -> counts.forEach((key, n) -> merged.merge(key, n, Long::sum)));
      return merged;
    }

    @Override
    public String extractOutput(SortedMap<String, Long> counts) {
      ObjectNode line = JSON.createObjectNode();
      line.put("platform", platform);
      line.put("dry_run", dryRun);
      for (String name : COUNTS) {
        line.put(name, counts.getOrDefault(name, 0L));
      }
      List<Map.Entry<String, Long>> reasons = new ArrayList<>();
      counts.forEach((key, n) -> {
        if (key.startsWith(REASON)) {
          reasons.add(Map.entry(key.substring(REASON.length()), n));
        }
      });
      reasons.sort(Map.Entry.<String, Long>comparingByValue().reversed()
          .thenComparing(Map.Entry.comparingByKey()));
      ArrayNode first = line.putArray("first_rejections");
      reasons.stream().limit(REASONS).forEach(reason -> first.addObject()
          .put("reason", reason.getKey()).put("count", reason.getValue()));
      return line.toString();
    }
  }
}
