package dev.audiencesegmenter.report;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The pooled two-proportion z-test of {@code x1 / n1} against {@code x0 / n0}:
 * {@code p = (x1 + x0) / (n1 + n0)}, {@code z = (x1/n1 − x0/n0) / sqrt(p (1 − p) (1/n1 + 1/n0))},
 * two-sided p-value {@code 2 (1 − Φ(|z|))}. It assumes independent members and enough
 * conversions on both sides (about 5 or more each) for the normal approximation.
 */
public record TwoProportionZTest(double z, double pValue) {
  private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

  /** The test, or null when a side is empty or nobody (or everybody) converted. */
  public static @Nullable TwoProportionZTest of(long x1, long n1, long x0, long n0) {
    if (n1 <= 0 || n0 <= 0 || x1 < 0 || x0 < 0 || x1 > n1 || x0 > n0) {
      return null;
    }
    double pooled = (double) (x1 + x0) / (n1 + n0);
    double variance = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n0);
    if (variance == 0) {
      return null;
    }
    double z = ((double) x1 / n1 - (double) x0 / n0) / Math.sqrt(variance);
    return new TwoProportionZTest(z, 2 * STANDARD_NORMAL.cumulativeProbability(-Math.abs(z)));
  }
}
