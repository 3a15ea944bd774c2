package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class AssignLifecycleStageTest {
  // Defaults: new < 30 days, at risk >= 60 days inactive or p_alive < 0.5, churned >= 180
  // days inactive or p_alive < 0.1, reactivated after a gap of >= 180 days.
  private final AssignLifecycleStage rules = AssignLifecycleStage.create();

  @Test
  void stagesFromGapsAlone() {
    // tenure, days inactive, reactivation gap, p_alive (null: no value models)
    assertEquals("new", rules.stageOf(29, 29L, null, null)); // 29 < 30
    assertEquals("active", rules.stageOf(30, 0L, null, null)); // tenure 30: no longer new
    assertEquals("active", rules.stageOf(400, 59L, null, null));
    assertEquals("at_risk", rules.stageOf(400, 60L, null, null)); // exactly 60: at risk
    assertEquals("at_risk", rules.stageOf(400, 179L, null, null));
    assertEquals("churned", rules.stageOf(400, 180L, null, null)); // exactly 180: churned
    assertEquals("reactivated", rules.stageOf(400, 5L, 180L, null)); // back after 180 days
    assertEquals("active", rules.stageOf(400, 5L, 179L, null)); // a gap one day short
    // Never active themselves (only received messages): inactive since first seen.
    assertEquals("churned", rules.stageOf(200, null, null, null));
    assertEquals("at_risk", rules.stageOf(90, null, null, null));
    assertEquals("new", rules.stageOf(3, null, null, null));
  }

  @Test
  void pAliveMovesCustomersDownWhenTheModelsRan() {
    assertEquals("active", rules.stageOf(400, 5L, null, 0.5)); // 0.5 is not below 0.5
    assertEquals("at_risk", rules.stageOf(400, 5L, null, 0.49));
    assertEquals("churned", rules.stageOf(400, 5L, null, 0.09));
    assertEquals("at_risk", rules.stageOf(400, 5L, null, 0.1)); // 0.1 is not below 0.1
    // A return after a long gap is reactivated even while P(alive) is still low ...
    assertEquals("reactivated", rules.stageOf(400, 5L, 200L, 0.05));
    // ... but new customers stay new, and a long gap is churned, whatever P(alive) says.
    assertEquals("new", rules.stageOf(10, 1L, null, 0.01));
    assertEquals("churned", rules.stageOf(400, 200L, null, 0.99));
  }

  @Test
  void thresholdsAreConfigurable() {
    // SaaS: weeks of inactivity.
    AssignLifecycleStage saas = AssignLifecycleStage.create().withNewDays(14)
        .withInactivityDays(14, 28).withPAliveThresholds(0, 0);
    assertEquals("active", saas.stageOf(20, 13L, null, 0.01)); // P(alive) off
    assertEquals("at_risk", saas.stageOf(20, 14L, null, null));
    assertEquals("churned", saas.stageOf(40, 28L, null, null));
    assertEquals("reactivated", saas.stageOf(40, 2L, 30L, null));
  }

  @Test
  void badThresholdsFailNamingTheValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rules.withInactivityDays(200, 180));
    assertTrue(e.getMessage().contains("200") && e.getMessage().contains("180"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> rules.withNewDays(0));
    assertTrue(e.getMessage().contains("was 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> rules.withPAliveThresholds(0.2, 0.3));
    assertTrue(e.getMessage().contains("0.3") && e.getMessage().contains("0.2"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> rules.withPAliveThresholds(1.5, 0.1));
  }

  static CustomerFeatures row(String id, long tenure, Long inactive, Long gap, Double pAlive) {
    return CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(tenure)
        .setFrequency(0).setMonetaryTotal(new BigDecimal("0.00")).setPurchases30d(0)
        .setPurchases90d(0).setPurchases180d(0).setPurchases365d(0).setEmailOpens90d(0)
        .setEmailClicks90d(0).setSiteVisits30d(0).setSiteVisits90d(0)
        .setCartAbandoned24h(false).setDaysInactive(inactive).setReactivationGapDays(gap)
        .setPAlive(pAlive).build();
  }

  @Test
  void setsTheColumnInAPipeline(TestPipeline p) {
    List<CustomerFeatures> in = List.of(row("a", 10, 1L, null, null),
        row("b", 300, 2L, 200L, null), row("c", 300, 2L, null, 0.3),
        row("d", 300, 250L, null, 0.9), row("e", 300, 3L, null, 0.9));
    PAssert.that(p.apply(Create.of(in)).apply(AssignLifecycleStage.create()))
        .containsInAnyOrder(
            in.get(0).toBuilder().setLifecycleStage("new").build(),
            in.get(1).toBuilder().setLifecycleStage("reactivated").build(),
            in.get(2).toBuilder().setLifecycleStage("at_risk").build(),
            in.get(3).toBuilder().setLifecycleStage("churned").build(),
            in.get(4).toBuilder().setLifecycleStage("active").build());
    p.run().waitUntilFinish();
  }
}
