package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Customers who never bought get their churn risk from their engagement, with the expected
 * values worked out by hand. The reference instant is 90 days before asOf.
 * <ul>
 *   <li>Group A, 40 customers, one visit 95 days before asOf: at the reference, last active 5
 *       days before, 1 event (cell 0-6d/1). 10 of them visit again 5 days before asOf.
 *   <li>Group B, 40 customers, visits 140 and 130 days before asOf: at the reference, 40 days,
 *       2 events (cell 30-89d/2-4). 20 of them visit again 3 days before asOf.
 *   <li>12 buyers, all of whose events are after the reference: not calibrated on.
 * </ul>
 * Calibration: 0-6d/1 has 40 customers of whom 30 went quiet (0.75); 30-89d/2-4 has 40 of whom
 * 20 went quiet (0.5). At asOf the 30 who came back stand in 0-6d/1: 0.75. The 50 quiet ones
 * stand in 90d+/0, a row nobody was calibrated in, so they get everyone's rate, 50 of 80:
 * 0.625.
 */
@ExtendWith(TestPipelineExtension.class)
class SegmentCustomersEngagementChurnTest {
  @Test
  void neverBuyersGetTheShareOfLookAlikesThatWentQuiet(TestPipeline p) {
    List<CustomerEvent> events = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      events.add(TestCustomers.event("a" + i, "site_visit", 95, null));
      if (i < 10) {
        events.add(TestCustomers.event("a" + i, "site_visit", 5, null));
      }
      events.add(TestCustomers.event("b" + i, "site_visit", 140, null));
      events.add(TestCustomers.event("b" + i, "site_visit", 130, null));
      if (i < 20) {
        events.add(TestCustomers.event("b" + i, "site_visit", 3, null));
      }
    }
    TestCustomers.addRepeatBuyers(events);
    PCollection<CustomerFeatures> features = TestCustomers.features(p, events);
    PCollection<String> churn = features.apply(MapElements.into(TypeDescriptors.strings())
        .via(f -> f.getChurnModel() + " " + ("engagement".equals(f.getChurnModel())
            ? f.getChurnRisk() + " " + f.getChurnRiskBand() : "")));
    List<String> expected = new ArrayList<>();
    expected.addAll(Collections.nCopies(30, "engagement 0.75 high"));
    expected.addAll(Collections.nCopies(50, "engagement 0.625 medium"));
    expected.addAll(Collections.nCopies(12, "bg_nbd "));
    PAssert.that(churn).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }
}
