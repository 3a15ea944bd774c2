package dev.audiencesegmenter.clv;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** What every {@link CovariatePurchaseModel} holds: its covariates, estimates and their fit. */
abstract class FittedCovariateModel implements CovariatePurchaseModel {
  private static final long serialVersionUID = 1L;
  /** r, α₀ and the dropout process's two parameters come before the coefficients. */
  static final int BASE = 4;

  private final List<String> covariates;
  /** The estimates, in the order of {@link #parameters()}. */
  final double[] params;
  private final double[][] covariance;
  private final FitDiagnostics diagnostics;

  FittedCovariateModel(List<String> covariates, Estimate estimate) {
    this.covariates = List.copyOf(covariates);
    this.params = estimate.params().clone();
    this.covariance = estimate.covariance();
    this.diagnostics = estimate.diagnostics();
  }

  /** A maximum-likelihood estimate with its covariance and how the fit went. */
  record Estimate(double[] params, double[][] covariance, FitDiagnostics diagnostics) {}

  /**
   * Maximizes {@code logLikelihood} (the total over {@code customers}) from 1 for the first
   * {@code positive} parameters (searched on their logarithms) and 0 for the {@code
   * coefficients} after them; fails with {@link ClvFitException}, naming {@code model}, when
   * the search does not converge.
   */
  static Estimate estimate(String model, ToDoubleFunction<double[]> logLikelihood, int positive,
      int coefficients, long customers) {
    return estimate(model, logLikelihood, positive, coefficients, customers,
        MaximumLikelihood.MAX_EVALUATIONS);
  }

  /**
   * As {@link #estimate(String, ToDoubleFunction, int, int, long)}, with at most {@code
   * maxEvaluations} per search; fails with {@link ClvFitException} when the search does not
   * converge within them. Such a fit is no estimate: predictions from it would be arbitrary.
   */
  static Estimate estimate(String model, ToDoubleFunction<double[]> logLikelihood, int positive,
      int coefficients, long customers, int maxEvaluations) {
    double[] start = new double[positive + coefficients];
    Arrays.fill(start, 0, positive, 1.0);
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(
        p -> -logLikelihood.applyAsDouble(p) / customers, start, positive, maxEvaluations);
    if (!opt.converged()) {
      throw new ClvFitException(model + " did not converge in " + opt.evaluations()
          + " evaluations of its likelihood (" + start.length + " parameters, " + customers
          + " customers): the data cannot tell some covariates' effects apart; use fewer "
          + "covariates or categories");
    }
    double[] p = opt.params();
    return new Estimate(p, MaximumLikelihood.covariance(logLikelihood, p),
        new FitDiagnostics(opt.evaluations(), opt.converged(),
            logLikelihood.applyAsDouble(p) / customers, customers));
  }

  /** The shape r of the purchase rates' Gamma. */
  public double r() {
    return params[0];
  }

  /** The scale α₀ of the purchase rates' Gamma for a customer whose covariates are all 0. */
  public double alpha0() {
    return params[1];
  }

  /** β: the effect of each covariate on the purchase rate. */
  public double[] purchaseCoefficients() {
    return coefficients(0);
  }

  /** The {@code block}-th vector of coefficients (0: the purchase rate's), after the four. */
  double[] coefficients(int block) {
    int k = covariates.size();
    return Arrays.copyOfRange(params, BASE + block * k, BASE + (block + 1) * k);
  }

  @Override
  public List<String> covariates() {
    return covariates;
  }

  @Override
  public double[] parameters() {
    return params.clone();
  }

  @Override
  public double[] standardErrors() {
    return MaximumLikelihood.standardErrors(covariance);
  }

  @Override
  public double[][] covariance() {
    double[][] copy = new double[covariance.length][];
    for (int i = 0; i < copy.length; i++) {
      copy[i] = covariance[i].clone();
    }
    return copy;
  }

  @Override
  public FitDiagnostics diagnostics() {
    return diagnostics;
  }
}
