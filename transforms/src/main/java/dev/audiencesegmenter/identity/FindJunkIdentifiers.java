package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.grouping.CoGroupInBuckets;
import dev.audiencesegmenter.grouping.CombineInBuckets;
import dev.audiencesegmenter.model.JunkIdentifier;
import dev.audiencesegmenter.model.SchemaCoders;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Finds the identifier values that must not link, from the co-occurrence pairs of the records
 * ({@code KV(node, other node)} for every ordered pair of identifiers on one record, and
 * {@code KV(node, node)} for every identifier): placeholders, blocked values, values seen with
 * more than {@code maxFanOut} distinct identifiers of one other type, and values whose links
 * would break a per-customer limit (see {@link IdentityRules}).
 *
 * <p>The limit rule is applied where the conflict is visible on one identifier: an identifier
 * seen with more values of a higher-priority type than that type's limit (an email on two
 * user ids' records, when a customer may have one user id) is dropped; when an identifier is
 * seen with more values of a lower-priority type than its limit (a user id with six emails, at
 * most five), the smallest values by text are kept and the rest dropped. Both rules are
 * deterministic. Conflicts that only appear through a chain of records are split afterwards by
 * {@link SplitOverLimitCustomers}.
 *
 * <p>Output: {@code KV(node, junk row)} once per excluded node, with its exact fan-out.
 */
final class FindJunkIdentifiers
    extends PTransform<PCollection<KV<String, String>>, PCollection<KV<String, JunkIdentifier>>> {
  static final String PLACEHOLDER = "placeholder";
  static final String BLOCKED = "blocked";
  static final String FAN_OUT = "fan_out";
  static final String OVER_LIMIT = "over_limit";

  private static final char SEP = '\u0000';

  /** A node's own reasons; and limit trims a node imposes on its neighbours, by that node. */
  private static final TupleTag<KV<String, String>> OWN_REASONS = new TupleTag<>("own");
  private static final TupleTag<KV<String, KV<String, String>>> TRIMS = new TupleTag<>("trims");
  private static final TupleTag<String> OWN_TAG = new TupleTag<>("ownReason");
  private static final TupleTag<KV<String, String>> TRIM_TAG = new TupleTag<>("trim");

  /** The trims whose source node has no reason of its own to be excluded. */
  private static final class TrimsOfUsableNodes
      extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> source,
        OutputReceiver<KV<String, String>> out) {
      if (source.getValue().getAll(OWN_TAG).iterator().hasNext()) {
        return;
      }
      for (KV<String, String> trim : source.getValue().getAll(TRIM_TAG)) {
        out.output(trim);
      }
    }
  }

  private final IdentityRules rules;
  private final int buckets;

  FindJunkIdentifiers(IdentityRules rules, int buckets) {
    this.rules = rules;
    this.buckets = buckets;
  }

  @Override
  public PCollection<KV<String, JunkIdentifier>> expand(PCollection<KV<String, String>> pairs) {
    int cap = cap(rules);
    KvCoder<String, String> stringPairs = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());

    PCollectionTuple ruled = pairs
        .apply("ByNodeAndOtherType", ParDo.of(new ByNodeAndOtherType()))
        .setCoder(stringPairs)
        .apply("DistinctNeighbours", CombineInBuckets.of(CappedDistinctFn.of(cap), buckets))
        .apply("ApplyRules", ParDo.of(new ApplyRules(rules))
            .withOutputTags(OWN_REASONS, TupleTagList.of(TRIMS)));
    // One reason per node: the first in the order placeholder, blocked, fan_out, over_limit.
    PCollection<KV<String, String>> own = ruled.get(OWN_REASONS).setCoder(stringPairs)
        .apply("OneOwnReasonPerNode", firstReasonPerNode());
    // A node that is junk itself imposes no limit on its neighbours: a shop's order-desk
    // email seen with 13 customers' phones must not cut 8 of them from their customers.
    PCollection<KV<String, String>> trims = KeyedPCollectionTuple
        .of(OWN_TAG, own)
        .and(TRIM_TAG, ruled.get(TRIMS).setCoder(KvCoder.of(StringUtf8Coder.of(),
            stringPairs)))
        .apply("JoinTrimsWithTheirSource", CoGroupInBuckets.of(buckets))
        .apply("TrimsOfUsableNodes", ParDo.of(new TrimsOfUsableNodes()))
        .setCoder(stringPairs);
    PCollection<KV<String, String>> reasons = PCollectionList.of(own).and(trims)
        .apply("AllReasons", Flatten.pCollections())
        .apply("OneReasonPerNode", firstReasonPerNode());

    // Exact fan-out of the (few) excluded nodes, for the report: their pairs are found by a
    // join on node buckets rather than a side input, because a side input computed from
    // another side input's consumer can stall the Direct runner.
    TupleTag<String> excludedTag = new TupleTag<>("excluded");
    TupleTag<String> pairTag = new TupleTag<>("pair");
    PCollection<KV<String, String>> pairsOfExcluded = KeyedPCollectionTuple
        .of(excludedTag, reasons.apply("ExcludedToBuckets", ParDo.of(new ToBucket(buckets)))
            .setCoder(stringPairs))
        .and(pairTag, pairs.apply("PairsToBuckets", ParDo.of(new ToBucket(buckets)))
            .setCoder(stringPairs))
        .apply("JoinExcludedPairs", CoGroupByKey.create())
        .apply("PairsOfExcluded", ParDo.of(new PairsOfExcluded(excludedTag, pairTag)))
        .setCoder(stringPairs);
    KvCoder<String, KV<String, Long>> typedCounts = KvCoder.of(StringUtf8Coder.of(),
        KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    PCollection<KV<String, KV<String, Long>>> fanOut = pairsOfExcluded
        .apply("DistinctCountPerType", CombineInBuckets.of(new DistinctCount(), buckets))
        .apply("ByNode", ParDo.of(new ByNode()))
        .setCoder(typedCounts)
        .apply("LargestType", CombineInBuckets.of(
            Combine.BinaryCombineFn.of(new LargestFanOut()), buckets))
        .setCoder(typedCounts);

    TupleTag<String> reasonTag = new TupleTag<>();
    TupleTag<KV<String, Long>> fanOutTag = new TupleTag<>();
    return KeyedPCollectionTuple.of(reasonTag, reasons)
        .and(fanOutTag, fanOut)
        .apply("JoinReasonAndFanOut", CoGroupInBuckets.of(buckets))
        .apply("ToRows", ParDo.of(new ToRows(reasonTag, fanOutTag)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(),
            SchemaCoders.of(pairs.getPipeline(), JunkIdentifier.class)));
  }

  /**
   * Grouped by buckets of nodes, not per node: the Direct runner cuts a bundle per group, and
   * every step after a per-node grouping paid for one bundle per identifier.
   */
  private CombineInBuckets<String, ?, String> firstReasonPerNode() {
    return CombineInBuckets.of(Combine.BinaryCombineFn.of(new FirstReason()), buckets);
  }

  /** The number of distinct values of a key. */
  private static final class DistinctCount
      extends Combine.CombineFn<String, Set<String>, Long> {
    @Override
    public Set<String> createAccumulator() {
      return new HashSet<>();
    }

    @Override
    public Set<String> addInput(Set<String> values, String value) {
      values.add(value);
      return values;
    }

    @Override
    public Set<String> mergeAccumulators(Iterable<Set<String>> sets) {
      Set<String> all = new HashSet<>();
      sets.forEach(all::addAll);
      return all;
    }

    @Override
    public Long extractOutput(Set<String> values) {
      return (long) values.size();
    }
  }

  private static String typeOf(String node) {
    return node.substring(0, node.indexOf(':'));
  }

  private static final class ByNodeAndOtherType extends DoFn<KV<String, String>, KV<String,
      String>> {
    @ProcessElement
    public void process(@Element KV<String, String> pair, OutputReceiver<KV<String, String>> out) {
      out.output(KV.of(pair.getKey() + SEP + typeOf(pair.getValue()), pair.getValue()));
    }
  }

  /** Emits {@code KV(node, reason \0 detail)} for every node a rule excludes. */
  private static final class ApplyRules
      extends DoFn<KV<String, CappedDistinctFn.Values>, KV<String, String>> {
    private final IdentityRules rules;
    private final Counter placeholders =
        Metrics.counter(ResolveIdentities.class, "identifiers_placeholder");

    ApplyRules(IdentityRules rules) {
      this.rules = rules;
    }

    @ProcessElement
    public void process(@Element KV<String, CappedDistinctFn.Values> in,
        MultiOutputReceiver receiver) {
      String key = in.getKey();
      int sep = key.indexOf(SEP);
      applyRules(rules, key.substring(0, sep), key.substring(sep + 1), in.getValue(),
          (node, reason) -> {
            if (reason.startsWith(PLACEHOLDER + SEP)) {
              placeholders.inc();
            }
            receiver.get(OWN_REASONS).output(KV.of(node, reason));
          },
          (node, trim) -> receiver.get(TRIMS).output(KV.of(node, trim)));
    }
  }

  /**
   * The rules for one node and the distinct identifiers of one other type seen with it: emits
   * {@code (node, reason \0 detail)} when the node itself is excluded, and {@code (node,
   * (neighbour, reason \0 detail))} for each neighbour the node's limit trims.
   */
  static void applyRules(IdentityRules rules, String node, String otherType,
      CappedDistinctFn.Values values, BiConsumer<String, String> own,
      BiConsumer<String, KV<String, String>> trims) {
    String type = typeOf(node);
    if (otherType.equals(type)) {
      // The node's self-pair: the list rules, once per node.
      if (rules.isBlocked(node)) {
        own.accept(node, BLOCKED + SEP + "on the blocked_values list");
      } else if (PlaceholderValues.isPlaceholder(type, node.substring(type.length() + 1))) {
        own.accept(node, PLACEHOLDER + SEP + "a built-in placeholder value");
      }
      return;
    }
    int count = values.count();
    String seen = (values.overflow ? "more than " + values.values.size() : "" + count)
        + " distinct " + otherType;
    if (count > rules.getMaxFanOut()) {
      own.accept(node, FAN_OUT + SEP + "seen with " + seen + "; max_fan_out "
          + rules.getMaxFanOut());
      return;
    }
    Integer limit = rules.limit(otherType);
    if (limit == null || count <= limit) {
      return;
    }
    if (rules.compareTypes(type, otherType) > 0) {
      own.accept(node, OVER_LIMIT + SEP + "seen with " + seen + "; a customer may have "
          + limit + " and " + otherType + " has higher priority than " + type);
    } else {
      int kept = 0;
      for (String other : values.values) {
        if (++kept > limit) {
          trims.accept(node, KV.of(other, OVER_LIMIT + SEP + "one of " + seen
              + " seen with " + type + "; a customer may have " + limit
              + ", the smallest are kept"));
        }
      }
    }
  }

  /** The largest cap of distinct neighbours per type that the rules need to see. */
  static int cap(IdentityRules rules) {
    int maxLimit = 1;
    for (String type : rules.getPriorities()) {
      Integer limit = rules.limit(type);
      if (limit != null) {
        maxLimit = Math.max(maxLimit, limit);
      }
    }
    return Math.max(rules.getMaxFanOut(), maxLimit) + 1;
  }

  private static int rank(String reasonAndDetail) {
    String reason = reasonAndDetail.substring(0, reasonAndDetail.indexOf(SEP));
    return switch (reason) {
      case PLACEHOLDER -> 0;
      case BLOCKED -> 1;
      case FAN_OUT -> 2;
      default -> 3;
    };
  }

  private static final class FirstReason implements
      org.apache.beam.sdk.transforms.SerializableBiFunction<String, String, String> {
    @Override
    public String apply(String a, String b) {
      return firstReason(a, b);
    }
  }

  /** Of two {@code reason \0 detail}: the first in the order of {@link #rank}, then by text. */
  static String firstReason(String a, String b) {
    int c = Integer.compare(rank(a), rank(b));
    return c < 0 || (c == 0 && a.compareTo(b) <= 0) ? a : b;
  }

  /** {@code KV(node, x)} to {@code KV(bucket of node as text, node \0 x)}. */
  private static final class ToBucket extends DoFn<KV<String, String>, KV<String, String>> {
    private final int buckets;

    ToBucket(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element KV<String, String> kv, OutputReceiver<KV<String, String>> out) {
      out.output(KV.of(Integer.toString(ConnectedComponents.bucket(kv.getKey(), buckets)),
          kv.getKey() + SEP + kv.getValue()));
    }
  }

  /** Per bucket: the pairs whose first node is excluded, as {@code KV(node \0 type, other)}. */
  private static final class PairsOfExcluded extends DoFn<KV<String, CoGbkResult>, KV<String,
      String>> {
    private final TupleTag<String> excludedTag;
    private final TupleTag<String> pairTag;

    PairsOfExcluded(TupleTag<String> excludedTag, TupleTag<String> pairTag) {
      this.excludedTag = excludedTag;
      this.pairTag = pairTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> bucket,
        OutputReceiver<KV<String, String>> out) {
      java.util.Set<String> excluded = new java.util.HashSet<>();
      for (String nodeAndReason : bucket.getValue().getAll(excludedTag)) {
        excluded.add(nodeAndReason.substring(0, nodeAndReason.indexOf(SEP)));
      }
      if (excluded.isEmpty()) {
        return;
      }
      for (String pair : bucket.getValue().getAll(pairTag)) {
        int sep = pair.indexOf(SEP);
        String node = pair.substring(0, sep);
        String other = pair.substring(sep + 1);
        if (!node.equals(other) && excluded.contains(node)) {
          out.output(KV.of(node + SEP + typeOf(other), other));
        }
      }
    }
  }

  private static final class ByNode extends DoFn<KV<String, Long>, KV<String, KV<String,
      Long>>> {
    @ProcessElement
    public void process(@Element KV<String, Long> in,
        OutputReceiver<KV<String, KV<String, Long>>> out) {
      int sep = in.getKey().indexOf(SEP);
      out.output(KV.of(in.getKey().substring(0, sep),
          KV.of(in.getKey().substring(sep + 1), in.getValue())));
    }
  }

  /** Per node, the other type it has the most distinct identifiers of (ties: by type name). */
  private static final class LargestFanOut implements
      org.apache.beam.sdk.transforms.SerializableBiFunction<KV<String, Long>, KV<String, Long>,
          KV<String, Long>> {
    @Override
    public KV<String, Long> apply(KV<String, Long> a, KV<String, Long> b) {
      return largerFanOut(a, b);
    }
  }

  /** Of two (type, distinct count): the larger count, ties by type name. */
  static KV<String, Long> largerFanOut(KV<String, Long> a, KV<String, Long> b) {
    int c = Long.compare(a.getValue(), b.getValue());
    return c > 0 || (c == 0 && a.getKey().compareTo(b.getKey()) <= 0) ? a : b;
  }

  private static final class ToRows extends DoFn<KV<String, CoGbkResult>, KV<String,
      JunkIdentifier>> {
    private final TupleTag<String> reasonTag;
    private final TupleTag<KV<String, Long>> fanOutTag;
    private final Counter junk = Metrics.counter(ResolveIdentities.class, "identifiers_junk");

    ToRows(TupleTag<String> reasonTag, TupleTag<KV<String, Long>> fanOutTag) {
      this.reasonTag = reasonTag;
      this.fanOutTag = fanOutTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<KV<String, JunkIdentifier>> out) {
      String reasonAndDetail = in.getValue().getOnly(reasonTag, null);
      if (reasonAndDetail == null) {
        return;
      }
      String node = in.getKey();
      long fanOut = 0;
      String fanOutType = "";
      for (KV<String, Long> largest : in.getValue().getAll(fanOutTag)) {
        fanOutType = largest.getKey();
        fanOut = largest.getValue();
      }
      junk.inc();
      out.output(KV.of(node, junkRow(node, reasonAndDetail, fanOutType, fanOut)));
    }
  }

  /** The junk row of an excluded node, with its largest fan-out (0 and "" when none). */
  static JunkIdentifier junkRow(String node, String reasonAndDetail, String fanOutType,
      long fanOut) {
    String type = typeOf(node);
    int sep = reasonAndDetail.indexOf(SEP);
    return JunkIdentifier.create(type, node.substring(type.length() + 1),
        reasonAndDetail.substring(0, sep), fanOut, fanOutType,
        reasonAndDetail.substring(sep + 1));
  }
}
