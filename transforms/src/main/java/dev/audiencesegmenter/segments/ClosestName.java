package dev.audiencesegmenter.segments;

import java.util.Collection;

/** "Did you mean ...?" for a misspelt name, by edit distance. */
public final class ClosestName {
  private ClosestName() {}

  /** {@code " (did you mean 'x'?)"}, or nothing when no known name is close. */
  public static String suggestion(String wrong, Collection<String> known) {
    String best = closest(wrong, known);
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  /** The known name closest to {@code wrong}, or null when none is close enough. */
  public static String closest(String wrong, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = distance(wrong, candidate);
      if (d < bestDistance || (d == bestDistance && candidate.compareTo(best) < 0)) {
        best = candidate;
        bestDistance = d;
      }
    }
    // More than about a third of the letters changed is not a typo.
    return best != null && bestDistance <= Math.max(2, wrong.length() / 3) ? best : null;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
