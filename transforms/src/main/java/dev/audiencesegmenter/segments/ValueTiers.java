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

  /** Engagement tiers, by engagement_score, with the same rule. */
  public static final List<String> ENGAGEMENT_TIERS = List.of("high", "medium", "low");

  /** {@code percentiles}: 101 ascending points, index k the k-th percentile. */
  static String tier(double value, List<Double> percentiles, int vipTop, int lowBottom) {
    return tier(value, percentiles, vipTop, lowBottom, TIERS);
  }

  /** {@code names}: the top, middle and bottom tier's names. */
  static String tier(double value, List<Double> percentiles, int top, int bottom,
      List<String> names) {
    if (value >= percentiles.get(100 - top)) {
      return names.get(0);
    }
    if (bottom > 0 && value < percentiles.get(bottom)) {
      return names.get(2);
    }
    return names.get(1);
  }
}
