package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class AddSegmentScoresTest {

  static CustomerFeatures buyer(String id, Long recency, long frequency, double monetary,
      Double clv) {
    return CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
        .setRecencyDays(recency).setFrequency(frequency)
        .setMonetaryTotal(BigDecimal.valueOf(monetary).setScale(2))
        .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0).setPurchases180d(0)
        .setPurchases365d(frequency).setEmailOpens90d(0).setEmailClicks90d(0)
        .setSiteVisits30d(0).setSiteVisits90d(0).setCartAbandoned24h(false)
        .setPredictedClv365d(clv).build();
  }

  /** 25, 20, 20, 20 and 15 customers (ranks 0-24, 25-44, ...) of values 1 to 5. */
  private static int block(int rank) {
    return rank < 25 ? 1 : rank < 45 ? 2 : rank < 65 ? 3 : rank < 85 ? 4 : 5;
  }

  @Test
  void scoresAndTiersOnHandBuiltCustomers(TestPipeline p) {
    // 100 buyers. The quintile boundaries fall inside blocks of equal values, so any rank rule
    // gives the same boundaries: recency (10 x block) days -> 10, 20, 30, 40; frequency 62 x 1,
    // 25 x 2, then 3..15 -> 1, 1, 1, 2; monetary 50 x block of a permuted rank -> 50, 100, 150,
    // 200. CLV: 40 x 1.0, 45 x 5.0, 15 x 1000.0, plus the non-buyer's 2.0: p50 = 5.0, p90 =
    // 1000.0.
    List<CustomerFeatures> customers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      long frequency = i < 62 ? 1 : i < 87 ? 2 : 3 + (i - 87);
      double clv = i < 40 ? 1.0 : i < 85 ? 5.0 : 1000.0;
      customers.add(buyer("c" + i, 10L * block(i), frequency, 50.0 * block((i * 37) % 100),
          clv));
    }
    customers.add(buyer("never", null, 0, 0, 2.0));
    PCollection<CustomerFeatures> scored = p.apply(Create.of(customers))
        .apply(AddSegmentScores.create());

    // By hand: i 0-24 R5 F1 new_customers (25); 25-44 R4 F1 promising (20); 45-61 R3 F1
    // about_to_sleep (17); 62-64 R3 F4 loyal (3); 65-84 R2 F4 and 85-86 R1 F4 at_risk (22);
    // 87-99 R1 F5 cant_lose_them (13).
    PAssert.that(scored.apply("Segments", MapElements.into(TypeDescriptors.strings())
            .via(c -> String.valueOf(c.getRfmSegment())))
        .apply("CountSegments", Count.perElement()))
        .satisfies(counts -> {
          Map<String, Long> byName = new TreeMap<>();
          counts.forEach(kv -> byName.put(kv.getKey(), kv.getValue()));
          assertEquals(Map.of("new_customers", 25L, "promising", 20L, "about_to_sleep", 17L,
              "loyal", 3L, "at_risk", 22L, "cant_lose_them", 13L, "null", 1L), byName);
          return null;
        });
    // Value tiers: clv < 5.0 low (40 + the non-buyer), >= 1000.0 vip (15), the rest standard.
    PAssert.that(scored.apply("Tiers", MapElements.into(TypeDescriptors.strings())
            .via(CustomerFeatures::getValueTier))
        .apply("CountTiers", Count.perElement()))
        .satisfies(counts -> {
          Map<String, Long> byTier = new TreeMap<>();
          counts.forEach(kv -> byTier.put(kv.getKey(), kv.getValue()));
          assertEquals(Map.of("low", 41L, "standard", 45L, "vip", 15L), byTier);
          return null;
        });
    // Whole rows: c0 (recency 10, once, monetary rank 0 -> 50), c62 (recency 30, twice,
    // monetary rank 94 -> 250), c99 (recency 50, 15 times, monetary rank 63 -> 150), never.
    PAssert.that(scored.apply("Rows", MapElements.into(TypeDescriptors.strings())
            .via(c -> c.getCustomerId() + " " + c.getRScore() + c.getFScore() + c.getMScore()
                + " " + c.getRfmSegment() + " " + c.getValueTier())))
        .satisfies(rows -> {
          List<String> wanted = new ArrayList<>();
          rows.forEach(r -> {
            if (r.startsWith("c0 ") || r.startsWith("c62 ") || r.startsWith("c99 ")
                || r.startsWith("never ")) {
              wanted.add(r);
            }
          });
          wanted.sort(null);
          assertEquals(List.of("c0 511 new_customers low", "c62 345 loyal standard",
              "c99 153 cant_lose_them vip", "never nullnullnull null low"), wanted);
          return null;
        });
    p.run().waitUntilFinish();
  }

  @Test
  void scoresOnAHundredThousandCustomersMatchExactQuintilesWithinTheErrorBound() {
    int n = 100_000;
    SplittableRandom random = new SplittableRandom(20261123L);
    double[][] columns = new double[3][n];
    for (int i = 0; i < n; i++) {
      columns[0][i] = random.nextInt(1000); // recency, days
      columns[1][i] = 1 + (int) Math.floor(-Math.log(1 - random.nextDouble()) * 1.5);
      columns[2][i] = Math.round(Math.exp(3 + random.nextGaussian()) * 100) / 100.0;
    }
    // A boundary off by at most EPSILON n ranks moves at most the customers within that many
    // ranks of it (whole tie blocks included) to another score.
    long bound = (long) Math.ceil(AddSegmentScores.EPSILON * n);
    for (int k = 0; k < 3; k++) {
      double[] values = columns[k];
      double[] exact = quintiles(values);
      double[] approximate = AddSegmentScores.quintiles(percentiles(values));
      long differ = 0;
      for (double v : values) {
        int want = k == 0 ? RfmScores.lowerIsBetter(v, exact)
            : RfmScores.higherIsBetter(v, exact);
        int got = k == 0 ? RfmScores.lowerIsBetter(v, approximate)
            : RfmScores.higherIsBetter(v, approximate);
        if (want != got) {
          differ++;
        }
      }
      long allowed = ties(values, exact, bound);
      assertTrue(differ <= allowed, "column " + k + ": " + differ + " of " + n
          + " scores differ from exact quintiles, more than " + allowed);
    }
  }

  /**
   * The percentiles as the pipeline computes them: the values split into 16 bundles, each
   * summarized on its own, the summaries merged in a fixed shuffled order.
   */
  private static List<Double> percentiles(double[] values) {
    return mergedInShuffledOrder(AddSegmentScores.percentilesFn(), values);
  }

  private static <A> List<Double> mergedInShuffledOrder(
      org.apache.beam.sdk.transforms.Combine.CombineFn<Double, A, List<Double>> fn,
      double[] values) {
    List<A> parts = new ArrayList<>();
    for (int b = 0; b < 16; b++) {
      A acc = fn.createAccumulator();
      for (int i = b; i < values.length; i += 16) {
        acc = fn.addInput(acc, values[i]);
      }
      parts.add(acc);
    }
    java.util.Collections.shuffle(parts, new java.util.Random(7));
    return fn.extractOutput(fn.mergeAccumulators(parts));
  }

  /** Customers within {@code bound} ranks of a boundary, counting whole tie blocks. */
  private static long ties(double[] values, double[] boundaries, long bound) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    long count = 0;
    for (double b : boundaries) {
      int first = lowerRank(sorted, b);
      double low = sorted[(int) Math.max(0, first - bound)];
      double high = sorted[(int) Math.min(sorted.length - 1, first + bound)];
      for (double v : sorted) {
        if (v >= low && v <= high) {
          count++;
        }
      }
    }
    return count;
  }

  private static int lowerRank(double[] sorted, double v) {
    int i = Arrays.binarySearch(sorted, v);
    while (i > 0 && sorted[i - 1] == v) {
      i--;
    }
    return i;
  }

  private static double[] quintiles(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double[] q = new double[4];
    for (int k = 1; k <= 4; k++) {
      q[k - 1] = sorted[(int) Math.ceil(k * 0.2 * sorted.length) - 1];
    }
    return q;
  }

  @Test
  void engagementTiersByPercentile(TestPipeline p) {
    // 100 customers with engagement_score 1 to 5 in blocks of 25, 20, 20, 20 and 15 (ranks
    // 0-24, 25-44, ...): p80 falls in the block of 4 and p40 in the block of 2, whatever the
    // rank rule. Top 20%: score >= 4 is high (35); bottom 40%: score < 2 is low (25); the
    // other 40 are medium.
    List<CustomerFeatures> customers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      customers.add(buyer("e" + i, 10L, 1, 10, null).toBuilder()
          .setEngagementScore(block(i)).build());
    }
    PAssert.that(p.apply(Create.of(customers)).apply(AddSegmentScores.create())
            .apply(MapElements.into(TypeDescriptors.strings())
                .via(CustomerFeatures::getEngagementTier))
            .apply(Count.perElement()))
        .satisfies(counts -> {
          Map<String, Long> byTier = new TreeMap<>();
          counts.forEach(kv -> byTier.put(kv.getKey(), kv.getValue()));
          assertEquals(Map.of("high", 35L, "medium", 40L, "low", 25L), byTier);
          return null;
        });
    p.run().waitUntilFinish();
  }

  @Test
  void tierCutOffsAreChecked() {
    assertEquals("vip_top_percent must be a whole number from 1 to 99, got 0",
        assertThrows(IllegalArgumentException.class,
            () -> AddSegmentScores.create().withValueTiers(0, 50)).getMessage());
    assertEquals("low_bottom_percent must be from 0 to 80 (100 - vip_top_percent), got 90",
        assertThrows(IllegalArgumentException.class,
            () -> AddSegmentScores.create().withValueTiers(20, 90)).getMessage());
  }
}
