package dev.audiencesegmenter.pipelines.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * Pairwise precision and recall of a clustering of identifiers against the truth: a pair of
 * identifiers is predicted together when both resolve to one customer and truly together
 * when the truth puts both in one customer. Counted from cluster sizes, not pair by pair.
 */
public record PairwiseScore(long truePositivePairs, long predictedPairs, long truePairs) {

  /** Both maps go from identifier to cluster; identifiers missing from either are ignored. */
  public static PairwiseScore of(Map<String, String> truth, Map<String, String> predicted) {
    Map<String, Long> truthSizes = new HashMap<>();
    Map<String, Long> predictedSizes = new HashMap<>();
    Map<String, Long> bothSizes = new HashMap<>();
    for (Map.Entry<String, String> e : truth.entrySet()) {
      String cluster = predicted.get(e.getKey());
      if (cluster == null) {
        continue;
      }
      truthSizes.merge(e.getValue(), 1L, Long::sum);
      predictedSizes.merge(cluster, 1L, Long::sum);
      bothSizes.merge(e.getValue() + "\u0000" + cluster, 1L, Long::sum);
    }
    return new PairwiseScore(pairs(bothSizes), pairs(predictedSizes), pairs(truthSizes));
  }

  private static long pairs(Map<String, Long> sizes) {
    return sizes.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
  }

  public double precision() {
    return predictedPairs == 0 ? 1.0 : (double) truePositivePairs / predictedPairs;
  }

  public double recall() {
    return truePairs == 0 ? 1.0 : (double) truePositivePairs / truePairs;
  }
}
