package dev.audiencesegmenter.clv;

import org.apache.commons.math3.analysis.integration.gauss.GaussIntegrator;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory;
import org.apache.commons.math3.special.Gamma;

/**
 * The Gauss hypergeometric function 2F1(a, b; c; z) for 0 &lt;= z &lt; 1, as a power series
 * summed until a term no longer changes the sum: the range the likelihoods here need, where the
 * series converges. Pareto/NBD's is returned as a logarithm, so that callers can combine it
 * with large powers without overflow.
 */
final class Hypergeometric {
  private static final int MAX_TERMS = 200_000;
  /** Up to about this many growing terms the plain series is summed: fits keep their digits. */
  private static final double PLAIN_GROWTH_TERMS = 10;
  /**
   * Beyond about this many terms of Euler's series, the integral is taken instead: about where
   * its 128 points of exp, log1p and expm1 cost what the series does.
   */
  private static final double EULER_TERMS = 20_000;
  /**
   * Where the plain series with b &lt; 1 would need more than about this many terms, the
   * transformation to 1 - z is summed instead ({@link #logNearOne}).
   */
  private static final double FAR_TERMS = 20_000;
  /** The integral's panels, each summed by Gauss-Legendre at {@link #NODES} points. */
  private static final int PANELS = 8;
  private static final double[] NODES;
  private static final double[] WEIGHTS;

  static {
    GaussIntegrator rule = new GaussIntegratorFactory().legendre(16);
    NODES = new double[rule.getNumberOfPoints()];
    WEIGHTS = new double[NODES.length];
    for (int i = 0; i < NODES.length; i++) {
      NODES[i] = rule.getPoint(i);
      WEIGHTS[i] = rule.getWeight(i);
    }
  }

  private Hypergeometric() {}

  /**
   * The value itself, for any c that is not 0 or a negative integer (BG/NBD's c = a + b + x - 1
   * can be slightly negative when x = 0): the sum may then be negative, so no logarithm.
   */
  static double value2F1(double a, double b, double c, double z) {
    if (z < 0 || z >= 1 || (c <= 0 && c == Math.rint(c))) {
      throw new IllegalArgumentException("2F1 needs 0 <= z < 1 and c not 0 or a negative "
          + "integer; got z=" + z + ", c=" + c);
    }
    double term = 1;
    double sum = 1;
    for (int k = 0; k < MAX_TERMS; k++) {
      term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
      sum += term;
      if (Math.abs(term) <= 1e-16 * Math.abs(sum)) {
        break;
      }
    }
    return sum;
  }

  static double log2F1(double a, double b, double c, double z) {
    if (z < 0 || z >= 1 || c <= 0) {
      throw new IllegalArgumentException("2F1 needs 0 <= z < 1 and c > 0; got z=" + z + ", c="
          + c);
    }
    // Terms are kept relative to a running scale, in case they grow large before they shrink.
    double logScale = 0;
    double term = 1;
    double sum = 1;
    for (int k = 0; k < MAX_TERMS; k++) {
      term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
      sum += term;
      if (Math.abs(term) <= 1e-16 * Math.abs(sum)) {
        return logScale + Math.log(sum);
      }
      if (Math.abs(sum) > 1e250) {
        logScale += Math.log(Math.abs(sum));
        term /= Math.abs(sum);
        sum = Math.signum(sum);
      }
    }
    return logScale + Math.log(sum); // z very close to 1: the best the series gives
  }
  /**
   * log 2F1(a, b; a + 1; z) for a &gt; 0, b &gt; 0, a + 1 &gt; b and 0 &lt;= z &lt; 1: the case of
   * Pareto/NBD's likelihood. The plain series ({@link #log2F1}) first grows, for about
   * (b - 1) z / (1 - z) terms, before it shrinks: where that is long, which is where a
   * Pareto/NBD fit heading for its limit of no heterogeneity (a and b large, α and β far apart)
   * spends its time, Euler's transformation is summed instead: (1 - z)^(1 - b) times
   * 2F1(1, a + 1 - b; a + 1; z), whose terms only shrink (each is the one before times
   * (a + 1 - b + k) / (a + 1 + k) z). Where even that needs thousands of terms (z near 1) and
   * a is 3 or more, Euler's integral is taken instead ({@link #logIntegral}). Elsewhere
   * the plain series stays, so that fitted models keep their digits (the golden outputs and
   * CDNOW's fits do).
   */
  static double log2F1WithCAPlusOne(double a, double b, double z) {
    if (!(a > 0 && b > 0 && a + 1 > b) || z < 0 || z >= 1) {
      throw new IllegalArgumentException("2F1(a, b; a + 1; z) here needs a > 0, b > 0, "
          + "a + 1 > b and 0 <= z < 1; got a=" + a + ", b=" + b + ", z=" + z);
    }
    double w = 1 - z;
    if (b < 1 && w * FAR_TERMS < 37 && a * w <= 1) {
      return logNearOne(a, b, z);
    }
    if ((b - 1) * z <= PLAIN_GROWTH_TERMS * (1 - z)) {
      return log2F1(a, b, a + 1, z);
    }
    // the k-th Euler term is about z^k ((a + 1) / (a + 1 + k))^b: still above 1e-16 = e^-37
    // after EULER_TERMS terms means a long sum (-ln z >= 1 - z: the cheap test first)
    if (a >= 3 && (1 - z) * EULER_TERMS < 37
        && EULER_TERMS * -Math.log(z) + b * Math.log1p(EULER_TERMS / (a + 1)) < 37) {
      return logIntegral(a, b, z);
    }
    double d = a + 1 - b;
    double term = 1;
    double sum = 1;
    for (int k = 0; k < MAX_TERMS; k++) {
      term *= (d + k) / (a + 1 + k) * z;
      sum += term;
      if (term <= 1e-16 * sum) {
        break;
      }
    }
    return (1 - b) * Math.log1p(-z) + Math.log(sum);
  }

  /**
   * log 2F1(a, b; a + 1; z) for b &lt; 1 and z near 1, where the plain series' terms fall only
   * as z^k (it would need about 37 / (1 - z) of them, and stopped short at {@link #MAX_TERMS}):
   * by the transformation to 1 - z = w (Abramowitz &amp; Stegun 15.3.6, with c = a + 1 and c - a
   * - b = 1 - b not an integer), 2F1 = Γ(a + 1) Γ(1 - b) / Γ(a + 1 - b) z^-a + a / (b - 1)
   * w^(1 - b) 2F1(1, a + 1 - b; 2 - b; w), whose k-th term is the one before times (a + 1 - b +
   * k) / (2 - b + k) w: at most 1 where a w &lt;= 1, and about w soon after. Taken only there,
   * where the second part is also small against the first, so that they do not cancel.
   */
  private static double logNearOne(double a, double b, double z) {
    double w = 1 - z;
    double logFirst = Gamma.logGamma(a + 1) + Gamma.logGamma(1 - b) - Gamma.logGamma(a + 1 - b)
        - a * Math.log1p(-w);
    double term = 1;
    double sum = 1;
    for (int k = 0; k < MAX_TERMS; k++) {
      term *= (a + 1 - b + k) / (2 - b + k) * w;
      sum += term;
      if (term <= 1e-17 * sum) {
        break;
      }
    }
    // the second part is negative (b < 1) and smaller than the first
    double secondOverFirst = -Math.exp(Math.log(a / (1 - b)) + (1 - b) * Math.log(w)
        + Math.log(sum) - logFirst);
    return logFirst + Math.log1p(secondOverFirst);
  }

  /**
   * log 2F1(a, b; a + 1; z) by Euler's integral, a ∫ t^(a-1) (1 - z t)^(-b) dt over [0, 1], for
   * a &gt;= 3 and b &gt; 1 (for smaller a the integrand's end, (1 - u)^(a - 1) below, is too
   * sharp for these few points). With 1 - z t = (1 - z) e^w it is a (1 - z)^(1 - b) / z times the
   * integral over w &gt;= 0 of (1 - u)^(a - 1) e^((1 - b) w), u = (1 - z) (e^w - 1) / z: a
   * log-concave integrand that falls from 1 at w = 0 at least as fast as e^(-s w), s = (a - 1)
   * (1 - z) / z + b - 1, so [0, 50 / s] holds all but e^-50 of it (cut at u = 1). It is summed
   * over equal panels by 16-point Gauss-Legendre: against Euler's series summed to the end, within
   * 5e-11 (relative) wherever this path is taken ({@code HypergeometricTest}).
   */
  static double logIntegral(double a, double b, double z) {
    double oneMinusZ = 1 - z;
    double c = oneMinusZ / z;
    double end = Math.min(Math.log1p(z / oneMinusZ), 50 / ((a - 1) * c + b - 1));
    double width = end / PANELS;
    double sum = 0;
    for (int p = 0; p < PANELS; p++) {
      double middle = width * (p + 0.5);
      for (int i = 0; i < NODES.length; i++) {
        double w = middle + width / 2 * NODES[i];
        sum += WEIGHTS[i] * Math.exp((a - 1) * Math.log1p(-c * Math.expm1(w)) + (1 - b) * w);
      }
    }
    return Math.log(a) + (1 - b) * Math.log(oneMinusZ) - Math.log(z) + Math.log(sum * width / 2);
  }
}
