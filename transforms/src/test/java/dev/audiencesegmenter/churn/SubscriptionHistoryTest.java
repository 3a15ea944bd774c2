package dev.audiencesegmenter.churn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.beam.sdk.testing.CoderProperties;
import org.junit.jupiter.api.Test;

/** Which subscription counts, and how many periods it lasted, by hand. */
class SubscriptionHistoryTest {
  static final long DAY = 86_400_000L;
  static final long AS_OF = 1000 * DAY;
  static final long MONTH = 30 * DAY;

  @Test
  void theLatestSubscriptionCounts() throws Exception {
    SubscriptionHistory h = new SubscriptionHistory(AS_OF)
        .add("subscription_start", AS_OF - 400 * DAY)
        .add("subscription_cancel", AS_OF - 300 * DAY)   // ended the first subscription
        .add("subscription_start", AS_OF - 95 * DAY)     // the one that counts
        .add("page_view", AS_OF - DAY)
        .add("subscription_cancel", AS_OF + DAY);        // after asOf: not seen
    assertTrue(h.active());
    assertEquals(3, h.periods(MONTH)); // 95 days: three periods completed
    SubscriptionHistory cancelled = new SubscriptionHistory(AS_OF)
        .add("subscription_cancel", AS_OF - 20 * DAY)
        .add("subscription_start", AS_OF - 70 * DAY);    // order of arrival does not matter
    assertFalse(cancelled.active());
    assertEquals(2, cancelled.periods(MONTH)); // left 50 days in: at renewal 2
    assertFalse(new SubscriptionHistory(AS_OF).add("subscription_cancel", AS_OF - DAY)
        .subscribed());
    CoderProperties.coderDecodeEncodeEqual(SubscriptionHistory.coder(), h);
    CoderProperties.coderDecodeEncodeEqual(SubscriptionHistory.coder(), cancelled);
    CoderProperties.coderDecodeEncodeEqual(SubscriptionHistory.coder(),
        new SubscriptionHistory(AS_OF));
  }

  @Test
  void aCancellationWithoutAStartSurvivesTheCoder() throws Exception {
    // the start may be older than the exported data
    CoderProperties.coderDecodeEncodeEqual(SubscriptionHistory.coder(),
        new SubscriptionHistory(AS_OF).add("subscription_cancel", AS_OF - DAY));
  }

  @Test
  void theEventsOrderOfArrivalDoesNotMatter() throws Exception {
    // subscribed at 10, cancelled at 20, subscribed again at 30, cancelled at 40 (days before
    // asOf counted from 1000 days earlier): the latest subscription ended at 40, in its first
    // period
    String[] types = {"subscription_start", "subscription_cancel", "subscription_start",
        "subscription_cancel"};
    long[] days = {10, 20, 30, 40};
    java.util.List<java.util.List<Integer>> orders = new java.util.ArrayList<>();
    permutations(new java.util.ArrayList<>(), orders);
    for (java.util.List<Integer> order : orders) {
      SubscriptionHistory h = new SubscriptionHistory(AS_OF);
      for (int i : order) {
        h.add(types[i], days[i] * DAY);
      }
      assertFalse(h.active(), "order " + order);
      assertEquals(1, h.periods(MONTH), "order " + order);
      CoderProperties.coderDecodeEncodeEqual(SubscriptionHistory.coder(), h);
    }
    assertEquals(24, orders.size());
  }

  private static void permutations(java.util.List<Integer> prefix,
      java.util.List<java.util.List<Integer>> out) {
    if (prefix.size() == 4) {
      out.add(new java.util.ArrayList<>(prefix));
      return;
    }
    for (int i = 0; i < 4; i++) {
      if (!prefix.contains(i)) {
        prefix.add(i);
        permutations(prefix, out);
        prefix.remove(prefix.size() - 1);
      }
    }
  }

  @Test
  void renewalCountsMergeInAnyOrder() throws Exception {
    SubscriptionHistory active = new SubscriptionHistory(AS_OF)
        .add("subscription_start", AS_OF - 95 * DAY);
    SubscriptionHistory left = new SubscriptionHistory(AS_OF)
        .add("subscription_start", AS_OF - 70 * DAY).add("subscription_cancel", AS_OF - DAY);
    RenewalCounts one = new RenewalCounts().add(active, MONTH).add(left, MONTH);
    RenewalCounts two = new RenewalCounts().add(left, MONTH)
        .merge(new RenewalCounts().add(active, MONTH));
    assertEquals(one, two);
    assertEquals(1, one.activeAfter()[3]);
    assertEquals(1, one.cancelledAt()[3]); // 69 days in: the third period
    CoderProperties.coderDecodeEncodeEqual(RenewalCounts.coder(), one);
  }
}
