package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pareto/NBD's 2F1(a, b; a + 1; z) against closed forms and the plain power series. */
class HypergeometricTest {

  /** The plain series of 2F1(a, b; c; z), term by term, as a logarithm: slow but direct. */
  private static double plainSeries(double a, double b, double c, double z) {
    double logScale = 0;
    double term = 1;
    double sum = 1;
    for (int k = 0; k < 10_000_000; k++) {
      term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
      sum += term;
      if (term <= 1e-17 * sum) {
        break;
      }
      if (sum > 1e250) {
        logScale += Math.log(sum);
        term /= sum;
        sum = 1;
      }
    }
    return logScale + Math.log(sum);
  }

  @Test
  void matchesClosedForms() {
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z
    for (double z : new double[] {0.001, 0.3, 0.9, 0.999}) {
      assertEquals(Math.log(-Math.log1p(-z) / z), Hypergeometric.log2F1WithCAPlusOne(1, 1, z),
          1e-12, "z=" + z);
    }
    // 2F1(1, b; 2; z) = (1 - (1 - z)^(1 - b)) / (z (1 - b)) for b != 1
    for (double b : new double[] {0.5, 1.5, 1.9}) {
      for (double z : new double[] {0.01, 0.5, 0.99}) {
        double expected = (1 - Math.pow(1 - z, 1 - b)) / (z * (1 - b));
        assertEquals(Math.log(expected), Hypergeometric.log2F1WithCAPlusOne(1, b, z), 1e-13,
            "b=" + b + ", z=" + z);
      }
    }
    assertEquals(0.0, Hypergeometric.log2F1WithCAPlusOne(3.5, 2.5, 0), 0.0);
  }

  @Test
  void matchesThePlainSeriesWhereItIsSlowToo() {
    // the last rows are a Pareto/NBD fit heading for its limit: a = r + s + x in the
    // thousands, z = (β - α) / (β + T) near 1
    double[][] cases = {{2.5, 1.3, 0.2}, {40.7, 12.2, 0.95}, {1.1, 0.4, 0.999},
        {13480.6, 36.2, 0.9996}, {24741.5, 4.6, 0.99988}, {85030.2, 70.3, 0.9996}};
    for (double[] c : cases) {
      double expected = plainSeries(c[0], c[1], c[0] + 1, c[2]);
      double got = Hypergeometric.log2F1WithCAPlusOne(c[0], c[1], c[2]);
      assertEquals(expected, got, 1e-11 * Math.max(1, Math.abs(expected)),
          java.util.Arrays.toString(c));
    }
  }

  /** Euler's series of 2F1(a, b; a + 1; z), summed to the end: the integral's reference. */
  private static double eulerSeries(double a, double b, double z) {
    double term = 1;
    double sum = 1;
    for (long k = 0; k < 100_000_000L; k++) {
      term *= (a + 1 - b + k) / (a + 1 + k) * z;
      sum += term;
      if (term <= 1e-17 * sum) {
        break;
      }
    }
    return (1 - b) * Math.log1p(-z) + Math.log(sum);
  }

  @Test
  void theIntegralMatchesEulersSeriesWhereTheSeriesIsLong() {
    int taken = 0;
    for (double a : new double[] {3, 5, 8, 20, 1e2, 1e3, 1e4, 1e5, 1e6}) {
      for (double b : new double[] {1.01, 1.2, 2, 5, 36, 500, 5000}) {
        for (double z : new double[] {0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999}) {
          // where the integral is taken: Euler's series would need over 20,000 terms
          if (a + 1 <= b || 20_000 * -Math.log(z) + b * Math.log1p(20_000 / (a + 1)) >= 37) {
            continue;
          }
          taken++;
          double expected = eulerSeries(a, b, z);
          assertEquals(expected, Hypergeometric.log2F1WithCAPlusOne(a, b, z),
              5e-11 * Math.max(1, Math.abs(expected)), "a=" + a + ", b=" + b + ", z=" + z);
        }
      }
    }
    assertEquals(141, taken, "the long cases of the grid");
  }

  @Test
  void nearOneWithBBelowOneItIsStillExact() {
    // Pareto/NBD with α far below β, x = 0 and r < 1: b = r + x < 1 and z = 1 - α / β near 1,
    // where the plain series would need millions of terms. log 2F1(a, b; a + 1; z) by mpmath
    // at 30 digits.
    double[][] cases = {
        {0.55, 0.55, 0.99999, 0.55534993896339037437},
        {1.6, 0.3, 0.999999, 0.46400057962394956424},
        {3.2, 0.9, 0.9997, 2.5873422117223798689},
        {20, 0.55, 0.99999, 2.3065389379901555533},
        {0.55, 0.55, 0.998, 0.51680369175006532154},
        {50, 0.2, 0.9999, 0.92550949505018771005},
    };
    for (double[] c : cases) {
      assertEquals(c[3], Hypergeometric.log2F1WithCAPlusOne(c[0], c[1], c[2]), 1e-11,
          "a=" + c[0] + ", b=" + c[1] + ", z=" + c[2]);
    }
  }

  @Test
  void refusesWhatItCannotSum() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Hypergeometric.log2F1WithCAPlusOne(1, 2.5, 0.5));
    assertTrue(e.getMessage().contains("a + 1 > b"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Hypergeometric.log2F1WithCAPlusOne(1, 0.5, 1));
  }
}
