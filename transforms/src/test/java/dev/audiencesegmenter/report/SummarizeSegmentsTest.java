package dev.audiencesegmenter.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Exact figures on six hand-built customers. The features are plain Rows with a few of the
 * columns the features work adds (consent_email, preferred_channel, lifecycle_stage): the
 * summary finds columns by name, so it needs no CustomerFeatures class.
 */
@ExtendWith(TestPipelineExtension.class)
class SummarizeSegmentsTest {
  static final Schema SCHEMA = Schema.builder()
      .addStringField("customer_id")
      .addDecimalField("monetary_total")
      .addInt64Field("frequency")
      .addNullableField("predicted_clv_365d", Schema.FieldType.DOUBLE)
      .addNullableField("churn_risk", Schema.FieldType.DOUBLE)
      .addBooleanField("consent_email")
      .addNullableField("preferred_channel", Schema.FieldType.STRING)
      .addNullableField("lifecycle_stage", Schema.FieldType.STRING)
      .build();

  static final String YAML = "groups:\n"
      + "  - name: value\n"
      + "    exclusive: true\n"
      + "    segments:\n"
      + "      - name: vip\n"
      + "        when: 'true'\n"
      + "        min_size: 3\n"
      + "        min_revenue: 300\n"
      + "        fit: 8\n"
      + "        strategic_value: 9\n"
      + "        activation:\n"
      + "          channels: [email]\n"
      + "          message_theme: Thank you\n"
      + "          offer: Early access\n"
      + "          kpi: Repeat rate\n"
      + "          owner: CRM\n"
      + "      - name: lapsing\n"
      + "        when: 'true'\n";

  static Row customer(String id, String spend, long frequency, Double clv, Double churn,
      boolean consent, String channel, String stage) {
    return Row.withSchema(SCHEMA).addValues(id, new BigDecimal(spend), frequency, clv, churn,
        consent, channel, stage).build();
  }

  static List<Row> customers() {
    return List.of(
        customer("a", "100", 4, 50.0, 0.1, true, "email", "active"),
        customer("b", "200", 6, 70.0, 0.2, true, "email", "active"),
        customer("c", "60", 2, 30.0, 0.3, false, "sms", "active"),
        customer("d", "10", 1, 5.0, 0.8, true, "email", "at_risk"),
        customer("e", "0", 0, null, null, false, null, "new"),
        customer("f", "30", 1, 10.0, 0.6, false, "sms", "at_risk"));
  }

  static List<SegmentMembership> current() {
    return List.of(
        SegmentMembership.create("a", "vip", "value", false),
        SegmentMembership.create("b", "vip", "value", false),
        SegmentMembership.create("c", "vip", "value", true),
        SegmentMembership.create("d", "lapsing", "value", false),
        SegmentMembership.create("f", "lapsing", "value", false));
  }

  static List<SegmentMembership> previous() {
    return List.of(
        SegmentMembership.create("a", "vip", "value", false),
        SegmentMembership.create("e", "vip", "value", true),
        SegmentMembership.create("b", "lapsing", "value", false),
        SegmentMembership.create("d", "lapsing", "value", false));
  }

  static SummarizeSegments.Result summarize(TestPipeline p) {
    PCollection<Row> features = p.apply("Features", Create.of(customers()).withRowSchema(SCHEMA));
    PCollection<SegmentMembership> members = p.apply("Members", Create.of(current()));
    return SummarizeSegments.inputs(features, members)
        .and(SummarizeSegments.PREVIOUS_MEMBERSHIPS, p.apply("Previous", Create.of(previous())))
        .and(SummarizeSegments.CONVERTED_CUSTOMERS, p.apply("Converted", Create.of("a", "d")))
        .apply(SummarizeSegments.<Row>of(SegmentDefinitions.parse(YAML, "t.yaml"))
            .withValidation(new SegmentValidation(10, 0.5, 0.5, 0.5)));
  }

  @Test
  void summaryFiguresFlagsAndScoresAreExact(TestPipeline p) {
    SummarizeSegments.Result result = summarize(p);
    PAssert.that(result.getSummaries()).satisfies(rows -> {
      Map<String, SegmentProfile> by = new HashMap<>();
      rows.forEach(r -> by.put(r.getSegment(), r));
      SegmentProfile vip = by.get("vip");
      // 3 of 6 customers; revenue 100 + 200 + 60 = 360 of 400 in all.
      assertEquals(3, vip.getSize());
      assertEquals(1, vip.getHoldoutSize());
      assertEquals(0.5, vip.getShare());
      assertEquals(new BigDecimal("360.00"), vip.getRevenue());
      assertEquals(0.9, vip.getRevenueShare());
      // CLV 50, 70, 30: mean 50, median 50; churn 0.1, 0.2, 0.3: mean 0.2.
      assertEquals(50.0, vip.getMeanClv());
      assertEquals(50.0, vip.getMedianClv());
      assertEquals(0.2, vip.getMeanChurnRisk());
      // Plan channel email: a and b consented, c not: 2 / 3.
      assertEquals(0.6667, vip.getReachableShare());
      // Rest = d, e, f (e has no CLV or churn risk, so those columns have 2 values there).
      // churn_risk: 0.2 (var 0.01) vs 0.7 (var 0.02): d = -0.5 / sqrt(0.015) = -4.0825.
      // CLV: 50 (var 400) vs 7.5 (var 12.5): 42.5 / sqrt(206.25) = 2.9593, lift 6.6667.
      // frequency: 4 (var 4) vs 2/3 (var 1/3): (10/3) / sqrt(13/6) = 2.2646, lift 6.
      // monetary_total: 120 (var 5200) vs 13.3333 (var 233.333): 106.667 / 52.1217 = 2.0465,
      //   lift 9.
      // lifecycle_stage=active: share 1 vs 0, no variance on either side: it separates the
      //   segment completely, SMD unbounded (null), ranked first; lift undefined (rest 0).
      // lifecycle_stage=at_risk (share 0 vs 2/3: -(2/3) / sqrt((0 + 2/9) / 2) = -2) is 6th.
      assertEquals(List.of(
          SegmentTrait.create("lifecycle_stage=active", 1.0, 0.0, null, null),
          SegmentTrait.create("churn_risk", 0.2, 0.7, 0.2857, -4.0825),
          SegmentTrait.create("predicted_clv_365d", 50.0, 7.5, 6.6667, 2.9593),
          SegmentTrait.create("frequency", 4.0, 0.6667, 6.0, 2.2646),
          SegmentTrait.create("monetary_total", 120.0, 13.3333, 9.0, 2.0465)),
          vip.getTopTraits());
      assertTrue(vip.getMeasurable());
      assertTrue(vip.getSubstantial(), "3 >= min_size 3 and 360 >= min_revenue 300");
      assertEquals(true, vip.getAccessible(), "0.6667 >= 0.5");
      assertTrue(vip.getDifferentiable(), "|SMD| 4.08 >= 0.5");
      assertTrue(vip.getActionable());
      // Now a, b, c; before a, e: entered b, c; exited e; stayed a: 3 / (2 + 3) = 0.6 > 0.5.
      assertEquals(2L, vip.getEntered());
      assertEquals(1L, vip.getExited());
      assertEquals(0.6, vip.getMembershipChurn());
      assertEquals(false, vip.getStable());
      // Largest size and value of the group: 1 + 9 × (1 + 1) / 2 = 10.
      assertEquals(10, vip.getAttractiveness());
      // 1 + 9 × 0.6667 = 7.0003 -> 7.
      assertEquals(7, vip.getAccessibility());
      assertEquals(8, vip.getFit());
      assertEquals(9, vip.getStrategicValue());
      assertEquals(34, vip.getPriorityScore());
      assertEquals("primary", vip.getPriorityTier());
      assertEquals("email", vip.getPreferredChannel());
      assertEquals(Map.of("active", 3L), vip.getLifecycleMix());
      assertEquals(List.of("group 'value' has 2 segments; 3 to 7 per group are recommended",
          "60.0 % of membership changed since the previous run"), vip.getWarnings());

      SegmentProfile lapsing = by.get("lapsing");
      assertEquals(2, lapsing.getSize());
      // CLV 5 and 10: median 7.5 (the mean of the middle two).
      assertEquals(7.5, lapsing.getMedianClv());
      // 2 < the default minimum 10: not substantial; no plan: not actionable.
      assertEquals(false, lapsing.getSubstantial());
      assertEquals(false, lapsing.getActionable());
      // No planned channel: every consent column; d consented, f not: 0.5, accessible.
      assertEquals(0.5, lapsing.getReachableShare());
      assertEquals(true, lapsing.getAccessible());
      // Size 2/3 of vip's, value 7.5/50: 1 + 9 × (0.6667 + 0.15) / 2 = 4.675 -> 5.
      assertEquals(5, lapsing.getAttractiveness());
      // 1 + 9 × 0.5 = 5.5 -> 6 (half up); fit and strategic value default to 5.
      assertEquals(6, lapsing.getAccessibility());
      assertEquals(21, lapsing.getPriorityScore());
      assertEquals("secondary", lapsing.getPriorityTier());
      // Now d, f; before b, d: one in, one out, one stayed: 2 / (2 + 2) = 0.5, stable.
      assertEquals(0.5, lapsing.getMembershipChurn());
      assertEquals(true, lapsing.getStable());
      assertTrue(lapsing.getWarnings().contains("size 2 is below the minimum of 10 (default)"),
          lapsing.getWarnings().toString());
      assertTrue(lapsing.getWarnings().contains(
          "activation plan lacks channels, message_theme, offer, kpi, owner"));
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void transitionMatrixCountsEachCustomerOncePerGroup(TestPipeline p) {
    SummarizeSegments.Result result = summarize(p);
    // a vip->vip, b lapsing->vip, c (none)->vip, d lapsing->lapsing, e vip->(none),
    // f (none)->lapsing.
    PAssert.that(result.getTransitions()).containsInAnyOrder(
        SegmentTransition.create("value", "vip", "vip", 1),
        SegmentTransition.create("value", "lapsing", "vip", 1),
        SegmentTransition.create("value", "(none)", "vip", 1),
        SegmentTransition.create("value", "lapsing", "lapsing", 1),
        SegmentTransition.create("value", "vip", "(none)", 1),
        SegmentTransition.create("value", "(none)", "lapsing", 1));
    p.run().waitUntilFinish();
  }

  @Test
  void responseComparesTreatmentWithHoldout(TestPipeline p) {
    SummarizeSegments.Result result = summarize(p);
    // Previous vip: a treated (converted), e holdout (did not). Pooled p = 1/2,
    // z = (1 − 0) / sqrt(0.25 × (1 + 1)) = 1.414214, p = 2 (1 − Φ(1.414214)) = 0.157299.
    // Previous lapsing: b and d treated, d converted; no holdout: no test.
    PAssert.that(result.getResponses()).containsInAnyOrder(
        SegmentResponse.of("vip", "value", 1, 1, 1, 0),
        SegmentResponse.of("lapsing", "value", 2, 1, 0, 0));
    PAssert.that(result.getResponses()).satisfies(rows -> {
      for (SegmentResponse r : rows) {
        if (r.getSegment().equals("vip")) {
          assertEquals(1.414214, r.getZ());
          assertEquals(0.157299, r.getTwoSidedPValue());
          assertEquals(1.0, r.getUplift());
          assertNull(r.getLift(), "holdout rate 0: no relative lift");
        } else {
          assertEquals(0.5, r.getTreatmentRate());
          assertNull(r.getZ());
        }
      }
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void twoProportionZTestByHand() {
    // 120 / 1000 against 6 / 100: pooled p = 126 / 1100 = 0.114545;
    // var = 0.114545 × 0.885455 × (1/1000 + 1/100) = 0.00111567, se = 0.0334016;
    // z = 0.06 / 0.0334016 = 1.796316; p = erfc(1.796316 / sqrt 2) = 0.072444.
    TwoProportionZTest t = TwoProportionZTest.of(120, 1000, 6, 100);
    assertEquals(1.796316, t.z(), 1e-6);
    assertEquals(0.072444, t.pValue(), 1e-6);
    assertNull(TwoProportionZTest.of(0, 10, 0, 10), "nobody converted: no variance");
    assertNull(TwoProportionZTest.of(1, 10, 0, 0), "empty holdout");
  }

  @Test
  void clvMedianIsExactThenWithinHalfAPercent() {
    ClvMedian small = new ClvMedian();
    ClvMedian other = new ClvMedian();
    for (int i = 1; i <= 5; i++) {
      small.add(i);
    }
    other.add(100);
    small.merge(other);
    // 1, 2, 3, 4, 5, 100: (3 + 4) / 2.
    assertEquals(3.5, small.median());
    ClvMedian big = new ClvMedian();
    List<ClvMedian> parts = new ArrayList<>();
    for (int part = 0; part < 3; part++) {
      ClvMedian m = new ClvMedian();
      for (int i = part; i < 30_001; i += 3) {
        m.add(i);
      }
      parts.add(m);
    }
    parts.forEach(big::merge);
    // 0 .. 30000: the exact median is 15000; buckets 1 % wide put it within 0.5 %.
    assertEquals(15000, big.median(), 15000 * 0.005);
  }
}
