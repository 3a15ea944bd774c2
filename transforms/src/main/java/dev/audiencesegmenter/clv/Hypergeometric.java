package dev.audiencesegmenter.clv;

/**
 * The Gauss hypergeometric function 2F1(a, b; c; z) for 0 &lt;= z &lt; 1 and c &gt; 0, as its
 * power series summed until a term no longer changes the sum, returned as a logarithm so that
 * callers can combine it with large powers without overflow. The likelihoods here only need
 * this range, where the series converges.
 */
final class Hypergeometric {
  private static final int MAX_TERMS = 200_000;

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
}
