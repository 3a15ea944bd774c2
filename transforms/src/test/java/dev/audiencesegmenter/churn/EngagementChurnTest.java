package dev.audiencesegmenter.churn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerFeatures;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Where customers stand, what the table counts and the risk it gives, by hand. */
class EngagementChurnTest {
  static final long AS_OF = Instant.parse("2024-07-01T00:00:00Z").getMillis();
  static final long DAY = 86_400_000L;

  static long daysBefore(double days) {
    return AS_OF - Math.round(days * DAY);
  }

  @Test
  void aHistoryKnowsWhereTheCustomerStoodThenAndNow() {
    // the reference instant is 90 days before asOf
    ActivityHistory h = new ActivityHistory(AS_OF)
        .add(daysBefore(200))   // before the reference's 90-day look-back: counts for recency only
        .add(daysBefore(150))   // 60 days before the reference
        .add(daysBefore(100))   // 10 days before the reference: its last activity then
        .add(daysBefore(40))    // after the reference
        .add(AS_OF)             // at asOf: not seen
        .add(AS_OF + DAY);
    assertEquals(new EngagementCell(1, 2), h.atReference()); // 10 days, 2 events in 90 days
    assertEquals(new EngagementCell(2, 1), h.atAsOf());      // 40 days, 1 event in 90 days
    assertTrue(h.activeSinceReference());
    ActivityHistory quiet = new ActivityHistory(AS_OF).add(daysBefore(95));
    assertEquals(new EngagementCell(0, 1), quiet.atReference());
    assertEquals(new EngagementCell(3, 0), quiet.atAsOf());
    assertEquals("90d+/0", quiet.atAsOf().label());
    assertTrue(!quiet.activeSinceReference());
    ActivityHistory recentOnly = new ActivityHistory(AS_OF).add(daysBefore(1));
    assertNull(recentOnly.atReference());
    assertNull(new ActivityHistory(AS_OF).atAsOf());
  }

  @Test
  void cellBoundaries() {
    assertEquals(new EngagementCell(0, 3), EngagementCell.of(6, 5));
    assertEquals(new EngagementCell(1, 2), EngagementCell.of(7, 4));
    assertEquals(new EngagementCell(1, 2), EngagementCell.of(29, 2));
    assertEquals(new EngagementCell(2, 1), EngagementCell.of(30, 1));
    assertEquals(new EngagementCell(3, 0), EngagementCell.of(90, 0));
  }

  /** n customers active 3 days before the reference; the first {@code quiet} of them not since. */
  static EngagementChurnTable table(int n, int quiet) {
    return table(93, n, quiet);
  }

  /** n customers last active {@code days} before asOf; the first {@code quiet} not since. */
  static EngagementChurnTable table(double days, int n, int quiet) {
    EngagementChurnTable t = new EngagementChurnTable();
    for (int i = 0; i < n; i++) {
      ActivityHistory h = new ActivityHistory(AS_OF).add(daysBefore(days));
      if (i >= quiet) {
        h.add(daysBefore(10));
      }
      t.add(h);
    }
    return t;
  }

  @Test
  void theRiskIsTheShareThatWentQuietWithFallbacksForSmallCells() {
    EngagementCell cell = new EngagementCell(0, 1);
    EngagementChurnTable t = table(40, 10);
    assertEquals(40, t.customers(cell));
    assertEquals(10, t.quiet(cell));
    assertEquals(0.25, t.churnRisk(cell), 0);
    // an empty cell of the same recency row borrows the row's rate
    assertEquals(0.25, t.churnRisk(new EngagementCell(0, 3)), 0);
    // another row, empty: the rate of everyone
    assertEquals(0.25, t.churnRisk(new EngagementCell(2, 2)), 0);
    // 29 customers in all are too few for any rate
    assertTrue(Double.isNaN(table(29, 3).churnRisk(cell)));
    // with 20 more in another row (all active since), the small row borrows from everyone
    EngagementChurnTable mixed = table(20, 5).merge(table(130, 40, 0)); // 40 days: row 2
    assertEquals(5.0 / 60, mixed.churnRisk(cell), 1e-15);
  }

  @Test
  void theTableMergesAndSurvivesItsCoder() throws Exception {
    EngagementChurnTable a = table(40, 10);
    EngagementChurnTable b = table(25, 5).merge(table(15, 5));
    assertEquals(a, b);
    assertEquals(a, CoderUtils.clone(EngagementChurnTable.coder(), a));
    ActivityHistory h = new ActivityHistory(AS_OF).add(daysBefore(100)).add(daysBefore(3));
    CoderProperties.coderDecodeEncodeEqual(ActivityHistory.coder(), h);
    // times absent (no activity at all, none before the reference) survive too
    CoderProperties.coderDecodeEncodeEqual(ActivityHistory.coder(), new ActivityHistory(AS_OF));
    CoderProperties.coderDecodeEncodeEqual(ActivityHistory.coder(),
        new ActivityHistory(AS_OF).add(daysBefore(1)));
    ActivityHistory back = CoderUtils.clone(ActivityHistory.coder(), h);
    assertEquals(h.atAsOf(), back.atAsOf());
    assertEquals(h.atReference(), back.atReference());
  }

  @Test
  void aNeverBuyerGetsTheRiskItsBandAndTheModelName() {
    CustomerFeatures f = CustomerFeatures.builder().setCustomerId("c-1")
        .setFirstSeen(new Instant(0)).setLastSeen(new Instant(5)).setTenureDays(0)
        .setFrequency(0).setMonetaryTotal(java.math.BigDecimal.ZERO.setScale(2))
        .setPurchases30d(0).setPurchases90d(0).setPurchases180d(0).setPurchases365d(0)
        .setEmailOpens90d(0).setEmailClicks90d(0).setSiteVisits30d(0).setSiteVisits90d(0)
        .setCartAbandoned24h(false).build();
    ActivityHistory h = new ActivityHistory(AS_OF).add(daysBefore(2));
    CustomerFeatures scored = EngagementChurn.withChurnRisk(f, table(40, 30), h);
    assertEquals(0.75, scored.getChurnRisk());
    assertEquals("high", scored.getChurnRiskBand());
    assertEquals("engagement", scored.getChurnModel());
    // no activity, or too little data: the row as it was
    assertSame(f, EngagementChurn.withChurnRisk(f, table(40, 30), new ActivityHistory(AS_OF)));
    assertSame(f, EngagementChurn.withChurnRisk(f, table(10, 3), h));
  }
}
