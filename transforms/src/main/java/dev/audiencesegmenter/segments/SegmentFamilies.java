package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.clusters.ClusterSpec;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The built-in segment families (a group with {@code family:} instead of a list of segments):
 * their names, the group keys each takes, and the segments each generates, with their rules.
 * {@link SegmentDefinitions} parses the file; this class says what a family expands to.
 */
final class SegmentFamilies {
  private SegmentFamilies() {}

  static final String RFM = "rfm";
  static final String VALUE_TIERS = "value_tiers";
  static final String GEO_RADIUS = "geo_radius";
  static final String CLUSTERS = "clusters";
  static final String LOOKALIKE = "lookalike";
  static final String LIFECYCLE = "lifecycle";
  static final String ENGAGEMENT = "engagement";
  /** Families whose segments are generated, not listed. */
  static final Set<String> GENERATED = Set.of(RFM, VALUE_TIERS, CLUSTERS, LOOKALIKE,
      LIFECYCLE, ENGAGEMENT);
  static final List<String> FAMILIES = List.of(CLUSTERS, ENGAGEMENT, GEO_RADIUS,
      LIFECYCLE, LOOKALIKE, RFM, VALUE_TIERS);
  static final List<String> FAMILY_KEYS = List.of("holdout_percent",
      "vip_top_percent", "low_bottom_percent", "features", "k", "seed", "sample_size",
      "iterations", "seed_segment", "top_n", "min_score", "high_top_percent");
  static final Map<String, List<String>> FAMILY_KEY_OWNERS = Map.ofEntries(
      Map.entry("holdout_percent", List.of(RFM, VALUE_TIERS, CLUSTERS, LOOKALIKE, LIFECYCLE,
          ENGAGEMENT)),
      Map.entry("high_top_percent", List.of(ENGAGEMENT)),
      Map.entry("vip_top_percent", List.of(VALUE_TIERS)),
      Map.entry("low_bottom_percent", List.of(VALUE_TIERS, ENGAGEMENT)),
      Map.entry("features", List.of(CLUSTERS, LOOKALIKE)),
      Map.entry("seed_segment", List.of(LOOKALIKE)),
      Map.entry("top_n", List.of(LOOKALIKE)),
      Map.entry("min_score", List.of(LOOKALIKE)),
      Map.entry("k", List.of(CLUSTERS)),
      Map.entry("seed", List.of(CLUSTERS)),
      Map.entry("sample_size", List.of(CLUSTERS)),
      Map.entry("iterations", List.of(CLUSTERS)));

  /** name to {description, condition}, in priority order. */
  static Map<String, String[]> generatedSegments(String family,
      SegmentDefinitions.ValueTierCuts cuts, @Nullable ClusterSpec clusters,
      @Nullable LookalikeSpec lookalike) {
    Map<String, String[]> out = new LinkedHashMap<>();
    switch (family) {
      case ENGAGEMENT -> {
        for (String tier : ValueTiers.ENGAGEMENT_TIERS) {
          out.put(tier, new String[] {"Engagement tier " + tier + " by engagement_score "
              + "percentile", "engagement_tier == \"" + tier + "\""});
        }
      }
      case LIFECYCLE -> {
        // Priority order: a stage's own rules already make them exclusive.
        out.put(AssignLifecycleStage.NEW, new String[] {"First seen recently (lifecycle_stage "
            + "new)", "lifecycle_stage == \"new\""});
        out.put(AssignLifecycleStage.REACTIVATED, new String[] {"Came back after a "
            + "churn-long gap (lifecycle_stage reactivated)",
            "lifecycle_stage == \"reactivated\""});
        out.put(AssignLifecycleStage.ACTIVE, new String[] {"Active recently and likely alive "
            + "(lifecycle_stage active)", "lifecycle_stage == \"active\""});
        out.put(AssignLifecycleStage.AT_RISK, new String[] {"Quiet for a while or P(alive) "
            + "falling (lifecycle_stage at_risk)", "lifecycle_stage == \"at_risk\""});
        out.put(AssignLifecycleStage.CHURNED, new String[] {"Gone quiet for the churn gap or "
            + "P(alive) very low (lifecycle_stage churned)",
            "lifecycle_stage == \"churned\""});
      }
      case LOOKALIKE -> out.put(lookalike.seedSegment(), new String[] {"Customers outside "
          + lookalike.seedSegment() + " who look most like it on "
          + String.join(", ", lookalike.columns())
          + (lookalike.topN() > 0 ? " (the best " + lookalike.topN() + ")" : "")
          + (lookalike.minScore() > 0 ? " (score at least " + lookalike.minScore() + ")" : ""),
          "lookalike_selected != null && lookalike_selected"});
      case CLUSTERS -> {
        for (int n = 1; n <= clusters.maxClusters(); n++) {
          out.put(String.valueOf(n), new String[] {"k-means cluster " + n + " on "
              + String.join(", ", clusters.columns()) + (clusters.k() == 0
              ? " (k chosen by silhouette: a cluster above k stays empty)" : "")
              + "; its profile and name are in model/clusters.json", "cluster == " + n});
        }
      }
      case RFM -> RfmScores.SEGMENTS.forEach(name -> out.put(name, new String[] {
          RfmScores.describe(name), "rfm_segment == \"" + name + "\""}));
      case VALUE_TIERS -> {
        out.put("vip", new String[] {"Top " + cuts.vipTopPercent()
            + "% of customers by predicted 12-month lifetime value",
            "value_tier == \"vip\""});
        out.put("standard", new String[] {"Between the vip and low tiers by predicted "
            + "12-month lifetime value", "value_tier == \"standard\""});
        out.put("low", new String[] {"Bottom " + cuts.lowBottomPercent()
            + "% of customers by predicted 12-month lifetime value",
            "value_tier == \"low\""});
      }
      default -> throw new IllegalStateException(family);
    }
    return out;
  }
}
