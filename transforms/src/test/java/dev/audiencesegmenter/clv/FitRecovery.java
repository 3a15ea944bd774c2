package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;

/** Whether a covariate model fitted on simulated customers recovers what they were drawn from. */
final class FitRecovery {
  private FitRecovery() {}

  /**
   * Jointly, (θ̂ − θ)ᵀ Σ⁻¹ (θ̂ − θ) follows χ² with as many degrees of freedom as parameters if
   * the estimates are unbiased and the standard errors right: it must stay below {@code
   * chiSquare99}, that χ²'s 99th percentile. One by one, each estimate lies within three of its
   * standard errors. Prints the estimates against the truth.
   */
  static void assertRecovered(double[] truth, CovariatePurchaseModel model,
      double chiSquare99) {
    double[] estimate = model.parameters();
    double[] se = model.standardErrors();
    assertTrue(model.diagnostics().converged());
    StringBuilder report = new StringBuilder();
    double[] d = new double[truth.length];
    for (int i = 0; i < truth.length; i++) {
      d[i] = estimate[i] - truth[i];
      report.append(String.format("%d: true %.3f, estimate %.4f ± %.4f (z=%.2f)%n", i,
          truth[i], estimate[i], se[i], d[i] / se[i]));
    }
    RealMatrix precision = MatrixUtils.inverse(MatrixUtils.createRealMatrix(
        model.covariance()));
    double wald = MatrixUtils.createRealVector(d).dotProduct(precision.operate(
        MatrixUtils.createRealVector(d)));
    report.append(String.format("Wald statistic %.2f%n", wald));
    System.out.print(report);
    assertTrue(wald < chiSquare99, report.toString());
    for (int i = 0; i < truth.length; i++) {
      assertTrue(se[i] > 0, report.toString());
      assertTrue(Math.abs(d[i]) <= 3 * se[i], report.toString());
    }
  }
}
