package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.EventTypes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weights of event types in {@code engagement_score}: the default set, and a parser for the
 * {@code type=weight,type=weight} form of the command line. Types not listed weigh 0.
 */
public final class EngagementWeights {
  private EngagementWeights() {}

  /** Buying counts most, then steps towards it, then attention (opens, visits, views). */
  public static final String DEFAULT_SPEC = "purchase=5,checkout_start=3,subscription_start=3,"
      + "cart_add=2,email_click=2,signup=2,email_open=1,site_visit=1,feature_use=1,"
      + "page_view=0.5";

  public static Map<String, Double> defaults() {
    return parse(DEFAULT_SPEC);
  }

  /**
   * Parses {@code purchase=5,email_open=1}. A blank spec means no weights (every score 0).
   * Fails naming the bad entry for a missing '=', an empty type, a repeated type, or a
   * weight that is not a finite number in [0, 1000].
   */
  public static Map<String, Double> parse(String spec) {
    Map<String, Double> weights = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return weights;
    }
    for (String entry : spec.split(",")) {
      int eq = entry.indexOf('=');
      String type = eq < 0 ? "" : entry.substring(0, eq).trim();
      if (eq < 0 || type.isEmpty()) {
        throw new IllegalArgumentException("engagement weight '" + entry.trim()
            + "' is not type=weight (e.g. " + EventTypes.PURCHASE + "=5)");
      }
      double weight;
      try {
        weight = Double.parseDouble(entry.substring(eq + 1).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("engagement weight '" + entry.trim()
            + "': '" + entry.substring(eq + 1).trim() + "' is not a number");
      }
      check(type, weight);
      if (weights.put(type, weight) != null) {
        throw new IllegalArgumentException("engagement weight for '" + type
            + "' is given twice");
      }
    }
    return weights;
  }

  static void check(String type, Double weight) {
    if (weight == null || !Double.isFinite(weight) || weight < 0 || weight > 1000) {
      throw new IllegalArgumentException("engagement weight of '" + type + "' is " + weight
          + ": it must be a number in [0, 1000]");
    }
  }
}
