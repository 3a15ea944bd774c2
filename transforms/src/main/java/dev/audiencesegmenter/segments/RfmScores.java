package dev.audiencesegmenter.segments;

import java.util.List;
import java.util.Map;

/**
 * RFM scoring: a value's score 1-5 from the quintile boundaries of its column, and the named
 * segment of an (R, F) cell, following the widely used map:
 *
 * <pre>
 * R \ F   1                 2                   3                   4          5
 *   5     new_customers     potential_loyalist  potential_loyalist  champions  champions
 *   4     promising         potential_loyalist  potential_loyalist  loyal      loyal
 *   3     about_to_sleep    about_to_sleep      need_attention      loyal      loyal
 *   2     hibernating       hibernating         at_risk             at_risk    cant_lose_them
 *   1     lost              hibernating         at_risk             at_risk    cant_lose_them
 * </pre>
 *
 * <p>Ties: the four quintile boundaries cut the values into right-closed bins, (-inf, q20],
 * (q20, q40], ..., (q80, +inf), as {@code pandas.qcut} does; frequency and monetary score
 * 1 to 5 from the lowest bin up, recency 5 to 1 (a smaller recency is better). Equal values
 * always share a score, and a value equal to a boundary falls in the bin below it. So when most
 * buyers bought once, q20 to q60 are all 1: they all score F = 1 and two purchases score F 4,
 * rather than equal customers being spread arbitrarily over several scores.
 */
public final class RfmScores {
  private RfmScores() {}

  /** The eleven named segments, best first. */
  public static final List<String> SEGMENTS = List.of("champions", "loyal",
      "potential_loyalist", "new_customers", "promising", "need_attention", "about_to_sleep",
      "at_risk", "cant_lose_them", "hibernating", "lost");

  private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
      Map.entry("champions", "Champions: bought recently and often (R 5, F 4-5)"),
      Map.entry("loyal", "Loyal: buy often, fairly recently (R 3-4, F 4-5)"),
      Map.entry("potential_loyalist", "Potential loyalists: recent, a few purchases "
          + "(R 4-5, F 2-3)"),
      Map.entry("new_customers", "New customers: first purchase very recently (R 5, F 1)"),
      Map.entry("promising", "Promising: one recent purchase (R 4, F 1)"),
      Map.entry("need_attention", "Need attention: average recency and frequency (R 3, F 3)"),
      Map.entry("about_to_sleep", "About to sleep: few purchases, fading (R 3, F 1-2)"),
      Map.entry("at_risk", "At risk: bought often, but long ago (R 1-2, F 3-4)"),
      Map.entry("cant_lose_them", "Can't lose them: the most frequent buyers, gone quiet "
          + "(R 1-2, F 5)"),
      Map.entry("hibernating", "Hibernating: few purchases, long ago (R 1-2, F 1-2, not "
          + "R 1 F 1)"),
      Map.entry("lost", "Lost: one purchase, long ago (R 1, F 1)"));

  /** A one-line description of a named segment, with its cells. */
  public static String describe(String segment) {
    String d = DESCRIPTIONS.get(segment);
    if (d == null) {
      throw new IllegalArgumentException("not an RFM segment: '" + segment + "'");
    }
    return d;
  }

  /** Score of a value where greater is better, from the 4 ascending quintile boundaries. */
  static int higherIsBetter(double value, double[] boundaries) {
    int score = 1;
    for (double b : boundaries) {
      if (value > b) {
        score++;
      }
    }
    return score;
  }

  /** Score of a value where smaller is better (recency), from the 4 ascending boundaries. */
  static int lowerIsBetter(double value, double[] boundaries) {
    return 6 - higherIsBetter(value, boundaries);
  }

  /** The named segment of cell (r, f), both 1 to 5. */
  public static String segment(int r, int f) {
    if (r < 1 || r > 5 || f < 1 || f > 5) {
      throw new IllegalArgumentException("RFM scores run from 1 to 5, got r=" + r + ", f=" + f);
    }
    if (r == 5 && f >= 4) {
      return "champions";
    }
    if (r >= 3 && f >= 4) {
      return "loyal";
    }
    if (r >= 4 && f >= 2) {
      return "potential_loyalist";
    }
    if (r == 5) {
      return "new_customers";
    }
    if (r == 4) {
      return "promising";
    }
    if (r == 3) {
      return f == 3 ? "need_attention" : "about_to_sleep";
    }
    if (f == 5) {
      return "cant_lose_them";
    }
    if (f >= 3) {
      return "at_risk";
    }
    return r == 1 && f == 1 ? "lost" : "hibernating";
  }
}
