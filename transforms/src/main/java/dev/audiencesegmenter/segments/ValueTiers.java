package dev.audiencesegmenter.segments;

import java.util.List;

/**
 * Value tiers by predicted lifetime value: "vip" at or above the {@code 100 - vipTop}
 * percentile, "low" strictly below the {@code lowBottom} percentile, "standard" between. Ties
 * at a cut-off go up, so equal values always share a tier.
 */
public final class ValueTiers {
  private ValueTiers() {}

  public static final List<String> TIERS = List.of("vip", "standard", "low");

  /** {@code percentiles}: 101 ascending points, index k the k-th percentile. */
  static String tier(double value, List<Double> percentiles, int vipTop, int lowBottom) {
    if (value >= percentiles.get(100 - vipTop)) {
      return "vip";
    }
    if (lowBottom > 0 && value < percentiles.get(lowBottom)) {
      return "low";
    }
    return "standard";
  }
}
