package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/** Events written by hand, days before asOf, and the features the whole flow makes of them. */
final class TestCustomers {
  static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");
  private static int records;

  private TestCustomers() {}

  static CustomerEvent event(String user, String type, int daysBeforeAsOf,
      BigDecimal revenue) {
    return CustomerEvent.builder().setSource("app").setSourceRecordId(String.valueOf(++records))
        .setEventType(type).setEventTime(AS_OF.minus(Duration.standardDays(daysBeforeAsOf)))
        .setIdentifiers(Map.of("user_id", user)).setRevenue(revenue).build();
  }

  /** Twelve repeat buyers, all their purchases in the last 80 days: the value models need them. */
  static void addRepeatBuyers(List<CustomerEvent> events) {
    for (int i = 0; i < 12; i++) {
      for (int days : new int[] {80 - i, 50 - i, 20 - i}) {
        events.add(event("buyer" + i, "purchase", days, new BigDecimal("20.00")));
      }
    }
  }

  /** SegmentCustomers with its defaults (value models on) and one segment of everyone. */
  static PCollection<CustomerFeatures> features(TestPipeline p, List<CustomerEvent> events) {
    return ResolveIdentities.inputs(p.apply(Create.of(events)
            .withCoder(SchemaCoders.of(p, CustomerEvent.class))), null)
        .apply(SegmentCustomers.of(SegmentDefinitions.parse("groups:\n  - name: all\n"
            + "    segments:\n      - name: everyone\n        when: tenure_days >= 0\n",
            "segments.yaml"), ComputeCustomerFeatures.create().withAsOf(AS_OF)))
        .getFeatures();
  }
}
