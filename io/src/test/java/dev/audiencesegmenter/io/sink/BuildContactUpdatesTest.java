package dev.audiencesegmenter.io.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.SegmentMembership;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class BuildContactUpdatesTest {

  static CustomerFeatures features(String id, String total) {
    return CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
        .setRecencyDays(29L).setFrequency(3).setMonetaryTotal(new BigDecimal(total))
        .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0).setPurchases180d(3)
        .setPurchases365d(3).setEmailOpens90d(0).setEmailClicks90d(0).setSiteVisits30d(0)
        .setSiteVisits90d(0).setCartAbandoned24h(false).build();
  }

  static KV<String, CustomerEvent> consent(String customer, String time,
      Map<String, Boolean> consent) {
    return KV.of(customer, CustomerEvent.builder().setSource("crm").setSourceRecordId(time)
        .setEventType("consent").setEventTime(Instant.parse(time))
        .setIdentifiers(Map.of("crm_id", customer)).setProperties(Map.of())
        .setConsent(consent).build());
  }

  @Test
  void joinsIdentifiersFeaturesConsentAndNonHoldoutSegments(TestPipeline p) {
    PCollection<CustomerIdentity> ids = p.apply("Ids", Create.of(List.of(
        CustomerIdentity.create("a", "email", "zed@example.com"),
        CustomerIdentity.create("a", "email", "ann@example.com"),
        CustomerIdentity.create("a", "phone", "+14155550132"),
        CustomerIdentity.create("a", "user_id", "u-1"),
        CustomerIdentity.create("b", "phone", "+14155550199"),
        CustomerIdentity.create("c", "user_id", "u-3"),
        CustomerIdentity.create("d", "email", "dee@example.com"),
        CustomerIdentity.create("e", "email", "eve@example.com"))));
    PCollection<CustomerFeatures> features = p.apply("Features", Create.of(List.of(
        features("a", "42.50"), features("b", "0.00"), features("c", "1.00"),
        // d opted out in the CRM after an event consent; e consented in the CRM only
        features("d", "5.00").toBuilder().setConsentEmail(false).build(),
        features("e", "6.00").toBuilder().setConsentEmail(true).build())));
    PCollection<KV<String, CustomerEvent>> events = p.apply("Events", Create.of(List.of(
        consent("a", "2024-01-01T00:00:00Z", Map.of("email", true, "sms", true)),
        consent("a", "2024-03-01T00:00:00Z", Map.of("sms", false)),
        consent("b", "2024-02-01T00:00:00Z", Map.of("email", true)),
        consent("b", "2024-02-01T00:00:00Z", Map.of("email", false, "unsubscribed", true)),
        consent("d", "2024-05-01T00:00:00Z", Map.of("email", true)),
        // names are read as the features read them: trimmed, in any case
        consent("e", "2024-05-01T00:00:00Z", Map.of(" SMS ", true)))));
    PCollection<SegmentMembership> memberships = p.apply("Memberships", Create.of(List.of(
        SegmentMembership.create("a", "loyal_customers", "lifecycle", false),
        SegmentMembership.create("a", "engaged_email_readers", "triggers", true),
        SegmentMembership.create("b", "engaged_email_readers", "triggers", true))));
    PCollection<ContactUpdate> updates = BuildContactUpdates.inputs(ids, features, events,
        memberships).apply(BuildContactUpdates.create()
            .withFeatureColumns(List.of("monetary_total", "recency_days", "monetary_avg")));
    Queue<ContactUpdate> out = SinkTesting.collect(updates, "built");
    p.run().waitUntilFinish();

    Map<String, ContactUpdate> byKey = new TreeMap<>();
    out.forEach(update -> byKey.put(update.getKey(), update));
    assertEquals(List.of("a", "b", "d", "e"), List.copyOf(byKey.keySet()),
        "c has no email or phone");
    assertEquals(false, byKey.get("d").getEmailConsent(), "the features' consent outranks");
    assertTrue(byKey.get("e").getEmailConsent(), "consent from profile attributes counts");
    assertTrue(byKey.get("e").getSmsConsent(), "' SMS ' is the sms channel");
    ContactUpdate a = byKey.get("a");
    assertEquals("ann@example.com", a.getEmail());
    assertEquals("+14155550132", a.getPhone());
    assertEquals(Map.of("monetary_total", "42.50", "recency_days", "29"), a.getFields());
    assertEquals(List.of("loyal_customers"), a.getSegmentsCurrent(), "holdout left out");
    assertTrue(a.getEmailConsent());
    assertEquals(false, a.getSmsConsent(), "the later refusal wins");
    ContactUpdate b = byKey.get("b");
    assertEquals(null, b.getEmail());
    assertEquals(Map.of("monetary_total", "0.00", "recency_days", "29"), b.getFields());
    assertEquals(List.of(), b.getSegmentsCurrent());
    assertEquals(false, b.getEmailConsent(), "at equal times a refusal wins");
    assertTrue(b.getUnsubscribed());
  }

  /**
   * Push consent is kept as the signal says, and unknown stays unknown (null), so that only an
   * explicit refusal withdraws: f refused push in the CRM after an event consent; g consented
   * by event, then refused later; h consented in the CRM only; i has no push signal at all;
   * j got a push consent and a refusal at the same time (the refusal wins).
   */
  @Test
  void pushConsentComesFromTheFeaturesOrTheLatestPushSignalAndStaysUnknownWithoutOne(
      TestPipeline p) {
    PCollection<CustomerIdentity> ids = p.apply("Ids", Create.of(List.of(
        CustomerIdentity.create("f", "email", "f@example.com"),
        CustomerIdentity.create("g", "email", "g@example.com"),
        CustomerIdentity.create("h", "email", "h@example.com"),
        CustomerIdentity.create("i", "email", "i@example.com"),
        CustomerIdentity.create("j", "email", "j@example.com"))));
    PCollection<CustomerFeatures> features = p.apply("Features", Create.of(List.of(
        features("f", "1.00").toBuilder().setConsentPush(false).build(),
        features("g", "1.00"),
        features("h", "1.00").toBuilder().setConsentPush(true).build(),
        features("i", "1.00"),
        features("j", "1.00"))));
    PCollection<KV<String, CustomerEvent>> events = p.apply("Events", Create.of(List.of(
        consent("f", "2024-05-01T00:00:00Z", Map.of("push", true)),
        consent("g", "2024-01-01T00:00:00Z", Map.of(" Push", true, "email", true)),
        consent("g", "2024-03-01T00:00:00Z", Map.of("push", false)),
        consent("i", "2024-01-01T00:00:00Z", Map.of("email", true)),
        consent("j", "2024-02-01T00:00:00Z", Map.of("push", true)),
        consent("j", "2024-02-01T00:00:00Z", Map.of("push", false)))));
    PCollection<SegmentMembership> memberships = p.apply("Memberships",
        Create.empty(TypeDescriptor.of(SegmentMembership.class)));
    Queue<ContactUpdate> out = SinkTesting.collect(BuildContactUpdates.inputs(ids, features,
        events, memberships).apply(BuildContactUpdates.create()), "pushed");
    p.run().waitUntilFinish();

    Map<String, Boolean> push = new TreeMap<>();
    out.forEach(update -> push.put(update.getKey(), update.getPushConsent()));
    Map<String, Boolean> expected = new TreeMap<>();
    expected.put("f", false);
    expected.put("g", false);
    expected.put("h", true);
    expected.put("i", null);
    expected.put("j", false);
    assertEquals(expected, push);
  }

  /** At equal times the cautious answer wins: no consent, and unsubscribed. */
  @Test
  void atEqualTimesTheCautiousSignalWinsInEitherOrder() {
    BuildContactUpdates.LatestConsent latest = new BuildContactUpdates.LatestConsent();
    Map<String, KV<Long, Boolean>> yes = Map.of("email", KV.of(5L, true),
        "unsubscribed", KV.of(5L, false));
    Map<String, KV<Long, Boolean>> no = Map.of("email", KV.of(5L, false),
        "unsubscribed", KV.of(5L, true));
    Map<String, KV<Long, Boolean>> cautious = Map.of("email", KV.of(5L, false),
        "unsubscribed", KV.of(5L, true));
    assertEquals(cautious, latest.apply(yes, no));
    assertEquals(cautious, latest.apply(no, yes));
    // a later signal wins whatever it says
    Map<String, KV<Long, Boolean>> later = Map.of("email", KV.of(6L, true),
        "unsubscribed", KV.of(6L, false));
    assertEquals(later, latest.apply(no, later));
    assertEquals(later, latest.apply(later, no));
  }

  @Test
  void anUnknownFeatureColumnIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BuildContactUpdates.create().withFeatureColumns(List.of("monetary_totl")));
    assertTrue(e.getMessage().startsWith("Unknown feature column 'monetary_totl'"));
  }
}
