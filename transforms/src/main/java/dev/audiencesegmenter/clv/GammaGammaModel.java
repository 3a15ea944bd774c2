package dev.audiencesegmenter.clv;

import static org.apache.commons.math3.special.Gamma.logGamma;

import java.io.Serializable;
import java.util.Map;

/**
 * The Gamma-Gamma model of spend per transaction (Fader, Hardie &amp; Lee, "RFM and CLV: Using
 * Iso-Value Curves for Customer Base Analysis", 2005): a customer's transaction values are
 * Gamma(p, ν) with ν drawn from Gamma(q, γ). Fitted on customers with repeat purchases of
 * positive mean value only; it assumes spend does not depend on frequency.
 */
public record GammaGammaModel(double p, double q, double gamma) implements Serializable {

  public static final int MIN_REPEAT_CUSTOMERS = 10;

  public record Fit(GammaGammaModel model, FitDiagnostics diagnostics) implements Serializable {}

  public static Fit fit(SummaryHistogram histogram, double penalizer) {
    long n = histogram.spends().values().stream().mapToLong(Long::longValue).sum();
    if (n < MIN_REPEAT_CUSTOMERS) {
      throw new ClvFitException("Gamma-Gamma needs at least " + MIN_REPEAT_CUSTOMERS
          + " customers with repeat purchases of positive value; the data has " + n);
    }
    int size = histogram.spends().size();
    int[] x = new int[size];
    double[] m = new double[size];
    double[] w = new double[size];
    int i = 0;
    for (Map.Entry<SummaryHistogram.Spend, Long> e : histogram.spends().entrySet()) {
      x[i] = e.getKey().x();
      m[i] = e.getKey().mean();
      w[i] = e.getValue();
      i++;
    }
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(
        p -> -meanLogLikelihood(p[0], p[1], p[2], x, m, w, n)
            + penalizer * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]),
        new double[] {1, 1, 1});
    double[] p = opt.params();
    return new Fit(new GammaGammaModel(p[0], p[1], p[2]), new FitDiagnostics(opt.evaluations(),
        opt.converged(), meanLogLikelihood(p[0], p[1], p[2], x, m, w, n), n));
  }

  private static double meanLogLikelihood(double p, double q, double gamma, int[] x, double[] m,
      double[] w, long n) {
    // The Gamma function terms depend on x only: computed once per distinct x.
    java.util.HashMap<Integer, Double> byX = new java.util.HashMap<>();
    double lgq = logGamma(q);
    double qlg = q * Math.log(gamma);
    double ll = 0;
    for (int i = 0; i < x.length; i++) {
      double px = p * x[i];
      double gammaTerms = byX.computeIfAbsent(x[i],
          k -> logGamma(p * k + q) - logGamma(p * k) + p * k * Math.log(k));
      ll += w[i] * (gammaTerms - lgq + qlg + (px - 1) * Math.log(m[i])
          - (px + q) * Math.log(x[i] * m[i] + gamma));
    }
    return ll / n;
  }

  /** Expected mean transaction value of a customer with x repeat purchases of mean value m. */
  public double conditionalExpectedAverageValue(int x, double meanValue) {
    if (x == 0) {
      return populationMeanValue();
    }
    return p * (gamma + x * meanValue) / (p * x + q - 1);
  }

  /** Mean transaction value across customers, E[Z] = p γ / (q - 1); infinite when q &lt;= 1. */
  public double populationMeanValue() {
    return q > 1 ? p * gamma / (q - 1) : Double.POSITIVE_INFINITY;
  }
}
