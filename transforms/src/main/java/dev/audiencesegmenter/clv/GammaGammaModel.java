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
    Data data = new Data(histogram, n);
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(
        p -> -data.meanLogLikelihood(p[0], p[1], p[2])
            + penalizer * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]),
        new double[] {1, 1, 1});
    double[] p = opt.params();
    return new Fit(new GammaGammaModel(p[0], p[1], p[2]), new FitDiagnostics(opt.evaluations(),
        opt.converged(), data.meanLogLikelihood(p[0], p[1], p[2]), n));
  }

  /** The spends as arrays, with what does not depend on the parameters computed once. */
  private static final class Data {
    final int[] x;
    final double[] m;
    final double[] logM;
    final double[] xm;
    final double[] w;
    final int maxX;
    final long n;

    Data(SummaryHistogram histogram, long n) {
      int size = histogram.spends().size();
      x = new int[size];
      m = new double[size];
      logM = new double[size];
      xm = new double[size];
      w = new double[size];
      int i = 0;
      int max = 0;
      for (Map.Entry<SummaryHistogram.Spend, Long> e : histogram.spends().entrySet()) {
        x[i] = e.getKey().x();
        m[i] = e.getKey().mean();
        logM[i] = Math.log(m[i]);
        xm[i] = x[i] * m[i];
        w[i] = e.getValue();
        max = Math.max(max, x[i]);
        i++;
      }
      maxX = max;
      this.n = n;
    }

    double meanLogLikelihood(double p, double q, double gamma) {
      // The Gamma function terms depend on x only: computed once per x.
      double[] gammaTerms = new double[maxX + 1];
      for (int k = 1; k <= maxX; k++) {
        gammaTerms[k] = logGamma(p * k + q) - logGamma(p * k) + p * k * Math.log(k);
      }
      double constant = q * Math.log(gamma) - logGamma(q);
      double ll = 0;
      for (int i = 0; i < x.length; i++) {
        double px = p * x[i];
        ll += w[i] * (gammaTerms[x[i]] + constant + (px - 1) * logM[i]
            - (px + q) * Math.log(xm[i] + gamma));
      }
      return ll / n;
    }
  }

  /**
   * Expected mean transaction value of a customer with x repeat purchases of mean value m; as
   * the population's, infinite where the posterior's shape leaves no finite mean (p x + q
   * &lt;= 1).
   */
  public double conditionalExpectedAverageValue(int x, double meanValue) {
    if (x == 0) {
      return populationMeanValue();
    }
    double shape = p * x + q;
    return shape > 1 ? p * (gamma + x * meanValue) / (shape - 1) : Double.POSITIVE_INFINITY;
  }

  /** Mean transaction value across customers, E[Z] = p γ / (q - 1); infinite when q &lt;= 1. */
  public double populationMeanValue() {
    return q > 1 ? p * gamma / (q - 1) : Double.POSITIVE_INFINITY;
  }
}
