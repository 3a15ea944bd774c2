package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.distribution.GammaDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-customer predictions checked against the model's definition, integrated numerically
 * over the purchase rate λ ~ Gamma(r, α) and the dropout probability p ~ Beta(a, b):
 * P(alive | x, t_x, T) and E[purchases in t | x, t_x, T], with E[Y(t) | λ, p, alive] =
 * (1 - exp(-λ p t)) / p.
 */
class BgNbdModelTest {
  private static final BgNbdModel MODEL = new BgNbdModel(2.0, 3.0, 2.5, 4.0);

  /** {alive likelihood, full likelihood, expected purchases weight} integrated on a grid. */
  private static double[] integrate(BgNbdModel m, int x, double tx, double t, double horizon) {
    GammaDistribution rate = new GammaDistribution(m.r(), 1 / m.alpha());
    BetaDistribution drop = new BetaDistribution(m.a(), m.b());
    int n = 1500;
    double maxRate = rate.inverseCumulativeProbability(1 - 1e-12);
    double alive = 0;
    double all = 0;
    double expected = 0;
    for (int i = 0; i < n; i++) {
      double lambda = (i + 0.5) * maxRate / n;
      double wl = rate.density(lambda) * maxRate / n;
      for (int j = 0; j < n; j++) {
        double p = (j + 0.5) / n;
        double w = wl * drop.density(p) / n;
        double lAlive = Math.pow(1 - p, x) * Math.pow(lambda, x) * Math.exp(-lambda * t);
        double lDead = x > 0
            ? p * Math.pow(1 - p, x - 1) * Math.pow(lambda, x) * Math.exp(-lambda * tx) : 0;
        alive += w * lAlive;
        all += w * (lAlive + lDead);
        expected += w * lAlive * (1 - Math.exp(-lambda * p * horizon)) / p;
      }
    }
    return new double[] {alive / all, expected / all};
  }

  @ParameterizedTest
  @CsvSource({"0, 0, 10", "1, 2, 10", "3, 9, 10", "2, 1, 12", "6, 11.5, 12"})
  void pAliveAndExpectedPurchasesFollowTheModel(int x, double tx, double t) {
    double[] numeric = integrate(MODEL, x, tx, t, 5);
    assertEquals(numeric[0], MODEL.pAlive(x, tx, t), 2e-3, "P(alive)");
    assertEquals(numeric[1], MODEL.expectedPurchases(5, x, tx, t), 5e-3, "E[Y(5)]");
  }

  @Test
  void theLikelihoodIsTheIntegratedModel() {
    // Unnormalized by the product densities: compare exp(logLikelihood) with the integral.
    GammaDistribution rate = new GammaDistribution(MODEL.r(), 1 / MODEL.alpha());
    BetaDistribution drop = new BetaDistribution(MODEL.a(), MODEL.b());
    int n = 1500;
    double maxRate = rate.inverseCumulativeProbability(1 - 1e-12);
    int x = 3;
    double tx = 7;
    double t = 10;
    double all = 0;
    for (int i = 0; i < n; i++) {
      double lambda = (i + 0.5) * maxRate / n;
      for (int j = 0; j < n; j++) {
        double p = (j + 0.5) / n;
        double w = rate.density(lambda) * maxRate / n * drop.density(p) / n;
        all += w * (Math.pow(1 - p, x) * Math.pow(lambda, x) * Math.exp(-lambda * t)
            + p * Math.pow(1 - p, x - 1) * Math.pow(lambda, x) * Math.exp(-lambda * tx));
      }
    }
    assertEquals(Math.log(all), MODEL.logLikelihood(x, tx, t), 2e-3);
  }

  /**
   * The worked example of Fader, Hardie &amp; Lee's BG/NBD spreadsheet on CDNOW: a customer with
   * x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in the next 39 weeks.
   */
  @Test
  void theCdnowWorkedExample() {
    BgNbdModel cdnow = BgNbdModel.fit(CdnowData.histogram(), 0).model();
    assertEquals(1.226, cdnow.expectedPurchases(39, 2, 30.43, 38.86), 0.0015);
  }

  /**
   * At a = 1 the closed form is 0/0 (its factor has a - 1 below, its bracket vanishes): a fit
   * that stops at a = 1 (a covariate model's start) gave infinite expected purchases.
   */
  @ParameterizedTest
  @CsvSource({"0, 0, 10", "3, 9, 10"})
  void expectedPurchasesWhenAIsOne(int x, double tx, double t) {
    BgNbdModel m = new BgNbdModel(2.0, 3.0, 1.0, 4.0);
    double[] numeric = integrate(m, x, tx, t, 5);
    assertEquals(numeric[1], m.expectedPurchases(5, x, tx, t), 5e-3);
    // and continuous through it
    double below = new BgNbdModel(2.0, 3.0, 1 - 1e-3, 4.0).expectedPurchases(5, x, tx, t);
    double above = new BgNbdModel(2.0, 3.0, 1 + 1e-3, 4.0).expectedPurchases(5, x, tx, t);
    assertEquals((below + above) / 2, m.expectedPurchases(5, x, tx, t), 1e-6);
  }

  /** a + b < 1 makes 2F1's c negative for a customer without repeats; still a number. */
  @Test
  void expectedPurchasesWhenAPlusBIsBelowOne() {
    BgNbdModel m = new BgNbdModel(2.0, 3.0, 0.4, 0.5);
    double[] numeric = integrate(m, 0, 0, 10, 5);
    assertEquals(numeric[1], m.expectedPurchases(5, 0, 0, 10), 5e-3);
  }

  @Test
  void aPenalizerShrinksTheParameters() {
    BgNbdModel plain = BgNbdModel.fit(CdnowData.histogram(), 0).model();
    BgNbdModel shrunk = BgNbdModel.fit(CdnowData.histogram(), 0.1).model();
    double normPlain = plain.r() * plain.r() + plain.alpha() * plain.alpha()
        + plain.a() * plain.a() + plain.b() * plain.b();
    double normShrunk = shrunk.r() * shrunk.r() + shrunk.alpha() * shrunk.alpha()
        + shrunk.a() * shrunk.a() + shrunk.b() * shrunk.b();
    assertTrue(normShrunk < normPlain, normShrunk + " vs " + normPlain);
  }

  @Test
  void tooFewRepeatBuyersIsAClearError() {
    SummaryHistogram h = new SummaryHistogram();
    for (int i = 0; i < 500; i++) {
      h.add(0, 0, 10 + i % 7, null);
    }
    h.add(2, 3, 12, 20.0);
    ClvFitException e = assertThrows(ClvFitException.class, () -> BgNbdModel.fit(h, 0));
    assertEquals("BG/NBD needs at least 10 customers with a repeat purchase to fit; the data "
        + "has 1 of 501 customers", e.getMessage());
    assertThrows(ClvFitException.class, () -> GammaGammaModel.fit(h, 0));
    assertThrows(ClvFitException.class, () -> ParetoNbdModel.fit(h, 0));
  }

  @Test
  void gammaGammaLeavesOutCustomersWithoutPositiveRepeatSpend() {
    SummaryHistogram h = CdnowData.histogram();
    h.add(3, 5, 10, 0.0);   // refunded everything: no positive mean
    h.add(2, 5, 10, -4.0);
    h.add(0, 0, 10, 50.0);  // no repeat purchase: value ignored
    assertEquals(946, GammaGammaModel.fit(h, 0).diagnostics().customers());
  }

  @Test
  void gammaGammaExpectationShrinksTowardsThePopulationMean() {
    GammaGammaModel m = new GammaGammaModel(6.25, 3.74, 15.44);
    double population = 6.25 * 15.44 / 2.74;
    assertEquals(population, m.conditionalExpectedAverageValue(0, 0), 1e-12);
    double oneBuy = m.conditionalExpectedAverageValue(1, 100);
    // A weighted mean of the population mean and the customer's own mean.
    double weight = 6.25 / (6.25 + 3.74 - 1);
    assertEquals((1 - weight) * population + weight * 100, oneBuy, 1e-9);
  }
}
