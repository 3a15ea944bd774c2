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
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Combining by buckets of keys gives each key what Combine.perKey gives it. */
@ExtendWith(TestPipelineExtension.class)
class CombineInBucketsTest {

  @Test
  void everyKeyGetsTheCombinationOfAllItsValues(TestPipeline pipeline) {
    // 200 keys in 3 buckets, 1,000 values
    Random random = new Random(5);
    List<KV<String, Long>> values = new ArrayList<>();
    Map<String, Long> sums = new TreeMap<>();
    for (int i = 0; i < 1000; i++) {
      String key = "k" + random.nextInt(200);
      long value = random.nextInt(1000) - 300;
      values.add(KV.of(key, value));
      sums.merge(key, value, Long::sum);
    }
    List<KV<String, Long>> expected = new ArrayList<>();
    sums.forEach((k, v) -> expected.add(KV.of(k, v)));

    PCollection<KV<String, Long>> combined = pipeline
        .apply(Create.of(values).withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))
        .apply(CombineInBuckets.of(Sum.ofLongs(), 3));

    PAssert.that(combined).containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }

  @Test
  void badSettingsAreRejectedNamingThem() {
    assertEquals("CombineInBuckets needs at least 1 bucket, got 0",
        assertThrows(IllegalArgumentException.class,
            () -> CombineInBuckets.of(Sum.ofLongs(), 0)).getMessage());
    assertEquals("CombineInBuckets needs a CombineFn, got null",
        assertThrows(IllegalArgumentException.class,
            () -> CombineInBuckets.of(null, 4)).getMessage());
  }
}
