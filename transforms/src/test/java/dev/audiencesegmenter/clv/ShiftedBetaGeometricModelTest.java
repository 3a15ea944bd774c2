package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The worked example of Fader and Hardie (2007), "How to project customer retention": two
 * cohorts of 1,000 customers over seven years, "regular" and "high end". The paper reports the
 * maximum-likelihood estimates α = 0.704, β = 1.182 (regular) and α = 0.668, β = 3.806 (high
 * end). The DERL values were computed separately from the closed form of Fader and Hardie
 * (2010), {@code (β+n−1)/(α+β+n−1) · 2F1(1, β+n; α+β+n; 1/(1+d))}, by summing its series.
 */
class ShiftedBetaGeometricModelTest {
  static final long[] REGULAR = {1000, 631, 468, 382, 326, 289, 262, 241};
  static final long[] HIGH_END = {1000, 869, 743, 653, 593, 551, 517, 491};

  @Test
  void reproducesThePublishedEstimates() {
    ShiftedBetaGeometricModel regular = ShiftedBetaGeometricModel.fit(REGULAR);
    assertEquals(0.704, regular.alpha(), 0.0005);
    assertEquals(1.182, regular.beta(), 0.0005);
    assertEquals(-1680.27, regular.logLikelihood(), 0.005);
    ShiftedBetaGeometricModel highEnd = ShiftedBetaGeometricModel.fit(HIGH_END);
    assertEquals(0.668, highEnd.alpha(), 0.0005);
    assertEquals(3.806, highEnd.beta(), 0.0005);
    assertEquals(-1611.16, highEnd.logLikelihood(), 0.005);
  }

  @Test
  void oneCohortAsCensoredCountsGivesTheSameFit() {
    // the regular cohort: 369 left at renewal 1, 163 at 2, ...; 241 still there after 7
    long[] cancelled = new long[8];
    for (int t = 1; t < REGULAR.length; t++) {
      cancelled[t] = REGULAR[t - 1] - REGULAR[t];
    }
    long[] active = new long[8];
    active[7] = REGULAR[7];
    ShiftedBetaGeometricModel censored = ShiftedBetaGeometricModel.fitCensored(cancelled,
        active);
    assertEquals(0.704, censored.alpha(), 0.0005);
    assertEquals(1.182, censored.beta(), 0.0005);
    assertEquals(-1680.27, censored.logLikelihood(), 0.005);
    assertEquals("sBG needs at least one cancellation to fit; the data has 5 subscribers and "
        + "none cancelled", assertThrows(ClvFitException.class,
            () -> ShiftedBetaGeometricModel.fitCensored(new long[2], new long[] {0, 5}))
            .getMessage());
  }

  @Test
  void survivalRetentionAndChurnFollowTheModel() {
    ShiftedBetaGeometricModel model = ShiftedBetaGeometricModel.of(0.704, 1.182);
    assertEquals(1.0, model.survival(0), 1e-12);
    // S(1) = β / (α + β); each later S(t) = S(t − 1) · r(t)
    assertEquals(1.182 / 1.886, model.survival(1), 1e-12);
    double s = 1;
    for (int t = 1; t <= 7; t++) {
      s *= (1.182 + t - 1) / (0.704 + 1.182 + t - 1);
      assertEquals(s, model.survival(t), 1e-12, "t=" + t);
    }
    assertEquals(239.0506416932444, 1000 * model.survival(7), 1e-9); // actual: 241
    assertEquals((1.182 + 7) / (0.704 + 1.182 + 7), model.retentionRate(8), 1e-15);
    assertEquals(0.704 / (0.704 + 1.182 + 7), model.churnProbability(8), 1e-15);
    assertEquals(378.04042018209253,
        1000 * ShiftedBetaGeometricModel.of(0.668, 3.806).survival(12), 1e-9);
  }

  @Test
  void discountedExpectedResidualLifetimeMatchesTheClosedForm() {
    ShiftedBetaGeometricModel regular = ShiftedBetaGeometricModel.of(0.704, 1.182);
    assertEquals(2.96466214613203, regular.discountedExpectedResidualLifetime(0, 0.10), 1e-9);
    assertEquals(5.442391322120397, regular.discountedExpectedResidualLifetime(3, 0.10), 1e-9);
    ShiftedBetaGeometricModel highEnd = ShiftedBetaGeometricModel.of(0.668, 3.806);
    assertEquals(5.414856048374037, highEnd.discountedExpectedResidualLifetime(0, 0.10), 1e-9);
    assertEquals(6.62028032318825, highEnd.discountedExpectedResidualLifetime(3, 0.10), 1e-9);
  }

  @Test
  void badInputsAreNamed() {
    assertEquals("sBG counts must not grow or be negative: period 2 has 700 after 631",
        assertThrows(IllegalArgumentException.class, () -> ShiftedBetaGeometricModel.fit(
            new long[] {1000, 631, 700})).getMessage());
    assertEquals("sBG needs the cohort's size and at least one later count, got 1 counts",
        assertThrows(IllegalArgumentException.class,
            () -> ShiftedBetaGeometricModel.fit(new long[] {1000})).getMessage());
    assertEquals("sBG cannot be fitted to a cohort nobody left (50 customers throughout)",
        assertThrows(IllegalArgumentException.class,
            () -> ShiftedBetaGeometricModel.fit(new long[] {50, 50, 50})).getMessage());
    assertEquals("sBG parameters must be positive and finite, got alpha 0.0 and beta 1.0",
        assertThrows(IllegalArgumentException.class,
            () -> ShiftedBetaGeometricModel.of(0, 1)).getMessage());
    assertEquals("the discount rate must be positive (without one the sum need not converge), "
        + "got 0.0", assertThrows(IllegalArgumentException.class,
            () -> ShiftedBetaGeometricModel.of(1, 1).discountedExpectedResidualLifetime(0, 0))
            .getMessage());
  }
}
