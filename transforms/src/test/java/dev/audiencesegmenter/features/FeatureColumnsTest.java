package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The feature columns added for issue 5, each on a few hand-made events with the expected
 * figures worked out in comments. asOf is 2024-07-01T00:00Z; a window of N days is
 * [asOf - N days, asOf): an event exactly N days old is in, one a millisecond older is out,
 * and an event at asOf is ignored.
 */
@ExtendWith(TestPipelineExtension.class)
class FeatureColumnsTest {
  static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");
  private static int seq;

  static CustomerEvent event(String source, String type, Instant time, String revenue,
      Map<String, String> props) {
    return CustomerEvent.builder().setSource(source).setSourceRecordId("e" + (seq++))
        .setEventType(type).setEventTime(time).setIdentifiers(Map.of("user_id", "u"))
        .setRevenue(revenue == null ? null : new BigDecimal(revenue)).setProperties(props)
        .build();
  }

  static CustomerEvent event(String type, Instant time) {
    return event("test", type, time, null, Map.of());
  }

  static Instant daysAgo(double days) {
    return AS_OF.minus(Duration.millis(Math.round(days * 86_400_000L)));
  }

  static ComputeCustomerFeatures config() {
    return ComputeCustomerFeatures.create().withAsOf(AS_OF);
  }

  /** What the transform computes for one customer, without a pipeline. */
  static CustomerFeatures compute(ComputeCustomerFeatures config, List<CustomerEvent> events) {
    FeatureSettings settings = config.settings();
    CustomerFeaturesFn fn = new CustomerFeaturesFn(settings);
    FeatureAccumulator a = fn.createAccumulator();
    for (CustomerEvent e : events) {
      if (e.getEventTime().isBefore(AS_OF)) {
        a = fn.addInput(a, e);
      }
    }
    return ComputeCustomerFeatures.toFeatures("c", fn.extractOutput(a), settings);
  }

  // ---- money --------------------------------------------------------------------------

  static List<CustomerEvent> moneyEvents() {
    return List.of(
        event("shop", "purchase", daysAgo(5), "10.00", Map.of("sku", "A-1")),
        event("shop", "purchase", daysAgo(4), "20.01", Map.of("sku", " A-1 ")), // same sku
        event("shop", "purchase", daysAgo(3), null, Map.of()), // no revenue, no sku
        event("shop", "purchase", daysAgo(2), "7.50", Map.of("product_id", "B-2")),
        event("shop", "refund", daysAgo(1), "-3.00", Map.of("sku", "C-3")),
        event("shop", "refund", daysAgo(1), "2.25", Map.of()), // positive: still money back
        event("shop", "refund", daysAgo(1), null, Map.of()), // no amount: nothing
        event("shop", "purchase", AS_OF, "99.00", Map.of("sku", "D-4"))); // at asOf: ignored
  }

  @Test
  void refundsOrderValueAndDistinctProducts() {
    CustomerFeatures f = compute(config(), moneyEvents());
    // Four purchases; gross 10.00 + 20.01 + 7.50 = 37.51 -> 37.51 / 4 = 9.3775 -> 9.38.
    assertEquals(4, f.getFrequency());
    assertEquals(new BigDecimal("9.38"), f.getAverageOrderValue());
    // Refunds 3.00 + 2.25 = 5.25; net 37.51 - 5.25 = 32.26; per purchase 8.065 -> 8.06
    // (half-even).
    assertEquals(new BigDecimal("5.25"), f.getRefundsTotal());
    assertEquals(new BigDecimal("32.26"), f.getMonetaryTotal());
    assertEquals(new BigDecimal("8.06"), f.getMonetaryAvg());
    // A-1 (twice, once padded) and B-2; refunds' skus and the purchase at asOf do not count.
    assertEquals(2, f.getDistinctProducts());
  }

  @Test
  void refundWithoutPurchaseHasNoOrderValue() {
    CustomerFeatures f = compute(config(),
        List.of(event("shop", "refund", daysAgo(1), "3", Map.of())));
    assertEquals(new BigDecimal("3.00"), f.getRefundsTotal());
    assertEquals(new BigDecimal("-3.00"), f.getMonetaryTotal());
    assertNull(f.getAverageOrderValue());
    assertEquals(0, f.getDistinctProducts());
  }

  // ---- email --------------------------------------------------------------------------

  @Test
  void emailSendsAndRatesIn90Days() {
    CustomerFeatures f = compute(config(), List.of(
        event("email_sent", daysAgo(90)), // exactly 90 days: in
        event("email_sent", daysAgo(90).minus(Duration.millis(1))), // just outside
        event("email_sent", daysAgo(10)),
        event("email_sent", daysAgo(5)),
        event("email_sent", AS_OF.minus(Duration.millis(1))), // the last instant: in
        event("email_sent", AS_OF), // at asOf: ignored
        event("email_open", daysAgo(9)),
        event("email_open", daysAgo(4)),
        event("email_open", daysAgo(100)), // outside: not in the rate either
        event("email_click", daysAgo(4))));
    // 4 sends in the window; 2 opens -> 0.5; 1 click -> 0.25.
    assertEquals(4, f.getEmailSent90d());
    assertEquals(2, f.getEmailOpens90d());
    assertEquals(0.5, f.getEmailOpenRate90d());
    assertEquals(0.25, f.getEmailClickRate90d());
  }

  @Test
  void emailRatesAreNullWithoutSendsAndRoundedToFourPlaces() {
    CustomerFeatures none = compute(config(), List.of(event("email_open", daysAgo(1))));
    assertEquals(0, none.getEmailSent90d());
    assertNull(none.getEmailOpenRate90d());
    assertNull(none.getEmailClickRate90d());
    CustomerFeatures third = compute(config(), List.of(event("email_sent", daysAgo(3)),
        event("email_sent", daysAgo(2)), event("email_sent", daysAgo(1)),
        event("email_open", daysAgo(1))));
    assertEquals(0.3333, third.getEmailOpenRate90d()); // 1/3
    assertEquals(0.0, third.getEmailClickRate90d());
  }

  // ---- product usage ------------------------------------------------------------------

  static List<CustomerEvent> usageEvents() {
    return List.of(
        event("web", "page_view", daysAgo(30), null, Map.of()), // exactly 30 days: in
        event("web", "page_view", daysAgo(30).minus(Duration.millis(1)), null, Map.of()),
        event("web", "page_view", daysAgo(1), null, Map.of()),
        event("app", "feature_use", daysAgo(30), null, Map.of("feature", "export")),
        event("app", "feature_use", daysAgo(31), null, Map.of("feature", "dashboard")),
        event("app", "feature_use", daysAgo(1), null, Map.of("feature", "export")),
        event("app", "feature_use", daysAgo(2), null, Map.of("feature", "share")),
        event("app", "feature_use", daysAgo(3), null, Map.of("feature", " ")), // blank
        event("app", "feature_use", daysAgo(4), null, Map.of())); // no feature prop
  }

  @Test
  void pageViewsFeatureUsesAndAdoption() {
    CustomerFeatures f = compute(config().withKeyFeatures(List.of("dashboard", "export",
        "reports")), usageEvents());
    // Page views at 30 days and 1 day; the one a millisecond older is out.
    assertEquals(2, f.getPageViews30d());
    // Uses at 30, 1, 2, 3 and 4 days (blank or missing feature still a use); 31 days is out.
    assertEquals(5, f.getFeatureUses30d());
    // export, dashboard (any time before asOf), share; blank and missing are not features.
    assertEquals(3, f.getDistinctFeaturesUsed());
    // dashboard and export of the three key features: 2/3 -> 0.6667.
    assertEquals(0.6667, f.getFeatureAdoptionRate());
    // Without key features there is no rate.
    assertNull(compute(config(), usageEvents()).getFeatureAdoptionRate());
    // Feature names are case-sensitive labels: "Export" is not "export".
    assertEquals(0.0, compute(config().withKeyFeatures(List.of("Export")), usageEvents())
        .getFeatureAdoptionRate());
  }

  // ---- preferences --------------------------------------------------------------------

  static List<CustomerEvent> preferenceEvents() {
    return List.of(
        event("web", "site_visit", daysAgo(5), null,
            Map.of("device", "iPhone ", "os", "iOS", "category", "Garden")),
        event("web", "page_view", daysAgo(4), null,
            Map.of("device", "iphone", "os", "ios", "category", "garden", "theme", "Eco")),
        event("app", "feature_use", daysAgo(3), null,
            Map.of("device", "desktop", "os", "macos", "feature", "export")),
        event("shop", "purchase", daysAgo(2), "5", Map.of("channel", "APP", "category", "books")),
        event("email", "email_open", daysAgo(1), null, Map.of()),
        // Outbound: says nothing about the customer's channel, device or interests.
        event("email", "email_sent", daysAgo(1), null,
            Map.of("category", "promo", "device", "server", "channel", "email")));
  }

  @Test
  void preferredChannelDeviceOsAndInterests() {
    CustomerFeatures f = compute(config(), preferenceEvents());
    // web: visit + view; app: feature use + purchase (channel prop, any case); email: open.
    // web and app tie at 2: the alphabetically first, app.
    assertEquals("app", f.getPreferredChannel());
    // iphone twice (trimmed, lower-cased), desktop once; ios twice, macos once.
    assertEquals("iphone", f.getPreferredDevice());
    assertEquals("ios", f.getPreferredOs());
    // Interests: garden 2, eco 1 (theme), books 1 -> 4 signals; garden 2/4.
    assertEquals("garden", f.getTopCategory());
    assertEquals(0.5, f.getTopCategoryShare());
    assertEquals("garden:0.5000,books:0.2500,eco:0.2500", f.getCategoryAffinities());
  }

  @Test
  void missingPropsLeavePreferencesNull() {
    CustomerFeatures f = compute(config(), List.of(event("purchase", daysAgo(1)),
        event("email_sent", daysAgo(1))));
    assertNull(f.getPreferredChannel()); // a purchase from source "test" has no channel
    assertNull(f.getPreferredDevice());
    assertNull(f.getPreferredOs());
    assertNull(f.getTopCategory());
    assertNull(f.getTopCategoryShare());
    assertNull(f.getCategoryAffinities());
    assertEquals(0, f.getDistinctProducts());
    assertEquals(0, f.getDistinctFeaturesUsed());
  }

  @Test
  void affinityLabelsCannotBreakTheList() {
    CustomerFeatures f = compute(config(), List.of(
        event("web", "page_view", daysAgo(1), null, Map.of("category", "a,b:c"))));
    assertEquals("a,b:c", f.getTopCategory());
    assertEquals("a_b_c:1.0000", f.getCategoryAffinities());
  }

  // ---- engagement ---------------------------------------------------------------------

  @Test
  void engagementScoreDecaysWithTheHalfLife() {
    ComputeCustomerFeatures config = config()
        .withEngagementWeights(Map.of("purchase", 4.0, "email_open", 1.0))
        .withEngagementHalfLife(Duration.standardDays(10));
    CustomerFeatures f = compute(config, List.of(
        event("purchase", daysAgo(10)), // 4 * 0.5 = 2
        event("email_open", daysAgo(20)), // 1 * 0.25
        event("email_open", daysAgo(30)), // 1 * 0.125
        event("page_view", daysAgo(1)), // no weight
        event("email_open", AS_OF))); // at asOf: ignored
    assertEquals(2.375, f.getEngagementScore());
    // With the default weights a purchase right before asOf is worth 5.
    assertEquals(5.0, compute(config(), List.of(event("purchase",
        AS_OF.minus(Duration.millis(1))))).getEngagementScore());
    // No events with weight: 0.
    assertEquals(0.0, compute(config, List.of(event("page_view", daysAgo(1))))
        .getEngagementScore());
  }

  // ---- cart ---------------------------------------------------------------------------

  @Test
  void cartAbandonmentWindowIsConfigurable() {
    List<CustomerEvent> fiftyHoursAgo = List.of(
        event("cart_add", AS_OF.minus(Duration.standardHours(50))));
    assertFalse(compute(config(), fiftyHoursAgo).getCartAbandoned24h()); // default 24 h
    ComputeCustomerFeatures threeDays = config()
        .withCartAbandonmentWindow(Duration.standardHours(72));
    assertTrue(compute(threeDays, fiftyHoursAgo).getCartAbandoned24h());
    // Bought an hour later: converted.
    assertFalse(compute(threeDays, List.of(
        event("checkout_start", AS_OF.minus(Duration.standardHours(50))),
        event("purchase", AS_OF.minus(Duration.standardHours(49))))).getCartAbandoned24h());
    // A purchase at the same instant as the cart activity converts it ("at or after").
    assertFalse(compute(config(), List.of(event("cart_add", daysAgo(0.5)),
        event("purchase", daysAgo(0.5)))).getCartAbandoned24h());
    // The window's edge: exactly 24 hours old is in, a millisecond older is out.
    assertTrue(compute(config(), List.of(event("cart_add", daysAgo(1))))
        .getCartAbandoned24h());
    assertFalse(compute(config(), List.of(event("cart_add",
        daysAgo(1).minus(Duration.millis(1))))).getCartAbandoned24h());
  }

  // ---- activity gaps ------------------------------------------------------------------

  @Test
  void activityGapsForLifecycle() {
    // Active 200 and 10 days ago: 10 days inactive; back inside the 30-day window after
    // 190 days away.
    CustomerFeatures back = compute(config(), List.of(event("site_visit", daysAgo(200)),
        event("site_visit", daysAgo(10)), event("email_sent", daysAgo(1))));
    assertEquals(10L, back.getDaysInactive()); // the email sent a day ago is not activity
    assertEquals(190L, back.getReactivationGapDays());
    // Exactly 30 days ago is inside the window; 31 days ago before it: a gap of 1 day.
    CustomerFeatures edge = compute(config(), List.of(event("site_visit", daysAgo(31)),
        event("site_visit", daysAgo(30))));
    assertEquals(1L, edge.getReactivationGapDays());
    assertEquals(30L, edge.getDaysInactive());
    // Nothing in the window: no return to measure.
    assertNull(compute(config(), List.of(event("site_visit", daysAgo(31))))
        .getReactivationGapDays());
    // Only messages received: never active.
    CustomerFeatures passive = compute(config(), List.of(event("email_sent", daysAgo(3))));
    assertNull(passive.getDaysInactive());
    assertNull(passive.getReactivationGapDays());
    // An outbound message inside the window is not a return.
    assertNull(compute(config(), List.of(event("site_visit", daysAgo(200)),
        event("email_sent", daysAgo(5)))).getReactivationGapDays());
    // A longer window (90 days) sees the return at 10 days after 190.
    assertEquals(190L, compute(config().withReactivationWindow(Duration.standardDays(90)),
        List.of(event("site_visit", daysAgo(200)), event("site_visit", daysAgo(10))))
        .getReactivationGapDays());
  }

  // ---- merge order and the pipeline ---------------------------------------------------

  static List<CustomerEvent> allEvents() {
    List<CustomerEvent> all = new ArrayList<>();
    all.addAll(moneyEvents());
    all.addAll(usageEvents());
    all.addAll(preferenceEvents());
    all.add(event("cart_add", daysAgo(0.5)));
    all.add(event("site_visit", daysAgo(200)));
    all.add(event("email_sent", daysAgo(6)));
    return all;
  }

  @Test
  void everyMergeOrderGivesTheSameResult() throws Exception {
    ComputeCustomerFeatures config = config().withKeyFeatures(List.of("export", "dashboard"));
    CustomerFeaturesFn fn = new CustomerFeaturesFn(config.settings());
    List<CustomerEvent> events = new ArrayList<>();
    for (CustomerEvent e : allEvents()) {
      if (e.getEventTime().isBefore(AS_OF)) {
        events.add(e);
      }
    }
    FeatureAccumulator whole = fn.createAccumulator();
    for (CustomerEvent e : events) {
      whole = fn.addInput(whole, e);
    }
    String reference = encoded(whole);
    CustomerFeatures expected = ComputeCustomerFeatures.toFeatures("c", whole, config.settings());
    Random random = new Random(11);
    for (int trial = 0; trial < 50; trial++) {
      List<CustomerEvent> shuffled = new ArrayList<>(events);
      Collections.shuffle(shuffled, random);
      // Split into 1 to 5 parts, fold each, merge in a random order and nesting.
      int parts = 1 + random.nextInt(5);
      List<FeatureAccumulator> accumulators = new ArrayList<>();
      for (int i = 0; i < parts; i++) {
        accumulators.add(fn.createAccumulator());
      }
      for (CustomerEvent e : shuffled) {
        int i = random.nextInt(parts);
        accumulators.set(i, fn.addInput(accumulators.get(i), e));
      }
      Collections.shuffle(accumulators, random);
      FeatureAccumulator merged = accumulators.size() > 2
          ? fn.mergeAccumulators(List.of(fn.mergeAccumulators(accumulators.subList(0, 2)),
              fn.mergeAccumulators(accumulators.subList(2, accumulators.size()))))
          : fn.mergeAccumulators(accumulators);
      assertEquals(reference, encoded(merged), "trial " + trial);
      assertEquals(expected, ComputeCustomerFeatures.toFeatures("c",
          fn.extractOutput(merged), config.settings()), "trial " + trial);
    }
  }

  @Test
  void pipelineMatchesTheDirectComputation(TestPipeline p) {
    ComputeCustomerFeatures config = config().withKeyFeatures(List.of("export", "dashboard"))
        .withCartAbandonmentWindow(Duration.standardHours(48));
    List<KV<String, CustomerEvent>> keyed = new ArrayList<>();
    Map<String, List<CustomerEvent>> byCustomer = new HashMap<>();
    byCustomer.put("money", moneyEvents());
    byCustomer.put("usage", usageEvents());
    byCustomer.put("prefs", preferenceEvents());
    byCustomer.put("all", allEvents());
    List<CustomerFeatures> expected = new ArrayList<>();
    byCustomer.forEach((customer, events) -> {
      events.forEach(e -> keyed.add(KV.of(customer, e)));
      expected.add(compute(config, events).toBuilder().setCustomerId(customer).build());
    });
    PAssert.that(p.apply(Create.of(keyed)).apply(config)).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  private static String encoded(FeatureAccumulator a) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new FeatureAccumulator.Coder().encode(a, out);
    return java.util.Arrays.toString(out.toByteArray());
  }
}
