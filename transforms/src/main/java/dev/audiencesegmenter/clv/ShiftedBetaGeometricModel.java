package dev.audiencesegmenter.clv;

import java.io.Serializable;
import org.apache.commons.math3.special.Beta;

/**
 * The shifted-beta-geometric (sBG) model of contract renewals (Fader and Hardie 2007, "How to
 * project customer retention", Journal of Interactive Marketing 21(1)): while under contract, a
 * customer cancels at each renewal with a probability θ of her own, the same at every renewal;
 * across customers θ follows Beta(α, β). The cohort's retention then rises with time, as the
 * customers likely to cancel leave first, which curve-fitting on retention rates misses.
 *
 * <p>With T the period in which a customer cancels (1, 2, ...):
 * {@code P(T = t) = B(α + 1, β + t − 1) / B(α, β)}, survival
 * {@code S(t) = P(T > t) = B(α, β + t) / B(α, β)}, retention at renewal t
 * {@code r(t) = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)}.
 *
 * <pre>{@code
 * // a cohort of 1000 customers, of whom 631, 468, ... are still customers after 1, 2, ... years
 * ShiftedBetaGeometricModel model =
 *     ShiftedBetaGeometricModel.fit(new long[] {1000, 631, 468, 382, 326, 289, 262, 241});
 * model.survival(10);                                   // share left after ten years
 * model.churnProbability(8);                            // P(cancel at the 8th renewal | here)
 * model.discountedExpectedResidualLifetime(7, 0.10);    // periods still to come, discounted
 * }</pre>
 */
public final class ShiftedBetaGeometricModel implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double alpha;
  private final double beta;
  private final double logLikelihood;

  private ShiftedBetaGeometricModel(double alpha, double beta, double logLikelihood) {
    this.alpha = alpha;
    this.beta = beta;
    this.logLikelihood = logLikelihood;
  }

  /** The model with given parameters (both positive). */
  public static ShiftedBetaGeometricModel of(double alpha, double beta) {
    if (!(alpha > 0) || !(beta > 0) || Double.isInfinite(alpha) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("sBG parameters must be positive and finite, got alpha "
          + alpha + " and beta " + beta);
    }
    return new ShiftedBetaGeometricModel(alpha, beta, Double.NaN);
  }

  /**
   * The maximum-likelihood fit to one cohort: {@code alive[0]} customers at the start,
   * {@code alive[t]} of them still customers after t periods (never more than the period
   * before). Those who left in period t count with {@code P(T = t)}, those still there at the
   * end with {@code S(last)}.
   */
  public static ShiftedBetaGeometricModel fit(long[] alive) {
    if (alive == null || alive.length < 2) {
      throw new IllegalArgumentException("sBG needs the cohort's size and at least one later "
          + "count, got " + (alive == null ? "null" : alive.length + " counts"));
    }
    if (alive[0] <= 0) {
      throw new IllegalArgumentException("sBG needs a cohort of at least one customer, got "
          + alive[0]);
    }
    for (int t = 1; t < alive.length; t++) {
      if (alive[t] < 0 || alive[t] > alive[t - 1]) {
        throw new IllegalArgumentException("sBG counts must not grow or be negative: period "
            + t + " has " + alive[t] + " after " + alive[t - 1]);
      }
    }
    if (alive[alive.length - 1] == alive[0]) {
      throw new IllegalArgumentException("sBG cannot be fitted to a cohort nobody left ("
          + alive[0] + " customers throughout)");
    }
    // One cohort is the censored case where everyone still there is observed equally long.
    int last = alive.length - 1;
    long[] cancelledAt = new long[alive.length];
    for (int t = 1; t <= last; t++) {
      cancelledAt[t] = alive[t - 1] - alive[t];
    }
    long[] activeAfter = new long[alive.length];
    activeAfter[last] = alive[last];
    return maximumLikelihood(cancelledAt, activeAfter, alive[0]);
  }

  /**
   * The maximum-likelihood fit to customers who started at different times (Fader and Hardie's
   * note on fitting the sBG model to multi-cohort data): {@code cancelledAt[t]} customers
   * cancelled at renewal t (t ≥ 1, so index 0 is unused), {@code activeAfter[t]} are still
   * customers after t periods and not yet observed longer. Those count with
   * {@code P(T = t)}, these with {@code S(t)}. One cohort's counts are the special case where
   * everyone still there is observed for the same number of periods.
   */
  public static ShiftedBetaGeometricModel fitCensored(long[] cancelledAt, long[] activeAfter) {
    long cancelled = 0;
    long total = 0;
    for (int t = 0; t < Math.max(cancelledAt.length, activeAfter.length); t++) {
      long c = t < cancelledAt.length ? cancelledAt[t] : 0;
      long a = t < activeAfter.length ? activeAfter[t] : 0;
      if (c < 0 || a < 0 || (t == 0 && c > 0)) {
        throw new IllegalArgumentException("sBG counts must be non-negative, and nobody cancels "
            + "at renewal 0; got " + c + " cancelled and " + a + " active at period " + t);
      }
      cancelled += c;
      total += c + a;
    }
    if (cancelled == 0) {
      throw new ClvFitException("sBG needs at least one cancellation to fit; the data has "
          + total + " subscribers and none cancelled");
    }
    return maximumLikelihood(cancelledAt, activeAfter, total);
  }

  private static ShiftedBetaGeometricModel maximumLikelihood(long[] cancelledAt,
      long[] activeAfter, long customers) {
    MaximumLikelihood.Optimum optimum = MaximumLikelihood.minimize(
        p -> -censoredLogLikelihood(p[0], p[1], cancelledAt, activeAfter), new double[] {1, 1});
    if (!optimum.converged()) {
      throw new ClvFitException("sBG fit did not converge in " + optimum.evaluations()
          + " evaluations on " + customers + " customers");
    }
    return new ShiftedBetaGeometricModel(optimum.params()[0], optimum.params()[1],
        -optimum.value());
  }

  static double censoredLogLikelihood(double alpha, double beta, long[] cancelledAt,
      long[] activeAfter) {
    double logB = Beta.logBeta(alpha, beta);
    double sum = 0;
    for (int t = 1; t < cancelledAt.length; t++) {
      if (cancelledAt[t] > 0) {
        sum += cancelledAt[t] * (Beta.logBeta(alpha + 1, beta + t - 1) - logB);
      }
    }
    for (int t = 0; t < activeAfter.length; t++) {
      if (activeAfter[t] > 0) {
        sum += activeAfter[t] * (Beta.logBeta(alpha, beta + t) - logB);
      }
    }
    return sum;
  }

  public double alpha() {
    return alpha;
  }

  public double beta() {
    return beta;
  }

  /** The fit's log-likelihood; NaN for a model built with {@link #of}. */
  public double logLikelihood() {
    return logLikelihood;
  }

  /** {@code S(t)}: the share of a new cohort still customers after t periods. */
  public double survival(int t) {
    checkPeriod(t, 0);
    return Math.exp(Beta.logBeta(alpha, beta + t) - Beta.logBeta(alpha, beta));
  }

  /** {@code r(t)}: the share of those there at renewal t (t ≥ 1) who renew. */
  public double retentionRate(int t) {
    checkPeriod(t, 1);
    return (beta + t - 1) / (alpha + beta + t - 1);
  }

  /** The probability that a customer there at renewal t (t ≥ 1) cancels at it. */
  public double churnProbability(int t) {
    return 1 - retentionRate(t);
  }

  /**
   * DERL (Fader and Hardie 2010): for a customer who has made {@code renewals} renewals, the
   * expected number of periods still to come, each counted with the probability of being a
   * customer then and discounted by {@code discountRate} per period from the next renewal on:
   * {@code Σ_{t ≥ n} S(t) / S(n − 1) / (1 + d)^(t − n)} with n = renewals + 1.
   */
  public double discountedExpectedResidualLifetime(int renewals, double discountRate) {
    checkPeriod(renewals, 0);
    if (!(discountRate > 0) || Double.isInfinite(discountRate)) {
      throw new IllegalArgumentException("the discount rate must be positive (without one the "
          + "sum need not converge), got " + discountRate);
    }
    int n = renewals + 1;
    double z = 1 / (1 + discountRate);
    double term = (beta + n - 1) / (alpha + beta + n - 1);
    double sum = 0;
    for (int k = 0; k < 100_000; k++) {
      sum += term;
      term *= (beta + n + k) / (alpha + beta + n + k) * z;
      if (term < 1e-16 * sum) {
        break;
      }
    }
    return sum;
  }

  private static void checkPeriod(int t, int min) {
    if (t < min) {
      throw new IllegalArgumentException("period must be at least " + min + ", got " + t);
    }
  }

  @Override
  public String toString() {
    return "sBG(alpha=" + alpha + ", beta=" + beta + ")";
  }
}
