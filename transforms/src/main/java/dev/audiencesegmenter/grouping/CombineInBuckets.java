package dev.audiencesegmenter.grouping;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@link Combine#perKey} for string keys, with one shuffle group per hash bucket of keys
 * rather than per key: the same {@code KV(key, output)} per key.
 *
 * <pre>{@code
 * pairs.apply("DistinctNeighbours", CombineInBuckets.of(CappedDistinctFn.of(cap), buckets));
 * }</pre>
 *
 * <p>For keys that are many and small (identifiers, contacts) on the Direct runner, which cuts
 * one bundle per group and pays for every bundle of every later step (see {@link
 * CoGroupInBuckets}). Values are not combined before the shuffle, so use {@code Combine}
 * where a few keys get most values and the runner lifts combiners; a worker holds one
 * bucket's accumulators at a time.
 */
public final class CombineInBuckets<V, A, O>
    extends PTransform<PCollection<KV<String, V>>, PCollection<KV<String, O>>> {
  private final Combine.CombineFn<V, A, O> fn;
  private final int buckets;

  private CombineInBuckets(Combine.CombineFn<V, A, O> fn, int buckets) {
    this.fn = fn;
    this.buckets = buckets;
  }

  /** Combines each key's values with {@code fn}, in {@code buckets} hash buckets (at least 1). */
  public static <V, A, O> CombineInBuckets<V, A, O> of(Combine.CombineFn<V, A, O> fn,
      int buckets) {
    if (fn == null) {
      throw new IllegalArgumentException("CombineInBuckets needs a CombineFn, got null");
    }
    if (buckets < 1) {
      throw new IllegalArgumentException("CombineInBuckets needs at least 1 bucket, got "
          + buckets);
    }
    return new CombineInBuckets<>(fn, buckets);
  }

  @Override
  public PCollection<KV<String, O>> expand(PCollection<KV<String, V>> input) {
    if (!(input.getCoder() instanceof KvCoder<String, V> kv)) {
      throw new IllegalArgumentException("CombineInBuckets needs a KvCoder input, got "
          + input.getCoder());
    }
    Coder<O> outputCoder;
    try {
      outputCoder = fn.getDefaultOutputCoder(input.getPipeline().getCoderRegistry(),
          kv.getValueCoder());
    } catch (CannotProvideCoderException e) {
      throw new IllegalArgumentException("CombineInBuckets cannot infer the output coder of "
          + fn.getClass().getName(), e);
    }
    return input
        .apply("ToBuckets", ParDo.of(new ToBucket<V>(buckets)))
        .setCoder(KvCoder.of(VarIntCoder.of(), input.getCoder()))
        .apply("GroupByBucket", GroupByKey.create())
        .apply("CombinePerKey", ParDo.of(new CombinePerKey<>(fn)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), outputCoder));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("combineFn", fn.getClass()).withLabel("Combine function"))
        .add(DisplayData.item("buckets", buckets).withLabel("Hash buckets of keys"));
  }

  private static final class ToBucket<V> extends DoFn<KV<String, V>, KV<Integer, KV<String, V>>> {
    private final int buckets;

    ToBucket(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element KV<String, V> element,
        OutputReceiver<KV<Integer, KV<String, V>>> out) {
      out.output(KV.of(CoGroupInBuckets.bucket(element.getKey(), buckets), element));
    }
  }

  /** One bucket: an accumulator per key, then each key's output. */
  private static final class CombinePerKey<V, A, O>
      extends DoFn<KV<Integer, Iterable<KV<String, V>>>, KV<String, O>> {
    private final Combine.CombineFn<V, A, O> fn;

    CombinePerKey(Combine.CombineFn<V, A, O> fn) {
      this.fn = fn;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, V>>> bucket,
        OutputReceiver<KV<String, O>> out) {
      Map<String, A> accumulators = new HashMap<>();
      for (KV<String, V> element : bucket.getValue()) {
        A accumulator = accumulators.get(element.getKey());
        if (accumulator == null) {
          accumulator = fn.createAccumulator();
        }
        accumulators.put(element.getKey(), fn.addInput(accumulator, element.getValue()));
      }
      accumulators.forEach((key, accumulator) ->
          out.output(KV.of(key, fn.extractOutput(accumulator))));
    }
  }
}
