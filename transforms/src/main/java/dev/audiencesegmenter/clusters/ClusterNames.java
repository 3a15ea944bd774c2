package dev.audiencesegmenter.clusters;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A cluster's descriptive name from the columns where its mean stands furthest from the
 * population's, in standard deviations: up to two columns beyond 0.5 SD, each "high" or
 * "low", e.g. "high frequency, low recency_days"; "typical" when none stands out.
 */
final class ClusterNames {
  static final double STANDS_OUT = 0.5;

  private ClusterNames() {}

  static String describe(List<String> columns, double[] z) {
    List<Integer> order = new ArrayList<>();
    for (int d = 0; d < z.length; d++) {
      if (Math.abs(z[d]) >= STANDS_OUT) {
        order.add(d);
      }
    }
    order.sort(Comparator.comparingDouble((Integer d) -> -Math.abs(z[d]))
        .thenComparing(columns::get));
    if (order.isEmpty()) {
      return "typical";
    }
    List<String> parts = new ArrayList<>();
    for (int d : order.subList(0, Math.min(2, order.size()))) {
      parts.add((z[d] > 0 ? "high " : "low ") + columns.get(d));
    }
    return String.join(", ", parts);
  }
}
