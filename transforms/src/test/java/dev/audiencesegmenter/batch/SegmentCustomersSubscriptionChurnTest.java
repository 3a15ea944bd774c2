package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.clv.ShiftedBetaGeometricModel;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Active subscribers get their churn risk from the sBG model fitted on every subscriber, with
 * renewals every 30 days (the default). Two cohorts, counted here by hand:
 * <ul>
 *   <li>100 started 200 days before asOf (6 periods completed): 20 cancelled in their first
 *       period, 10 in the second, 5 in the third, 65 still subscribed;
 *   <li>50 started 100 days before asOf (3 periods completed): 10 cancelled in the first
 *       period, 40 still subscribed.
 * </ul>
 * So 30 cancelled at renewal 1, 10 at 2 and 5 at 3; 65 are still there after 6 periods and 40
 * after 3. The model fitted on those counts gives an active subscriber with k periods behind
 * them the risk α / (α + β + k) of cancelling at the next renewal.
 */
@ExtendWith(TestPipelineExtension.class)
class SegmentCustomersSubscriptionChurnTest {
  private static void cohort(List<CustomerEvent> events, String name, int startedDaysAgo,
      int... cancelledPerPeriod) {
    int i = 0;
    for (int period = 0; period < cancelledPerPeriod.length; period++) {
      for (int n = 0; n < cancelledPerPeriod[period]; n++, i++) {
        events.add(TestCustomers.event(name + i, "subscription_start", startedDaysAgo, null));
        // cancelled 10 days into period (period + 1)
        events.add(TestCustomers.event(name + i, "subscription_cancel",
            startedDaysAgo - 30 * period - 10, null));
      }
    }
  }

  private static String risk(double r) {
    return String.valueOf(BigDecimal.valueOf(r).setScale(6, RoundingMode.HALF_EVEN)
        .doubleValue());
  }

  /** Σ_{t ≥ k+1} S(t) / S(k) / (1 + d)^(t − k − 1), to 6 places. */
  private static String derl(ShiftedBetaGeometricModel sbg, int k, double d) {
    double sum = 0;
    for (int t = k + 1; t < k + 5_000; t++) {
      sum += sbg.survival(t) / sbg.survival(k) / Math.pow(1 + d, t - k - 1);
    }
    return risk(sum);
  }

  @Test
  void activeSubscribersGetTheSbgRiskOfTheirNextRenewal(TestPipeline p) {
    List<CustomerEvent> events = new ArrayList<>();
    cohort(events, "old", 200, 20, 10, 5);
    for (int i = 0; i < 65; i++) {
      events.add(TestCustomers.event("oldActive" + i, "subscription_start", 200, null));
    }
    cohort(events, "new", 100, 10);
    for (int i = 0; i < 40; i++) {
      events.add(TestCustomers.event("newActive" + i, "subscription_start", 100, null));
    }
    TestCustomers.addRepeatBuyers(events);
    ShiftedBetaGeometricModel sbg = ShiftedBetaGeometricModel.fitCensored(
        new long[] {0, 30, 10, 5}, new long[] {0, 0, 0, 40, 0, 0, 65});
    double a = sbg.alpha();
    double b = sbg.beta();
    PCollection<CustomerFeatures> features = TestCustomers.features(p, events);
    PCollection<String> sbgRows = features
        .apply(Filter.by(f -> "sbg".equals(f.getChurnModel())))
        .apply(MapElements.into(TypeDescriptors.strings()).via(f -> f.getChurnRisk() + " "
            + f.getDiscountedRemainingPeriods()));
    // DERL at the default 10 % a year, over 30-day periods, summed from the survival curve.
    double d = Math.pow(1.10, 30 / 365.0) - 1;
    List<String> expected = new ArrayList<>();
    expected.addAll(Collections.nCopies(65, risk(a / (a + b + 6)) + " " + derl(sbg, 6, d)));
    expected.addAll(Collections.nCopies(40, risk(a / (a + b + 3)) + " " + derl(sbg, 3, d)));
    PAssert.that(sbgRows).containsInAnyOrder(expected);
    PAssert.that(features.apply("OthersHaveNone", Filter.by(
            f -> !"sbg".equals(f.getChurnModel()) && f.getDiscountedRemainingPeriods() != null)))
        .empty();
    p.run().waitUntilFinish();
  }
}
