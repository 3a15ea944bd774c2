package dev.audiencesegmenter.report;

import java.io.Serializable;

/**
 * The thresholds of the validation flags (see transforms/README.md, "Segment summary and report"):
 *
 * <ul>
 *   <li>substantial: size at least the segment's {@code min_size} (else {@code defaultMinSize})
 *       and revenue at least its {@code min_revenue} (when given);
 *   <li>accessible: at least {@code minReachableShare} of the members consented on a channel
 *       of the plan;
 *   <li>differentiable: a key feature with |standardized mean difference| of at least
 *       {@code minSmd} against the rest (0.5: a "medium" effect);
 *   <li>stable: membership churn against the previous run at most {@code maxMembershipChurn}.
 * </ul>
 */
public record SegmentValidation(long defaultMinSize, double minReachableShare, double minSmd,
    double maxMembershipChurn) implements Serializable {

  public static final SegmentValidation DEFAULTS = new SegmentValidation(100, 0.5, 0.5, 0.5);

  public SegmentValidation {
    if (defaultMinSize < 0) {
      throw new IllegalArgumentException("defaultMinSize must be 0 or more, got "
          + defaultMinSize);
    }
    check("minReachableShare", minReachableShare);
    check("maxMembershipChurn", maxMembershipChurn);
    if (!(minSmd >= 0)) {
      throw new IllegalArgumentException("minSmd must be 0 or more, got " + minSmd);
    }
  }

  private static void check(String name, double share) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], got " + share);
    }
  }

  /** The tier of a priority score (4 to 40). */
  public static String tier(int score) {
    return score >= 30 ? "primary" : score >= 20 ? "secondary" : "opportunistic";
  }
}
