package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class ComputeCustomerFeaturesTest {
  static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");
  private static int seq;

  static KV<String, CustomerEvent> event(String customer, String type, String time,
      String revenue) {
    return KV.of(customer, CustomerEvent.builder().setSource("test")
        .setSourceRecordId("e" + (seq++)).setEventType(type).setEventTime(Instant.parse(time))
        .setIdentifiers(Map.of("user_id", customer))
        .setRevenue(revenue == null ? null : new BigDecimal(revenue)).build());
  }

  /** Hand-built events; the expected figures are worked out in {@link #expected()}. */
  static List<KV<String, CustomerEvent>> events() {
    return List.of(
        event("c1", "purchase", "2024-06-30T12:00:00Z", "10.00"),
        event("c1", "purchase", "2024-06-01T00:00:00Z", "20.50"), // exactly asOf - 30 days
        event("c1", "purchase", "2024-05-31T23:59:59Z", "5"),
        event("c1", "purchase", "2024-01-01T00:00:00Z", "100"), // 182 days before asOf
        event("c1", "refund", "2024-06-15T00:00:00Z", "-20.50"),
        event("c1", "refund", "2024-06-16T00:00:00Z", "5"), // positive refund: still money back
        event("c1", "purchase", "2024-07-01T00:00:00Z", "999"), // at asOf: ignored
        event("c1", "email_open", "2024-04-02T00:00:00Z", null), // exactly asOf - 90 days
        event("c1", "email_open", "2024-04-01T23:00:00Z", null), // just outside 90 days
        event("c1", "email_click", "2024-06-20T00:00:00Z", null),
        event("c1", "site_visit", "2024-06-10T00:00:00Z", null),
        event("c1", "site_visit", "2024-05-01T00:00:00Z", null),
        event("c2", "site_visit", "2024-03-01T00:00:00Z", null),
        event("c2", "cart_add", "2024-06-30T06:00:00Z", null),
        event("c3", "checkout_start", "2024-06-29T23:00:00Z", null),
        event("c3", "cart_add", "2024-06-30T06:00:00Z", null),
        event("c3", "purchase", "2024-06-30T07:00:00Z", "1"),
        event("c4", "cart_add", "2024-06-29T23:00:00Z", null),
        event("c5", "purchase", "2024-07-02T00:00:00Z", "3"));
  }

  static List<CustomerFeatures> expected() {
    CustomerFeatures.Builder zero = CustomerFeatures.builder().setFrequency(0)
        .setMonetaryTotal(new BigDecimal("0.00")).setPurchases30d(0).setPurchases90d(0)
        .setPurchases180d(0).setPurchases365d(0).setEmailOpens90d(0).setEmailClicks90d(0)
        .setSiteVisits30d(0).setSiteVisits90d(0).setCartAbandoned24h(false);
    return List.of(
        // c1: first seen Jan 1 = 182 days before Jul 1 (31+29+31+30+31+30); last purchase
        // Jun 30 12:00, half a day ago -> recency 0. Four purchases 10 + 20.50 + 5 + 100,
        // refunds 20.50 and 5 -> 110.00 net, 27.50 average. In 30 days: Jun 30 and Jun 1;
        // 90 days adds May 31; 180 days starts Jan 3 so stays 3; 365 days has all 4.
        zero.setCustomerId("c1").setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
            .setLastSeen(Instant.parse("2024-06-30T12:00:00Z")).setTenureDays(182)
            .setRecencyDays(0L).setFrequency(4).setMonetaryTotal(new BigDecimal("110.00"))
            .setMonetaryAvg(new BigDecimal("27.50")).setPurchases30d(2).setPurchases90d(3)
            .setPurchases180d(3).setPurchases365d(4).setEmailOpens90d(1).setEmailClicks90d(1)
            .setSiteVisits30d(1).setSiteVisits90d(2)
            // Refunds 20.50 + 5 (sign ignored); gross 135.50 over 4 purchases = 33.875 -> 33.88
            // (half-even, 7 is odd). Email: 2 opens + 1 click, web: 2 visits -> email. Last
            // activity Jun 30 12:00 -> 0 days. Reactivation window [Jun 1, Jul 1): first in it
            // Jun 1 00:00 (on the boundary: inside), last before it May 31 23:59:59 -> 0 days.
            .setRefundsTotal(new BigDecimal("25.50")).setAverageOrderValue(new BigDecimal("33.88"))
            .setPreferredChannel("email").setDaysInactive(0L).setReactivationGapDays(0L).build(),
        // c2: Mar 1 -> Jul 1 is 31+30+31+30 = 122 days, so its one visit is outside 90 days;
        // cart add 18 h ago, never bought -> abandoned.
        zero.setCustomerId("c2").setFirstSeen(Instant.parse("2024-03-01T00:00:00Z"))
            .setLastSeen(Instant.parse("2024-06-30T06:00:00Z")).setTenureDays(122)
            .setRecencyDays(null).setFrequency(0).setMonetaryTotal(new BigDecimal("0.00"))
            .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0).setPurchases180d(0)
            .setPurchases365d(0).setEmailOpens90d(0).setEmailClicks90d(0).setSiteVisits30d(0)
            .setSiteVisits90d(0).setCartAbandoned24h(true)
            // One site visit -> web (the cart add from source "test" has no channel). Back on
            // Jun 30 06:00 after Mar 1: 121 days and 6 hours -> 121.
            .setPreferredChannel("web").setDaysInactive(0L).setReactivationGapDays(121L)
            .setRefundsTotal(new BigDecimal("0.00")).setAverageOrderValue(null).build(),
        // c3: bought an hour after the cart add -> not abandoned; first seen 25 h ago -> 1.
        zero.setCustomerId("c3").setFirstSeen(Instant.parse("2024-06-29T23:00:00Z"))
            .setLastSeen(Instant.parse("2024-06-30T07:00:00Z")).setTenureDays(1)
            .setRecencyDays(0L).setFrequency(1).setMonetaryTotal(new BigDecimal("1.00"))
            .setMonetaryAvg(new BigDecimal("1.00")).setPurchases30d(1).setPurchases90d(1)
            .setPurchases180d(1).setPurchases365d(1).setSiteVisits90d(0)
            .setCartAbandoned24h(false)
            // No channel on any event; all activity inside the window: no gap.
            .setAverageOrderValue(new BigDecimal("1.00")).setPreferredChannel(null)
            .setDaysInactive(0L).setReactivationGapDays(null).build(),
        // c4: the cart add is 25 hours old: outside the 24-hour window.
        zero.setCustomerId("c4").setFirstSeen(Instant.parse("2024-06-29T23:00:00Z"))
            .setLastSeen(Instant.parse("2024-06-29T23:00:00Z")).setTenureDays(1)
            .setRecencyDays(null).setFrequency(0).setMonetaryTotal(new BigDecimal("0.00"))
            .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0).setPurchases180d(0)
            .setPurchases365d(0).setCartAbandoned24h(false)
            .setAverageOrderValue(null).setDaysInactive(1L).build());
    // (The builder is shared: each row sets every column an earlier row changed.)
    // c5 has only an event after asOf: no row.
  }

  @Test
  void computesHandCheckedFeatures(TestPipeline p) {
    // No engagement weights: the score is tested on its own (EngagementScoreTest).
    PAssert.that(p.apply(Create.of(events())).apply(
            ComputeCustomerFeatures.create().withAsOf(AS_OF).withEngagementWeights(Map.of())))
        .containsInAnyOrder(expected());
    p.run().waitUntilFinish();
  }

  @Test
  void mergeOrderDoesNotChangeTheResult() throws Exception {
    CustomerFeaturesFn fn = new CustomerFeaturesFn(
        ComputeCustomerFeatures.create().withAsOf(AS_OF).settings());
    List<CustomerEvent> c1 = new ArrayList<>();
    for (KV<String, CustomerEvent> e : events()) {
      if (e.getKey().equals("c1") && e.getValue().getEventTime().isBefore(AS_OF)) {
        c1.add(e.getValue());
      }
    }
    byte[] reference = encode(fn.extractOutput(addAll(fn, c1)));
    Random random = new Random(3);
    for (int trial = 0; trial < 20; trial++) {
      List<CustomerEvent> shuffled = new ArrayList<>(c1);
      Collections.shuffle(shuffled, random);
      List<FeatureAccumulator> parts = new ArrayList<>();
      int cut = 1 + random.nextInt(shuffled.size() - 1);
      parts.add(addAll(fn, shuffled.subList(0, cut)));
      parts.add(addAll(fn, shuffled.subList(cut, shuffled.size())));
      parts.add(fn.createAccumulator());
      Collections.shuffle(parts, random);
      assertEquals(java.util.Arrays.toString(reference),
          java.util.Arrays.toString(encode(fn.mergeAccumulators(parts))));
    }
  }

  @Test
  void accumulatorCoderRoundTrips() throws Exception {
    CustomerFeaturesFn fn = new CustomerFeaturesFn(
        ComputeCustomerFeatures.create().withAsOf(AS_OF).settings());
    List<CustomerEvent> all = new ArrayList<>();
    events().forEach(e -> all.add(e.getValue()));
    FeatureAccumulator a = addAll(fn, all);
    byte[] bytes = encode(a);
    FeatureAccumulator back = new FeatureAccumulator.Coder().decode(
        new ByteArrayInputStream(bytes));
    assertEquals(java.util.Arrays.toString(bytes), java.util.Arrays.toString(encode(back)));
    assertEquals(a.monetary, back.monetary);
    assertEquals(a.firstSeen, back.firstSeen);
  }

  @Test
  void asOfIsRequired(TestPipeline p) {
    assertThrows(IllegalArgumentException.class,
        () -> ComputeCustomerFeatures.create().withAsOf(null));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> p.apply(Create.of(events())).apply(ComputeCustomerFeatures.create()));
    assertEquals(true, e.getMessage().contains("withAsOf"));
    p.enableAbandonedNodeEnforcement(false);
  }

  private static FeatureAccumulator addAll(CustomerFeaturesFn fn, List<CustomerEvent> events) {
    FeatureAccumulator a = fn.createAccumulator();
    for (CustomerEvent e : events) {
      a = fn.addInput(a, e);
    }
    return a;
  }

  private static byte[] encode(FeatureAccumulator a) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FeatureAccumulator.Coder().encode(a, out);
    return out.toByteArray();
  }
}
