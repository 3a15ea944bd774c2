package dev.audiencesegmenter.clusters;

import java.io.Serializable;
import java.util.List;

/**
 * What to cluster on: numeric feature columns, the number of clusters ({@code k}, or 0 to
 * choose it from 3 to 7 by silhouette on the sample), the seed of every random choice, the
 * sample size for seeding and choosing k, and the number of distributed Lloyd iterations.
 * The sample is clustered to convergence in memory; the distributed iterations then refine
 * the centroids on all customers, so a few are enough (default 2, at most 4).
 */
public record ClusterSpec(List<String> columns, int k, long seed, int sampleSize,
    int iterations) implements Serializable {
  public static final int MIN_AUTO_K = 3;
  public static final int MAX_AUTO_K = 7;
  public static final int MAX_ITERATIONS = 4;
  public static final int DEFAULT_SAMPLE_SIZE = 5000;
  public static final int DEFAULT_ITERATIONS = 2;

  public ClusterSpec {
    columns = List.copyOf(columns);
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("clusters need at least one feature column");
    }
    if (k != 0 && (k < 2 || k > 50)) {
      throw new IllegalArgumentException("k must be from 2 to 50, or 0 to choose it, got " + k);
    }
    if (sampleSize < 50) {
      throw new IllegalArgumentException("sample_size must be at least 50, got " + sampleSize);
    }
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be from 1 to " + MAX_ITERATIONS
          + ", got " + iterations + " (each distributed iteration nests the pipeline graph "
          + "once more, and Flink's batch optimizer walks nested graphs exponentially)");
    }
  }

  /** The most clusters a run can produce: k, or 7 when k is chosen. */
  public int maxClusters() {
    return k == 0 ? MAX_AUTO_K : k;
  }
}
