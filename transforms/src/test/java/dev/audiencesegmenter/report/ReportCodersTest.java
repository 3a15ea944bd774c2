package dev.audiencesegmenter.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class ReportCodersTest {

  @Test
  void memberValuesRoundTripWithNullsAndScales() throws Exception {
    for (Boolean reachable : new Boolean[] {null, true, false}) {
      MemberValues v = new MemberValues(reachable == null, reachable,
          new BigDecimal[] {new BigDecimal("12.50"), null, BigDecimal.ONE},
          new String[] {"email", null, "ios"});
      MemberValues back = CoderUtils.clone(ReportCoders.memberValues(), v);
      assertEquals(v.holdout(), back.holdout());
      assertEquals(reachable, back.reachable());
      assertArrayEquals(v.numbers(), back.numbers()); // 12.50 keeps its scale
      assertArrayEquals(v.categories(), back.categories());
    }
    MemberValues empty = CoderUtils.clone(ReportCoders.memberValues(),
        new MemberValues(false, null, new BigDecimal[0], new String[0]));
    assertNull(empty.reachable());
    assertEquals(0, empty.numbers().length + empty.categories().length);
  }

  @Test
  void statisticsRoundTripExactlyWithTheirMedian() throws Exception {
    SegmentStatistics few = new SegmentStatistics(2, 1);
    few.add(new MemberValues(true, true, new BigDecimal[] {new BigDecimal("12.50"), null},
        new String[] {"email"}), 0);
    few.add(new MemberValues(false, null, new BigDecimal[] {new BigDecimal("0.125"),
        new BigDecimal("-3")}, new String[] {"sms"}), 0);
    few.add(new MemberValues(false, false, new BigDecimal[] {null, BigDecimal.ONE},
        new String[] {"email"}), 0);
    SegmentStatistics back = CoderUtils.clone(ReportCoders.statistics(), few);
    assertEquals(3, back.members);
    assertEquals(1, back.holdouts);
    assertEquals(2, back.reachabilityKnown);
    assertEquals(1, back.reachable);
    assertArrayEquals(new long[] {2, 2}, back.count);
    // 12.50 + 0.125 keeps the larger scale; the squares 156.2500 + 0.015625
    assertArrayEquals(new BigDecimal[] {new BigDecimal("12.625"), new BigDecimal("-2")},
        back.sum);
    assertEquals("156.265625", back.sumOfSquares[0].toPlainString());
    assertEquals("10", back.sumOfSquares[1].toPlainString());
    assertEquals(java.util.Map.of("email", 2L, "sms", 1L), back.categories.get(0));
    // the median of 12.50 and 0.125 (the first number column is the CLV here)
    assertEquals(6.3125, back.clv.median());
    assertEquals(2, back.clv.count());
    // "the rest" (everyone minus a segment) has no median
    SegmentStatistics rest = CoderUtils.clone(ReportCoders.statistics(),
        few.minus(new SegmentStatistics(2, 1)));
    assertNull(rest.clv);
    assertEquals(3, rest.members);
    assertEquals(new BigDecimal("12.625"), rest.sum[0]);

    // past 10,000 values the median is kept in buckets: the same figure after the trip
    SegmentStatistics many = new SegmentStatistics(1, 0);
    for (int i = 1; i <= 10_001; i++) {
      many.add(new MemberValues(false, null, new BigDecimal[] {BigDecimal.valueOf(i)},
          new String[0]), 0);
    }
    SegmentStatistics manyBack = CoderUtils.clone(ReportCoders.statistics(), many);
    assertEquals(many.clv.median(), manyBack.clv.median());
    assertEquals(10_001, manyBack.clv.count());
    assertEquals(new BigDecimal("50015001"), manyBack.sum[0]);
    assertArrayEquals(CoderUtils.encodeToByteArray(ReportCoders.statistics(), many),
        CoderUtils.encodeToByteArray(ReportCoders.statistics(), manyBack));
  }

  @Test
  void churnAndCountsRoundTrip() throws Exception {
    assertEquals(new SegmentChurn(3, 0, Long.MAX_VALUE),
        CoderUtils.clone(ReportCoders.churn(), new SegmentChurn(3, 0, Long.MAX_VALUE)));
    assertArrayEquals(new long[] {1, 0, 0, 7},
        CoderUtils.clone(ReportCoders.counts(), new long[] {1, 0, 0, 7}));
    assertArrayEquals(new long[0], CoderUtils.clone(ReportCoders.counts(), new long[0]));
  }
}
