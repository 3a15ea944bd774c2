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
  void churnAndCountsRoundTrip() throws Exception {
    assertEquals(new SegmentChurn(3, 0, Long.MAX_VALUE),
        CoderUtils.clone(ReportCoders.churn(), new SegmentChurn(3, 0, Long.MAX_VALUE)));
    assertArrayEquals(new long[] {1, 0, 0, 7},
        CoderUtils.clone(ReportCoders.counts(), new long[] {1, 0, 0, 7}));
    assertArrayEquals(new long[0], CoderUtils.clone(ReportCoders.counts(), new long[0]));
  }
}
