package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.GammaDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Customers simulated from Pareto/NBD with two binary covariates whose effects are known (a
 * "referred" customer buys more often; an "engaged" one dies more slowly), observed for a year
 * after a twelve-week acquisition window and then for a 39-week holdout. The covariate fit must
 * recover the parameters it was simulated with and predict the holdout better than Pareto/NBD
 * without covariates.
 */
class ParetoNbdCovariateModelTest {
  static final List<String> COVARIATES = List.of("referred", "engaged");
  // r, α₀, s, β₀, β (referred, engaged), γ (referred, engaged)
  static final double[] TRUTH = {0.6, 6.0, 0.8, 12.0, 0.9, -0.3, 0.0, -0.7};
  static final int CUSTOMERS = 12_000;
  static final double HOLDOUT_WEEKS = 39;

  record Customer(double[] z, int x, double tx, double t, int holdout) {}

  static List<Customer> customers;
  static ParetoNbdCovariateModel model;

  @BeforeAll
  static void simulateAndFit() {
    RandomGenerator random = new Well19937c(20261207L);
    customers = new ArrayList<>();
    Map<List<Double>, SummaryHistogram> cells = new LinkedHashMap<>();
    for (int i = 0; i < CUSTOMERS; i++) {
      double[] z = {random.nextInt(2), random.nextInt(2)};
      ParetoNbdModel truth = individual(z);
      double lambda = new GammaDistribution(random, truth.r(), 1 / truth.alpha()).sample();
      double mu = new GammaDistribution(random, truth.s(), 1 / truth.beta()).sample();
      double death = -Math.log(1 - random.nextDouble()) / mu;
      double t = (364 - random.nextInt(84)) / 7.0; // first purchase in the first 12 weeks
      int x = 0;
      double tx = 0;
      int holdout = 0;
      double now = 0;
      while (true) {
        now += -Math.log(1 - random.nextDouble()) / lambda;
        if (now > death || now > t + HOLDOUT_WEEKS) {
          break;
        }
        if (now <= t) {
          x++;
          tx = now;
        } else {
          holdout++;
        }
      }
      customers.add(new Customer(z, x, tx, t, holdout));
      cells.computeIfAbsent(List.of(z[0], z[1]), k -> new SummaryHistogram())
          .add(x, tx, t, null);
    }
    model = ParetoNbdCovariateModel.fit(COVARIATES, cells);
  }

  static ParetoNbdModel individual(double[] z) {
    return new ParetoNbdModel(TRUTH[0],
        TRUTH[1] * Math.exp(-(TRUTH[4] * z[0] + TRUTH[5] * z[1])), TRUTH[2],
        TRUTH[3] * Math.exp(-(TRUTH[6] * z[0] + TRUTH[7] * z[1])));
  }

  @Test
  void recoversTheSimulatedParametersWithinTheirStandardErrors() {
    // 20.09: the 99th percentile of χ² with 8 degrees of freedom
    FitRecovery.assertRecovered(TRUTH, model, 20.09);
  }

  @Test
  void predictsTheHoldoutBetterThanParetoNbdWithoutCovariates() {
    SummaryHistogram all = new SummaryHistogram();
    customers.forEach(c -> all.add(c.x(), c.tx(), c.t(), null));
    ParetoNbdModel.Fit plain = ParetoNbdModel.fit(all, 0);
    double actual = 0;
    double withCovariates = 0;
    double without = 0;
    double maeWith = 0;
    double maeWithout = 0;
    for (Customer c : customers) {
      double e1 = model.forCustomer(c.z()).expectedPurchases(HOLDOUT_WEEKS, c.x(), c.tx(),
          c.t());
      double e0 = plain.model().expectedPurchases(HOLDOUT_WEEKS, c.x(), c.tx(), c.t());
      actual += c.holdout();
      withCovariates += e1;
      without += e0;
      maeWith += Math.abs(e1 - c.holdout());
      maeWithout += Math.abs(e0 - c.holdout());
    }
    String figures = String.format("actual %.0f; with covariates %.1f (MAE %.4f); without "
        + "%.1f (MAE %.4f)", actual, withCovariates, maeWith / CUSTOMERS, without,
        maeWithout / CUSTOMERS);
    System.out.println(figures);
    // per customer, which is what the covariates are for (each customer's own history already
    // says much of their rate, so the gain is small)
    assertTrue(maeWith < maeWithout, figures);
    assertEquals(1.1224, maeWith / CUSTOMERS, 5e-5, figures);
    assertEquals(1.1230, maeWithout / CUSTOMERS, 5e-5, figures);
    // the covariate model nests the plain one: its likelihood cannot be lower
    assertTrue(model.diagnostics().meanLogLikelihood()
        > plain.diagnostics().meanLogLikelihood(), figures);
  }

  @Test
  void withZeroCovariatesItIsParetoNbd() {
    ParetoNbdModel cell = model.forCustomer(new double[] {0, 0});
    assertEquals(new ParetoNbdModel(model.r(), model.alpha0(), model.s(), model.beta0()), cell);
    double[] p = model.parameters();
    ParetoNbdModel engaged = model.forCustomer(new double[] {0, 1});
    assertEquals(p[1] * Math.exp(-p[5]), engaged.alpha(), 1e-12);
    assertEquals(p[3] * Math.exp(-p[7]), engaged.beta(), 1e-12);
    assertEquals(PurchaseModel.PARETO_NBD, model.purchaseModel());
  }

  @Test
  void badInputsAreNamed() {
    assertEquals("got 3 covariate values for the 2 covariates [referred, engaged]",
        assertThrows(IllegalArgumentException.class,
            () -> model.forCustomer(new double[] {1, 0, 1})).getMessage());
    SummaryHistogram h = new SummaryHistogram().add(1, 1, 2, null);
    assertEquals("Pareto/NBD with covariates needs at least 10 customers with a repeat "
        + "purchase to fit; the data has 1 of 1 customers", assertThrows(ClvFitException.class,
            () -> ParetoNbdCovariateModel.fit(COVARIATES, Map.of(List.of(1.0, 0.0), h)))
            .getMessage());
  }
}
