package dev.audiencesegmenter.report;

import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.segments.SegmentPlan;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Turns the per-segment statistics into {@link SegmentProfile} rows: figures, top traits,
 * validation flags and the prioritization score. Runs once, on the (small) statistics of all
 * segments together, because the scores compare segments of a group with each other.
 *
 * <p>Scores, each 1 to 10 and rounded half up:
 *
 * <ul>
 *   <li>attractiveness {@code = 1 + 9 × (size / largest size in the group + value / largest
 *       value in the group) / 2}, value being the mean predicted CLV (the mean revenue per
 *       member without value models);
 *   <li>accessibility {@code = 1 + 9 × reachable share}; without consent columns the YAML
 *       {@code accessibility}, else 5;
 *   <li>fit and strategic value: the YAML's, else 5 (with a warning).
 * </ul>
 */
final class SegmentProfiles {
  /** Features on which a segment must differ from the rest to be differentiable. */
  static final List<String> KEY_FEATURES = List.of("monetary_total", "frequency",
      "recency_days", "tenure_days", "predicted_clv_365d", "churn_risk", "engagement_score",
      "email_opens_90d", "site_visits_90d");
  static final int TOP_TRAITS = 5;
  static final int NEUTRAL_SCORE = 5;

  private SegmentProfiles() {}

  static List<SegmentProfile> profiles(SegmentDefinitions definitions, TraitColumns columns,
      Map<String, SegmentStatistics> statistics, SegmentStatistics everyone,
      @Nullable Map<String, SegmentChurn> churn, SegmentValidation validation) {
    int clv = columns.numberIndex(TraitColumns.CLV);
    int revenue = columns.numberIndex(TraitColumns.REVENUE);
    List<SegmentProfile> out = new ArrayList<>();
    for (SegmentDefinitions.Group group : definitions.getGroups()) {
      // Attractiveness compares the group's segments: find the largest size and value first.
      Map<String, Double> value = new HashMap<>();
      long largest = 0;
      double mostValuable = 0;
      for (SegmentDefinitions.Segment segment : group.segments()) {
        SegmentStatistics s = statistics.getOrDefault(segment.name(), empty(columns));
        Double v = clv >= 0 && s.count[clv] > 0 ? s.mean(clv)
            : revenue >= 0 && s.members > 0 ? s.sum[revenue].doubleValue() / s.members : null;
        value.put(segment.name(), v);
        largest = Math.max(largest, s.members);
        mostValuable = Math.max(mostValuable, v == null ? 0 : v);
      }
      int segments = group.segments().size();
      String groupWarning = segments < 3 || segments > 7
          ? "group '" + group.name() + "' has " + segments + " segment" + (segments == 1 ? "" : "s")
              + "; 3 to 7 per group are recommended" : null;
      for (SegmentDefinitions.Segment segment : group.segments()) {
        SegmentStatistics s = statistics.getOrDefault(segment.name(), empty(columns));
        double sizeTerm = largest == 0 ? 0 : (double) s.members / largest;
        Double v = value.get(segment.name());
        double valueTerm = mostValuable <= 0 || v == null ? 0 : Math.max(0, v) / mostValuable;
        int attractiveness = score(1 + 9 * (sizeTerm + valueTerm) / 2);
        out.add(profile(segment, columns, s, everyone, attractiveness,
            churn == null ? null : churn.getOrDefault(segment.name(),
                new SegmentChurn(0, 0, 0)), validation, groupWarning));
      }
    }
    return out;
  }

  static SegmentStatistics empty(TraitColumns columns) {
    return new SegmentStatistics(columns.numbers().size(), columns.categories().size());
  }

  private static SegmentProfile profile(SegmentDefinitions.Segment segment, TraitColumns columns,
      SegmentStatistics s, SegmentStatistics everyone, int attractiveness,
      @Nullable SegmentChurn churn, SegmentValidation validation, @Nullable String groupWarning) {
    SegmentPlan plan = segment.plan();
    SegmentStatistics rest = everyone.minus(s);
    List<String> warnings = new ArrayList<>();
    if (groupWarning != null) {
      warnings.add(groupWarning);
    }
    int revenueIndex = columns.numberIndex(TraitColumns.REVENUE);
    int clvIndex = columns.numberIndex(TraitColumns.CLV);
    int churnIndex = columns.numberIndex(TraitColumns.CHURN);
    BigDecimal revenue = revenueIndex < 0 ? BigDecimal.ZERO : s.sum[revenueIndex];
    BigDecimal allRevenue = revenueIndex < 0 ? BigDecimal.ZERO : everyone.sum[revenueIndex];
    Double revenueShare = allRevenue.signum() > 0
        ? round(revenue.doubleValue() / allRevenue.doubleValue(), 4) : null;
    BigDecimal allClv = clvIndex < 0 ? BigDecimal.ZERO : everyone.sum[clvIndex];
    Double clvShare = allClv.signum() > 0
        ? round(s.sum[clvIndex].doubleValue() / allClv.doubleValue(), 4) : null;

    // Validation.
    boolean measurable = s.members > 0;
    if (!measurable) {
      warnings.add("no customer meets the condition");
    }
    long minSize = plan.minSize() > 0 ? plan.minSize() : validation.defaultMinSize();
    boolean bigEnough = s.members >= minSize;
    if (!bigEnough) {
      warnings.add("size " + s.members + " is below the minimum of " + minSize
          + (plan.minSize() > 0 ? " (min_size)" : " (default)"));
    }
    boolean valuableEnough = plan.minRevenue() == null || revenue.compareTo(plan.minRevenue()) >= 0;
    if (!valuableEnough) {
      warnings.add("revenue " + revenue.setScale(2, RoundingMode.HALF_EVEN).toPlainString()
          + " is below min_revenue " + plan.minRevenue().toPlainString());
    }
    Double reachableShare = s.reachabilityKnown == 0 ? null
        : round((double) s.reachable / s.members, 4);
    Boolean accessible = reachableShare == null ? null
        : reachableShare >= validation.minReachableShare();
    if (Boolean.FALSE.equals(accessible)) {
      warnings.add("only " + percent(reachableShare) + " of members consented on a planned "
          + "channel (at least " + percent(validation.minReachableShare()) + " wanted)");
    }
    List<SegmentTrait> traits = traits(columns, s, rest);
    double largestKeySmd = 0;
    for (String feature : KEY_FEATURES) {
      int i = columns.numberIndex(feature);
      if (i < 0) {
        continue;
      }
      Double smd = SegmentStatistics.standardizedMeanDifference(s, rest, i);
      if (smd != null) {
        largestKeySmd = Math.max(largestKeySmd, Math.abs(smd));
      } else if (separates(s.mean(i), rest.mean(i))) {
        largestKeySmd = Double.POSITIVE_INFINITY;
      }
    }
    boolean differentiable = largestKeySmd >= validation.minSmd();
    if (!differentiable && measurable) {
      warnings.add("no key feature differs from the rest by a standardized mean difference of "
          + validation.minSmd() + " or more");
    }
    List<String> missing = plan.activation() == null
        ? List.of("channels", "message_theme", "offer", "kpi", "owner")
        : plan.activation().missing();
    boolean actionable = missing.isEmpty();
    if (!actionable) {
      warnings.add("activation plan lacks " + String.join(", ", missing));
    }
    Boolean stable = null;
    if (churn != null) {
      stable = churn.churn() <= validation.maxMembershipChurn();
      if (!stable) {
        warnings.add(percent(round(churn.churn(), 4)) + " of membership changed since the "
            + "previous run");
      }
    }

    // Prioritization.
    int accessibility;
    if (reachableShare != null) {
      accessibility = score(1 + 9 * reachableShare);
    } else if (plan.accessibility() != null) {
      accessibility = plan.accessibility();
    } else {
      accessibility = NEUTRAL_SCORE;
      warnings.add("accessibility not measured (no consent columns) nor given: "
          + NEUTRAL_SCORE + " assumed");
    }
    int fit = plan.fit() != null ? plan.fit() : NEUTRAL_SCORE;
    if (plan.fit() == null) {
      warnings.add("fit not given: " + NEUTRAL_SCORE + " assumed");
    }
    int strategic = plan.strategicValue() != null ? plan.strategicValue() : NEUTRAL_SCORE;
    if (plan.strategicValue() == null) {
      warnings.add("strategic_value not given: " + NEUTRAL_SCORE + " assumed");
    }
    int total = attractiveness + fit + accessibility + strategic;

    int lifecycle = columns.categoryIndex("lifecycle_stage");
    int channel = columns.categoryIndex("preferred_channel");
    return SegmentProfile.builder()
        .setSegment(segment.name())
        .setGroup(segment.group())
        .setSize(s.members)
        .setHoldoutSize(s.holdouts)
        .setShare(everyone.members == 0 ? 0 : (double) s.members / everyone.members)
        .setRevenue(revenue.setScale(2, RoundingMode.HALF_EVEN))
        .setRevenueShare(revenueShare)
        .setClvShare(clvShare)
        .setMeanClv(clvIndex < 0 ? null : round(s.mean(clvIndex), 2))
        .setMedianClv(s.clv == null ? null : round(s.clv.median(), 2))
        .setMeanChurnRisk(churnIndex < 0 ? null : round(s.mean(churnIndex), 4))
        .setReachableShare(reachableShare)
        .setTopTraits(traits)
        .setMeasurable(measurable)
        .setSubstantial(bigEnough && valuableEnough)
        .setAccessible(accessible)
        .setDifferentiable(differentiable)
        .setActionable(actionable)
        .setStable(stable)
        .setAttractiveness(attractiveness)
        .setFit(fit)
        .setAccessibility(accessibility)
        .setStrategicValue(strategic)
        .setPriorityScore(total)
        .setPriorityTier(SegmentValidation.tier(total))
        .setPreferredChannel(channel < 0 ? null : mode(s.categories.get(channel)))
        .setLifecycleMix(lifecycle < 0 ? Map.of() : new TreeMap<>(s.categories.get(lifecycle)))
        .setEntered(churn == null ? null : churn.entered())
        .setExited(churn == null ? null : churn.exited())
        .setMembershipChurn(churn == null ? null : round(churn.churn(), 4))
        .setWarnings(warnings)
        .build();
  }

  /** Key feature means and differences, and category mixes, for persona cards and charts. */
  static ReportContent.Detail detail(TraitColumns columns, SegmentStatistics s,
      SegmentStatistics rest) {
    Map<String, Double> means = new java.util.LinkedHashMap<>();
    Map<String, Double> differences = new java.util.LinkedHashMap<>();
    for (String feature : KEY_FEATURES) {
      int i = columns.numberIndex(feature);
      if (i < 0) {
        continue;
      }
      Double mean = s.mean(i);
      if (mean != null) {
        means.put(feature, round(mean, 4));
      }
      Double smd = SegmentStatistics.standardizedMeanDifference(s, rest, i);
      if (smd != null) {
        differences.put(feature, round(smd, 4));
      }
    }
    Map<String, Map<String, Long>> categories = new TreeMap<>();
    for (int i = 0; i < columns.categories().size(); i++) {
      categories.put(columns.categories().get(i), new TreeMap<>(s.categories.get(i)));
    }
    return new ReportContent.Detail(means, differences, categories);
  }

  /** The traits with the largest |SMD| against the rest; ties by name. */
  static List<SegmentTrait> traits(TraitColumns columns, SegmentStatistics s,
      SegmentStatistics rest) {
    List<SegmentTrait> all = new ArrayList<>();
    if (s.members == 0 || rest.members == 0) {
      return all;
    }
    for (int i = 0; i < columns.numbers().size(); i++) {
      Double smd = SegmentStatistics.standardizedMeanDifference(s, rest, i);
      if (smd != null || separates(s.mean(i), rest.mean(i))) {
        all.add(trait(columns.numbers().get(i), s.mean(i), rest.mean(i), smd));
      }
    }
    for (int i = 0; i < columns.categories().size(); i++) {
      String column = columns.categories().get(i);
      TreeMap<String, Long> values = new TreeMap<>(s.categories.get(i));
      rest.categories.get(i).forEach((k, v) -> values.putIfAbsent(k, 0L));
      for (String value : values.keySet()) {
        double p1 = s.share(i, value);
        double p0 = rest.share(i, value);
        Double smd = SegmentStatistics.standardizedShareDifference(p1, p0);
        if (smd != null || p1 != p0) {
          all.add(trait(column + "=" + value, p1, p0, smd));
        }
      }
    }
    // No variance on either side but different means: the trait separates the segment from
    // the rest completely (its SMD is unbounded, written null), so it ranks first.
    all.sort(Comparator.comparingDouble((SegmentTrait t) -> t.getSmd() == null
            ? Double.NEGATIVE_INFINITY : -Math.abs(t.getSmd()))
        .thenComparing(SegmentTrait::getTrait));
    return List.copyOf(all.subList(0, Math.min(TOP_TRAITS, all.size())));
  }

  /** Both means known and different. */
  private static boolean separates(@Nullable Double segment, @Nullable Double rest) {
    return segment != null && rest != null && !segment.equals(rest);
  }

  private static SegmentTrait trait(String name, double segment, double rest,
      @Nullable Double smd) {
    Double lift = rest == 0 ? null : round(segment / rest, 4);
    return SegmentTrait.create(name, round(segment, 4), round(rest, 4), lift, round(smd, 4));
  }

  /** The most frequent value; ties go to the first by name. */
  private static @Nullable String mode(Map<String, Long> counts) {
    String best = null;
    long most = 0;
    for (Map.Entry<String, Long> e : new TreeMap<>(counts).entrySet()) {
      if (e.getValue() > most) {
        best = e.getKey();
        most = e.getValue();
      }
    }
    return best;
  }

  static int score(double raw) {
    return (int) Math.max(1, Math.min(10, Math.floor(raw + 0.5)));
  }

  static @Nullable Double round(@Nullable Double value, int places) {
    if (value == null || !Double.isFinite(value)) {
      return value;
    }
    return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_EVEN).doubleValue();
  }

  private static String percent(double share) {
    return BigDecimal.valueOf(share * 100).setScale(1, RoundingMode.HALF_EVEN).toPlainString()
        + " %";
  }
}
