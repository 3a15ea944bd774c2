package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class AssignSegmentsTest {
  static final String YAML = "groups:\n"
      + "  - name: lifecycle\n"
      + "    exclusive: true\n"
      + "    segments:\n"
      + "      - name: loyal\n"
      + "        when: purchases_180d >= 3\n"
      + "      - name: lapsed\n"
      + "        when: frequency > 0 && recency_days >= 90\n"
      + "      - name: never_bought\n"
      + "        when: recency_days == null\n"
      + "  - name: triggers\n"
      + "    exclusive: false\n"
      + "    segments:\n"
      + "      - name: readers\n"
      + "        when: email_opens_90d >= 5\n"
      + "      - name: big_spenders\n"
      + "        when: monetary_total > 100.0\n"
      + "      - name: nobody\n"
      + "        when: tenure_days < 0\n";

  static CustomerFeatures customer(String id, long purchases180, long frequency, Long recency,
      String total, long opens) {
    return CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
        .setRecencyDays(recency).setFrequency(frequency).setMonetaryTotal(new BigDecimal(total))
        .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0)
        .setPurchases180d(purchases180).setPurchases365d(frequency).setEmailOpens90d(opens)
        .setEmailClicks90d(0).setSiteVisits30d(0).setSiteVisits90d(0)
        .setCartAbandoned24h(false).build();
  }

  @Test
  void exclusiveGroupsTakeTheFirstMatchAndOverlappingGroupsTakeAll(TestPipeline p) {
    List<CustomerFeatures> customers = List.of(
        // a: loyal (3 in 180 days) and also lapsed-shaped? recency 10: no. Reader, big spender.
        customer("a", 3, 5, 10L, "250.00", 6),
        // b: both loyal and lapsed conditions hold: exclusive group keeps the first, loyal.
        customer("b", 4, 9, 120L, "80.00", 0),
        // c: lapsed only.
        customer("c", 0, 1, 200L, "20.00", 5),
        // d: never bought (recency null): "lapsed" errors on null and is false.
        customer("d", 0, 0, null, "0.00", 0));
    AssignSegments.Result r = p.apply(Create.of(customers))
        .apply(AssignSegments.of(SegmentDefinitions.parse(YAML, "t.yaml")));
    PAssert.that(r.getMemberships()).containsInAnyOrder(
        SegmentMembership.create("a", "loyal", "lifecycle", false),
        SegmentMembership.create("a", "readers", "triggers", false),
        SegmentMembership.create("a", "big_spenders", "triggers", false),
        SegmentMembership.create("b", "loyal", "lifecycle", false),
        SegmentMembership.create("c", "lapsed", "lifecycle", false),
        SegmentMembership.create("c", "readers", "triggers", false),
        SegmentMembership.create("d", "never_bought", "lifecycle", false));
    p.run().waitUntilFinish();
  }

  /** The documented holdout rule, computed here independently. */
  static boolean expectedHoldout(String customer, String segment, String salt, int percent)
      throws Exception {
    byte[] h = MessageDigest.getInstance("SHA-256")
        .digest((customer + "|" + segment + "|" + salt).getBytes(StandardCharsets.UTF_8));
    java.math.BigInteger first8 = new java.math.BigInteger(1, java.util.Arrays.copyOf(h, 8));
    return first8.mod(java.math.BigInteger.valueOf(10_000)).longValue() < percent * 100L;
  }

  @Test
  void holdoutsAreStableDrawsOfTheConfiguredShare(TestPipeline p) throws Exception {
    String yaml = "salt: spring\ngroups:\n  - name: all\n    segments:\n"
        + "      - name: everyone\n        when: 'true'\n        holdout_percent: 50\n";
    List<CustomerFeatures> customers = new ArrayList<>();
    long expected = 0;
    for (int i = 0; i < 1000; i++) {
      customers.add(customer("c" + i, 0, 0, null, "0.00", 0));
      if (expectedHoldout("c" + i, "everyone", "spring", 50)) {
        expected++;
      }
    }
    assertTrue(expected > 400 && expected < 600, "a fair draw: " + expected);
    AssignSegments.Result r = p.apply(Create.of(customers))
        .apply(AssignSegments.of(SegmentDefinitions.parse(yaml, "t.yaml")));
    PAssert.that(r.getMemberships().apply(Filter.by(SegmentMembership::getHoldout))
            .apply(Count.globally()))
        .containsInAnyOrder(expected);
    p.run().waitUntilFinish();
    assertEquals(expectedHoldout("c7", "everyone", "spring", 50),
        Holdouts.inHoldout("c7", "everyone", "spring", 50));
  }
}
