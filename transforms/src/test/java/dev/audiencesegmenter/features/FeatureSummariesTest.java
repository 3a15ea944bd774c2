package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded summaries in the feature accumulator, below and past their caps. */
class FeatureSummariesTest {

  @Test
  void distinctIsExactUpToTheCap() {
    BoundedDistinct d = new BoundedDistinct();
    for (int round = 0; round < 3; round++) { // repeats do not count
      for (int i = 0; i < BoundedDistinct.CAP; i++) {
        d.add("sku-" + i);
      }
    }
    assertFalse(d.overflowed());
    assertEquals(BoundedDistinct.CAP, d.count());
    d.add("one-more");
    assertTrue(d.overflowed());
    assertTrue(d.count() > BoundedDistinct.CAP, "past the cap: more than the cap");
  }

  @Test
  void distinctPastTheCapIsEstimatedAndIndependentOfMergeOrder() throws Exception {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      values.add("product-" + i);
    }
    BoundedDistinct whole = new BoundedDistinct();
    values.forEach(whole::add);
    // k-minimum values with k = 256: relative standard error about 6%; allow 4 of them.
    assertEquals(10_000, whole.count(), 2_500);
    Random random = new Random(5);
    for (int trial = 0; trial < 10; trial++) {
      Collections.shuffle(values, random);
      List<BoundedDistinct> parts = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        parts.add(new BoundedDistinct());
      }
      for (String v : values) {
        parts.get(random.nextInt(4)).add(v);
      }
      Collections.shuffle(parts, random);
      BoundedDistinct merged = new BoundedDistinct();
      parts.forEach(merged::mergeFrom);
      assertEquals(bytes(whole), bytes(merged));
      assertEquals(whole.count(), merged.count());
    }
  }

  @Test
  void distinctRoundTripsThroughItsEncoding() throws Exception {
    BoundedDistinct d = new BoundedDistinct();
    for (int i = 0; i < 300; i++) {
      d.add("x" + i);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    d.encode(new DataOutputStream(out));
    BoundedDistinct back = BoundedDistinct.decode(
        new DataInputStream(new ByteArrayInputStream(out.toByteArray())));
    assertEquals(d.count(), back.count());
    assertEquals(bytes(d), bytes(back));
  }

  @Test
  void topCountsFoldTheRarestValuesPastTheCap() {
    TopCounts t = new TopCounts(2);
    t.add("garden");
    t.add("garden");
    t.add("books");
    t.add("toys"); // third value: the lowest count, ties by the largest name (toys), folds
    assertEquals(List.of("garden", "books"), t.ranked().stream().map(e -> e.getKey()).toList());
    assertEquals(1, t.other());
    assertEquals(4, t.total()); // totals stay exact, so shares keep their denominator
    assertEquals("garden", t.top());
  }

  @Test
  void topCountsTieGoesToTheSmallestName() {
    TopCounts t = new TopCounts(8);
    t.add("ios");
    t.add("android");
    assertEquals("android", t.top());
  }

  @Test
  void latestValueWinsAndSameTimeTiesAreOrderFree() {
    LatestValues a = new LatestValues();
    a.put("city", 10, "Oakland");
    a.put("city", 5, "Boston"); // older: ignored
    assertEquals("Oakland", a.get("city"));
    LatestValues b = new LatestValues();
    b.put("consent_email", 7, "true");
    b.put("consent_email", 7, "false"); // same instant: the smaller value, "false", wins
    LatestValues c = new LatestValues();
    c.put("consent_email", 7, "false");
    c.put("consent_email", 7, "true");
    assertEquals("false", b.get("consent_email"));
    assertEquals("false", c.get("consent_email"));
  }

  @Test
  void latestValuesKeepColumnTraitsPastTheCap() {
    LatestValues v = new LatestValues();
    for (int i = 0; i < 100; i++) {
      v.put(String.format("attr_%03d", i), 1, "x");
    }
    v.put("country", 1, "US");
    v.put("zip", 1, "94607");
    assertEquals(LatestValues.CAP, v.values.size());
    assertEquals("US", v.get("country")); // a column trait is always kept
    assertEquals("x", v.get("attr_000")); // then the others by name
    assertEquals(null, v.get("zip"));
  }

  private static String bytes(BoundedDistinct d) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    d.encode(new DataOutputStream(out));
    return java.util.Arrays.toString(out.toByteArray());
  }
}
