package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class AddProfileTraitsTest {
  static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");
  private static int seq;

  static KV<String, ProfileAttributes> profile(String customer, String time,
      Map<String, String> attrs) {
    return KV.of(customer, ProfileAttributes.builder().setSource("crm")
        .setSourceRecordId("p" + (seq++)).setUpdateTime(Instant.parse(time))
        .setIdentifiers(Map.of("crm_id", customer)).setAttributes(attrs).build());
  }

  static KV<String, CustomerEvent> consent(String customer, String time,
      Map<String, Boolean> consent) {
    return KV.of(customer, CustomerEvent.builder().setSource("shop")
        .setSourceRecordId("e" + (seq++)).setEventType("purchase")
        .setEventTime(Instant.parse(time)).setIdentifiers(Map.of("user_id", customer))
        .setConsent(consent).build());
  }

  static Map<String, String> attrs(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  @Test
  void latestTraitBeforeAsOfWinsAndConsentComesFromBoth(TestPipeline p) throws Exception {
    List<CustomerFeatures> features = List.of(AssignLifecycleStageTest.row("a", 100, 1L, null,
        null), AssignLifecycleStageTest.row("b", 100, 1L, null, null),
        AssignLifecycleStageTest.row("n", 100, 1L, null, null));
    PCollection<KV<String, ProfileAttributes>> profiles = p.apply("Profiles", Create.of(
        profile("a", "2024-02-01T00:00:00Z", attrs("country", "US", "city", "Oakland",
            "lat", "37.80", "lon", "-122.27", "plan", "pro", "company", "Acme",
            "employees", "1,200", "Consent.Email", "TRUE")),
        profile("a", "2024-05-01T00:00:00Z", attrs("City", " Berkeley ", "industry", "Retail",
            "plan", "plus", "lat", "north", "nickname", " ")),
        profile("a", "2024-06-01T00:00:00Z", attrs("consent_sms", "maybe")),
        profile("a", "2024-07-01T00:00:00Z", attrs("country", "CA")), // at asOf: ignored
        profile("b", "2024-03-01T00:00:00Z", attrs("employees", "-5", "lon", "200",
            "consent_tracking", "false", "first_name", "Ann")),
        profile("z", "2024-03-01T00:00:00Z", attrs("country", "FR")))) // no features: no row
        .setCoder(KvCoder.of(StringUtf8Coder.of(),
            p.getSchemaRegistry().getSchemaCoder(ProfileAttributes.class)));
    PCollection<KV<String, CustomerEvent>> events = p.apply("Events", Create.of(
        consent("a", "2024-03-01T00:00:00Z", Map.of("email", false, "sms", true)),
        consent("a", "2024-07-01T00:00:00Z", Map.of("push", true)), // consent: read after asOf
        consent("b", "2024-01-01T00:00:00Z", Map.of()))); // no consent: nothing
    PCollection<CustomerFeatures> out = AddProfileTraits
        .inputs(p.apply("Features", Create.of(features)), profiles, events)
        .apply(AddProfileTraits.create().withAsOf(AS_OF));
    PAssert.that(out).containsInAnyOrder(
        // a: city from May ("Berkeley", trimmed; the name read case-insensitively); lat's
        // latest value "north" is not a number -> null; plan from May goes to traits; the
        // blank nickname is ignored. Consent: email TRUE (profile, Feb) then false (event,
        // Mar) -> false; sms true (event, Mar), then "maybe" (profile, Jun), unreadable, so
        // withdrawn -> false; push true from the event at asOf (consent reads every record).
        features.get(0).toBuilder().setCountry("US").setCity("Berkeley").setLat(null)
            .setLon(-122.27).setCompany("Acme").setIndustry("Retail").setEmployees(1200L)
            .setTraits(Map.of("plan", "plus")).setConsentEmail(false).setConsentSms(false)
            .setConsentPush(true).build(),
        // b: -5 employees and longitude 200 are out of range -> null.
        features.get(1).toBuilder().setTraits(Map.of("first_name", "Ann"))
            .setConsentTracking(false).build(),
        // n: no profile, no consent: unchanged.
        features.get(2));
    p.run().waitUntilFinish();
  }

  /** Consent inputs of {@link #consentValuesFailClosedAndOptOutsAfterAsOfCount}. */
  static List<KV<String, ProfileAttributes>> consentProfiles() {
    return List.of(
        // a: given in Feb, withdrawn in August, after asOf: withdrawal wins.
        profile("a", "2024-02-01T00:00:00Z", attrs("consent_email", " Yes ")),
        profile("a", "2024-08-01T00:00:00Z", attrs("Consent.Email", "opted_out",
            "country", "CA", "consent_sms", "1")),
        // b: the table, case-insensitive and trimmed.
        profile("b", "2024-01-01T00:00:00Z", attrs("consent_email", "N",
            "consent_sms", "Subscribed", "consent_push", "OPTED_IN", "consent_tracking", "0")),
        // c: given, then an unreadable value: withdrawn, never "the older true stays".
        profile("c", "2024-01-01T00:00:00Z", attrs("consent_email", "true",
            "consent_sms", "y")),
        profile("c", "2024-05-01T00:00:00Z", attrs("consent_email", "maybe",
            "consent_sms", "2")),
        // e: an unreadable value, then a later explicit "yes": the later answer stands.
        profile("e", "2024-02-01T00:00:00Z", attrs("consent_email", "sure")),
        profile("e", "2024-03-01T00:00:00Z", attrs("consent_email", "yes")));
  }

  static List<KV<String, CustomerEvent>> consentEvents() {
    return List.of(
        // d: given by an event before asOf, withdrawn by one after it.
        consent("d", "2024-01-01T00:00:00Z", Map.of("email", true, "sms", true)),
        consent("d", "2024-09-01T00:00:00Z", Map.of("email", false)),
        // b: an older event's true gives way to the profile's later "N".
        consent("b", "2023-12-01T00:00:00Z", Map.of("email", true)));
  }

  /** What the inputs above must give: email, sms, push, tracking per customer. */
  static final Map<String, List<Boolean>> CONSENT_EXPECTED = Map.of(
      "a", java.util.Arrays.asList(false, true, null, null),
      "b", java.util.Arrays.asList(false, true, true, false),
      "c", java.util.Arrays.asList(false, false, null, null),
      "d", java.util.Arrays.asList(false, true, null, null),
      "e", java.util.Arrays.asList(true, null, null, null));

  static CustomerFeatures withConsent(CustomerFeatures f) {
    List<Boolean> c = CONSENT_EXPECTED.get(f.getCustomerId());
    return f.toBuilder().setConsentEmail(c.get(0)).setConsentSms(c.get(1))
        .setConsentPush(c.get(2)).setConsentTracking(c.get(3)).build();
  }

  @Test
  void consentValuesFailClosedAndOptOutsAfterAsOfCount(TestPipeline p) throws Exception {
    List<CustomerFeatures> features = new java.util.ArrayList<>();
    for (String id : List.of("a", "b", "c", "d", "e")) {
      features.add(AssignLifecycleStageTest.row(id, 100, 1L, null, null));
    }
    PCollection<KV<String, ProfileAttributes>> profiles = p.apply("Profiles",
        Create.of(consentProfiles()).withCoder(KvCoder.of(StringUtf8Coder.of(),
            p.getSchemaRegistry().getSchemaCoder(ProfileAttributes.class))));
    PCollection<KV<String, CustomerEvent>> events = p.apply("Events",
        Create.of(consentEvents()));
    PCollection<CustomerFeatures> out = AddProfileTraits
        .inputs(p.apply("Features", Create.of(features)), profiles, events)
        .apply(AddProfileTraits.create().withAsOf(AS_OF));
    List<CustomerFeatures> expected = new java.util.ArrayList<>();
    for (CustomerFeatures f : features) {
      expected.add(withConsent(f));
    }
    // a's country "CA" (after asOf, not consent) is ignored as before.
    PAssert.that(out).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @Test
  void needsAsOfAndInputs() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> AddProfileTraits.create().withAsOf(null));
    assertThrows(IllegalArgumentException.class,
        () -> AddProfileTraits.inputs(null, null, null));
    // the time is a setting like the others, checked when the transform is applied
    org.apache.beam.sdk.Pipeline pipeline = org.apache.beam.sdk.Pipeline.create();
    assertEquals("AddProfileTraits needs withAsOf(..): the time the traits are read at",
        assertThrows(IllegalStateException.class, () -> AddProfileTraits.inputs(pipeline
            .apply(org.apache.beam.sdk.transforms.Create.empty(
                org.apache.beam.sdk.values.TypeDescriptor.of(CustomerFeatures.class))), null, null)
            .apply(AddProfileTraits.create())).getMessage());
    assertEquals("PredictCustomerValue needs withAsOf(..): the time the predictions are made at",
        assertThrows(IllegalStateException.class, () -> pipeline
            .apply("Events", org.apache.beam.sdk.transforms.Create.empty(
                org.apache.beam.sdk.coders.KvCoder.of(
                    org.apache.beam.sdk.coders.StringUtf8Coder.of(),
                    pipeline.getSchemaRegistry().getSchemaCoder(CustomerEvent.class))))
            .apply(dev.audiencesegmenter.clv.PredictCustomerValue.create())).getMessage());
  }
}
