package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/**
 * The batch flow's per-customer fold ({@link CustomerFeaturesFold}, through {@link
 * LocalFeatures}) reads consent as {@link AddProfileTraits} does: the same inputs, the same
 * consent columns.
 */
class ConsentFeaturesTest {

  @Test
  void theFoldReadsConsentLikeAddProfileTraits() {
    List<KV<String, CustomerEvent>> events = new ArrayList<>(
        AddProfileTraitsTest.consentEvents());
    for (String id : List.of("a", "b", "c", "d", "e")) {
      // one event before asOf each, without consent: every customer gets a row
      events.add(AddProfileTraitsTest.consent(id, "2024-06-01T00:00:00Z", Map.of()));
    }
    List<CustomerFeatures> rows = LocalFeatures.compute(
        ComputeCustomerFeatures.create().withAsOf(AddProfileTraitsTest.AS_OF), events,
        AddProfileTraitsTest.consentProfiles());
    Map<String, List<Boolean>> consent = new TreeMap<>();
    for (CustomerFeatures f : rows) {
      consent.put(f.getCustomerId(), Arrays.asList(f.getConsentEmail(), f.getConsentSms(),
          f.getConsentPush(), f.getConsentTracking()));
      // a's profile after asOf brings its consent, not its country
      assertEquals(null, f.getCountry(), f.getCustomerId());
    }
    assertEquals(new TreeMap<>(AddProfileTraitsTest.CONSENT_EXPECTED), consent);
  }

  @Test
  void theFoldCountsNothingAfterAsOfButConsent() {
    // An event after asOf alone gives no row (no event before asOf), whatever its consent.
    List<CustomerFeatures> rows = LocalFeatures.compute(
        ComputeCustomerFeatures.create().withAsOf(AddProfileTraitsTest.AS_OF),
        List.of(AddProfileTraitsTest.consent("x", "2024-08-01T00:00:00Z",
            Map.of("email", false))), List.of());
    assertEquals(List.of(), rows);
  }
}
