package dev.audiencesegmenter.io.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.features.LocalFeatures;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SegmentMembership;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 17, item 4: a sync as of a past date still applies the opt-outs recorded after it. The
 * features are folded as the batch job folds them ({@link LocalFeatures}, the fold of its
 * per-customer step) as of {@link #AS_OF}, then {@link BuildContactUpdates} gets them with
 * every event, as the job hands them over.
 */
@ExtendWith(TestPipelineExtension.class)
class ConsentAfterAsOfTest {
  static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");

  static KV<String, CustomerEvent> event(String customer, String id, String time,
      Map<String, Boolean> consent) {
    return KV.of(customer, CustomerEvent.builder().setSource("shop").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(Instant.parse(time))
        .setIdentifiers(Map.of("user_id", customer)).setRevenue(new BigDecimal("10.00"))
        .setConsent(consent).build());
  }

  static KV<String, ProfileAttributes> profile(String customer, String id, String time,
      Map<String, String> attrs) {
    return KV.of(customer, ProfileAttributes.builder().setSource("crm").setSourceRecordId(id)
        .setUpdateTime(Instant.parse(time)).setIdentifiers(Map.of("crm_id", customer))
        .setAttributes(attrs).build());
  }

  @Test
  void optOutsAfterAsOfReachTheFeaturesAndTheContactUpdates(TestPipeline p) {
    List<KV<String, CustomerEvent>> events = List.of(
        // a: consented with a purchase before asOf, opted out of email by an event after it
        event("a", "a1", "2024-03-01T00:00:00Z", Map.of("email", true, "sms", true)),
        event("a", "a2", "2024-08-01T00:00:00Z", Map.of("email", false)),
        // b: consented before asOf; the CRM records the opt-out after it
        event("b", "b1", "2024-03-01T00:00:00Z", Map.of("email", true)),
        // c: consented, nothing after: stays consented
        event("c", "c1", "2024-03-01T00:00:00Z", Map.of("email", true)),
        // d: an unreadable CRM value after asOf withdraws too
        event("d", "d1", "2024-03-01T00:00:00Z", Map.of("sms", true)));
    List<KV<String, ProfileAttributes>> profiles = List.of(
        profile("b", "p1", "2024-09-15T00:00:00Z", Map.of("consent_email", "opted_out",
            "city", "Oslo")),
        profile("d", "p2", "2024-09-15T00:00:00Z", Map.of("consent_sms", "ask later")));
    List<CustomerFeatures> features = LocalFeatures.compute(
        ComputeCustomerFeatures.create().withAsOf(AS_OF), events, profiles);

    Map<String, List<Boolean>> featureConsent = new TreeMap<>();
    for (CustomerFeatures f : features) {
      featureConsent.put(f.getCustomerId(), Arrays.asList(f.getConsentEmail(),
          f.getConsentSms()));
      // the purchase after asOf is not counted; b's city after asOf is not read
      assertEquals(1, f.getFrequency(), f.getCustomerId());
      assertEquals(null, f.getCity(), f.getCustomerId());
    }
    assertEquals(Map.of("a", Arrays.asList(false, true), "b", Arrays.asList(false, null),
        "c", Arrays.asList(true, null), "d", Arrays.asList(null, false)), featureConsent);

    List<CustomerIdentity> ids = new ArrayList<>();
    for (String c : List.of("a", "b", "c", "d")) {
      ids.add(CustomerIdentity.create(c, "email", c + "@example.com"));
      ids.add(CustomerIdentity.create(c, "phone", "+1415555010" + (c.charAt(0) - 'a')));
    }
    PCollection<ContactUpdate> updates = BuildContactUpdates.inputs(
            p.apply("Ids", Create.of(ids)), p.apply("Features", Create.of(features)),
            p.apply("Events", Create.of(events)),
            p.apply("Memberships", Create.of(List.of(
                SegmentMembership.create("a", "loyal_customers", "lifecycle", false)))))
        .apply(BuildContactUpdates.create());
    Queue<ContactUpdate> out = SinkTesting.collect(updates, "afterAsOf");
    p.run().waitUntilFinish();

    Map<String, List<Boolean>> contactConsent = new TreeMap<>();
    out.forEach(u -> contactConsent.put(u.getKey(), List.of(u.getEmailConsent(),
        u.getSmsConsent())));
    assertEquals(Map.of("a", List.of(false, true), "b", List.of(false, false),
        "c", List.of(true, false), "d", List.of(false, false)), contactConsent);
  }
}
