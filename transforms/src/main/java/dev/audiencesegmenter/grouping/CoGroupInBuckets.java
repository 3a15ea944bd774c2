package dev.audiencesegmenter.grouping;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGbkResultSchema;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.join.RawUnionValue;
import org.apache.beam.sdk.transforms.join.UnionCoder;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * {@link org.apache.beam.sdk.transforms.join.CoGroupByKey} for string keys, with one shuffle
 * group per hash bucket of keys rather than per key: the same {@code KV(key, CoGbkResult)} per
 * key, for consumers written for {@code CoGroupByKey}.
 *
 * <pre>{@code
 * KeyedPCollectionTuple.of(currentTag, current).and(previousTag, previous)
 *     .apply("JoinWithPreviousState", CoGroupInBuckets.of(16))
 *     .apply("Compare", ParDo.of(new Compare(currentTag, previousTag)));
 * }</pre>
 *
 * <p>Why: the Direct runner cuts one bundle per group after a grouping step and pays for every
 * bundle of every later step, including each re-run of a step that waits on a side input
 * (one group per contact: an activated test run of 60 customers re-ran its exit guard 3,659
 * times; by buckets, 220). A worker holds
 * one bucket's values at a time (about 1/buckets of the input), so raise the count for tens of
 * millions of keys, as with the job's {@code --groups}.
 */
public final class CoGroupInBuckets
    extends PTransform<KeyedPCollectionTuple<String>, PCollection<KV<String, CoGbkResult>>> {
  /** The default: few buckets suit the Direct runner (one bundle per bucket). */
  public static final int DEFAULT_BUCKETS = 16;

  private final int buckets;

  private CoGroupInBuckets(int buckets) {
    this.buckets = buckets;
  }

  /** Groups keys into {@code buckets} hash buckets; at least 1. */
  public static CoGroupInBuckets of(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("CoGroupInBuckets needs at least 1 bucket, got "
          + buckets);
    }
    return new CoGroupInBuckets(buckets);
  }

  @Override
  public PCollection<KV<String, CoGbkResult>> expand(KeyedPCollectionTuple<String> input) {
    List<KeyedPCollectionTuple.TaggedKeyedPCollection<String, ?>> inputs =
        input.getKeyedCollections();
    List<Coder<?>> valueCoders = new ArrayList<>();
    for (KeyedPCollectionTuple.TaggedKeyedPCollection<String, ?> tagged : inputs) {
      Coder<?> coder = tagged.getCollection().getCoder();
      if (!(coder instanceof KvCoder<?, ?> kv)) {
        throw new IllegalArgumentException("CoGroupInBuckets needs KvCoder inputs, got " + coder
            + " for " + tagged.getTupleTag().getId());
      }
      valueCoders.add(kv.getValueCoder());
    }
    UnionCoder union = UnionCoder.of(valueCoders);
    KvCoder<Integer, KV<String, RawUnionValue>> bucketed =
        KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), union));
    PCollectionList<KV<Integer, KV<String, RawUnionValue>>> all =
        PCollectionList.empty(input.getPipeline());
    for (int i = 0; i < inputs.size(); i++) {
      @SuppressWarnings({"unchecked", "rawtypes"})
      PCollection<KV<String, Object>> collection =
          (PCollection) inputs.get(i).getCollection();
      all = all.and(collection
          .apply("ToBuckets" + i, ParDo.of(new ToBucket(i, buckets)))
          .setCoder(bucketed));
    }
    CoGbkResultSchema schema = input.getCoGbkResultSchema();
    return all.apply("AllInputs", Flatten.pCollections())
        .apply("GroupByBucket", GroupByKey.create())
        .apply("GroupByKeyInBucket", ParDo.of(new ByKey(schema)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(),
            CoGbkResult.CoGbkResultCoder.of(schema, union)));
  }

  /** The bucket of a key: the same on every worker and runner. */
  static int bucket(String key, int buckets) {
    return Math.floorMod(key.hashCode(), buckets);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("buckets", buckets).withLabel("Hash buckets of keys"));
  }

  /** Tags each value with its input's index and sends it to its key's bucket. */
  private static final class ToBucket
      extends DoFn<KV<String, Object>, KV<Integer, KV<String, RawUnionValue>>> {
    private final int index;
    private final int buckets;

    ToBucket(int index, int buckets) {
      this.index = index;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element KV<String, Object> element,
        OutputReceiver<KV<Integer, KV<String, RawUnionValue>>> out) {
      String key = element.getKey();
      out.output(KV.of(bucket(key, buckets),
          KV.of(key, new RawUnionValue(index, element.getValue()))));
    }
  }

  /** One bucket's values, grouped by key as CoGroupByKey groups them. */
  private static final class ByKey
      extends DoFn<KV<Integer, Iterable<KV<String, RawUnionValue>>>, KV<String, CoGbkResult>> {
    private final CoGbkResultSchema schema;

    ByKey(CoGbkResultSchema schema) {
      this.schema = schema;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, RawUnionValue>>> bucket,
        OutputReceiver<KV<String, CoGbkResult>> out) {
      Map<String, List<RawUnionValue>> byKey = new HashMap<>();
      for (KV<String, RawUnionValue> value : bucket.getValue()) {
        byKey.computeIfAbsent(value.getKey(), k -> new ArrayList<>()).add(value.getValue());
      }
      byKey.forEach((key, values) -> out.output(KV.of(key, new CoGbkResult(schema, values))));
    }
  }
}
