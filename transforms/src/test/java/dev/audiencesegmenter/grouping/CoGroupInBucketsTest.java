package dev.audiencesegmenter.grouping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Grouping by buckets of keys gives each key exactly what CoGroupByKey gives it. */
@ExtendWith(TestPipelineExtension.class)
class CoGroupInBucketsTest {
  private static final TupleTag<String> NAMES = new TupleTag<>("names");
  private static final TupleTag<Long> AMOUNTS = new TupleTag<>("amounts");

  @Test
  void everyKeyGetsAllItsValuesFromEveryInputOnce(TestPipeline pipeline) {
    // 300 keys in 3 buckets: about 100 keys share each group; some keys are in one input only
    Random random = new Random(11);
    List<KV<String, String>> names = new ArrayList<>();
    List<KV<String, Long>> amounts = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      names.add(KV.of("c-" + random.nextInt(250), "n" + i));
      amounts.add(KV.of("c-" + (50 + random.nextInt(250)), (long) i));
    }
    amounts.add(KV.of("", -1L));  // an empty key is a key
    Map<String, String> expected = new TreeMap<>();
    Map<String, List<String>> namesByKey = new TreeMap<>();
    Map<String, List<Long>> amountsByKey = new TreeMap<>();
    names.forEach(kv -> namesByKey.computeIfAbsent(kv.getKey(), k -> new ArrayList<>())
        .add(kv.getValue()));
    amounts.forEach(kv -> amountsByKey.computeIfAbsent(kv.getKey(), k -> new ArrayList<>())
        .add(kv.getValue()));
    namesByKey.keySet().forEach(k -> expected.put(k, null));
    amountsByKey.keySet().forEach(k -> expected.put(k, null));
    expected.replaceAll((k, v) -> line(k, namesByKey.getOrDefault(k, List.of()),
        amountsByKey.getOrDefault(k, List.of())));

    PCollection<KV<String, String>> nameInput = pipeline.apply("Names", Create.of(names)
        .withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
    PCollection<KV<String, Long>> amountInput = pipeline.apply("Amounts", Create.of(amounts)
        .withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())));
    PCollection<String> joined = KeyedPCollectionTuple.of(NAMES, nameInput)
        .and(AMOUNTS, amountInput)
        .apply(CoGroupInBuckets.of(3))
        .apply(MapElements.into(TypeDescriptors.strings()).via(CoGroupInBucketsTest::line));

    PAssert.that(joined).containsInAnyOrder(expected.values());
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aBucketCountBelowOneIsRejectedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CoGroupInBuckets.of(0));
    assertEquals("CoGroupInBuckets needs at least 1 bucket, got 0", e.getMessage());
  }

  private static String line(KV<String, CoGbkResult> joined) {
    List<String> names = new ArrayList<>();
    joined.getValue().getAll(NAMES).forEach(names::add);
    List<Long> amounts = new ArrayList<>();
    joined.getValue().getAll(AMOUNTS).forEach(amounts::add);
    return line(joined.getKey(), names, amounts);
  }

  private static String line(String key, List<String> names, List<Long> amounts) {
    return key + "|" + names.stream().sorted().toList() + "|"
        + amounts.stream().sorted().toList();
  }
}
