package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class MaximumLikelihoodTest {
  /** Minimal at p_i = e^(i + 1) for the positive parameters and p_i = i for the others. */
  private static final ToDoubleFunction<double[]> BOWL = p -> {
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      double d = i < 3 ? Math.log(p[i]) - (i + 1) : p[i] - i;
      sum += (1 + i) * d * d;
    }
    return sum;
  };

  @Test
  void findsTheMinimumWithinItsBudget() {
    double[] start = {1, 1, 1, 0, 0, 0};
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(BOWL, start, 3);
    assertTrue(opt.converged());
    for (int i = 0; i < 6; i++) {
      double want = i < 3 ? Math.exp(i + 1) : i;
      assertEquals(want, opt.params()[i], 1e-6 * Math.max(1, want), "parameter " + i);
    }
  }

  @Test
  void aSearchOutOfEvaluationsEndsAtTheBestPointItSaw() {
    double[] start = {1, 1, 1, 0, 0, 0};
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(BOWL, start, 3, 30);
    assertFalse(opt.converged());
    assertEquals(30, opt.evaluations());
    // not the start (where BOBYQA's exception would leave it), and the value is the point's
    assertTrue(opt.value() < BOWL.applyAsDouble(start), "value " + opt.value());
    assertEquals(BOWL.applyAsDouble(opt.params()), opt.value(), 1e-12);
  }

  @Test
  void anUnconvergedCovariateFitIsNoEstimate() {
    ToDoubleFunction<double[]> logLikelihood = p -> -100 * BOWL.applyAsDouble(
        new double[] {p[0], p[1], p[2], p[3], p[4], p[5]});
    ClvFitException e = assertThrows(ClvFitException.class, () -> FittedCovariateModel.estimate(
        "BG/NBD with covariates", logLikelihood, 3, 3, 100, 30));
    assertEquals("BG/NBD with covariates did not converge in 30 evaluations of its likelihood "
        + "(6 parameters, 100 customers): the data cannot tell some covariates' effects apart; "
        + "use fewer covariates or categories", e.getMessage());
    FittedCovariateModel.Estimate fitted = FittedCovariateModel.estimate(
        "BG/NBD with covariates", logLikelihood, 3, 3, 100, MaximumLikelihood.MAX_EVALUATIONS);
    assertEquals(Math.exp(1), fitted.params()[0], 1e-6);
    assertTrue(fitted.diagnostics().converged());
  }
}
