package dev.audiencesegmenter.clusters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * In-memory k-means for the sample that seeds the distributed iterations: k-means++ seeding
 * from a {@link SplittableRandom} with a fixed seed, then Lloyd iterations; and the mean
 * silhouette used to choose k. Deterministic: the same points and seed give the same
 * centroids. Points are standardized vectors.
 */
final class KMeans {
  static final int SAMPLE_ITERATIONS = 100;
  /** Silhouettes are O(n²): they are measured on at most this many points of the sample. */
  static final int SILHOUETTE_POINTS = 2000;

  private KMeans() {}

  /** k centroids for {@code points}, sorted lexicographically (a stable numbering). */
  static double[][] fit(List<double[]> points, int k, long seed) {
    if (points.size() < k) {
      throw new IllegalArgumentException("k-means needs at least k = " + k
          + " customers with the clustering features, got " + points.size());
    }
    double[][] centroids = plusPlus(points, k, new SplittableRandom(seed));
    for (int it = 0; it < SAMPLE_ITERATIONS; it++) {
      double[][] next = new double[k][];
      double[][] sums = new double[k][points.get(0).length];
      int[] counts = new int[k];
      for (double[] p : points) {
        int c = nearest(p, centroids);
        counts[c]++;
        for (int d = 0; d < p.length; d++) {
          sums[c][d] += p[d];
        }
      }
      boolean moved = false;
      for (int c = 0; c < k; c++) {
        next[c] = counts[c] == 0 ? centroids[c] : divide(sums[c], counts[c]);
        moved |= !Arrays.equals(next[c], centroids[c]);
      }
      centroids = next;
      if (!moved) {
        break;
      }
    }
    Arrays.sort(centroids, LEXICOGRAPHIC);
    return centroids;
  }

  static final Comparator<double[]> LEXICOGRAPHIC = (a, b) -> {
    for (int d = 0; d < a.length; d++) {
      int c = Double.compare(a[d], b[d]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  };

  private static double[][] plusPlus(List<double[]> points, int k, SplittableRandom random) {
    List<double[]> chosen = new ArrayList<>();
    chosen.add(points.get(random.nextInt(points.size())));
    double[] distance = new double[points.size()];
    while (chosen.size() < k) {
      double total = 0;
      for (int i = 0; i < points.size(); i++) {
        distance[i] = squaredDistance(points.get(i), chosen.get(nearest(points.get(i),
            chosen.toArray(new double[0][]))));
        total += distance[i];
      }
      double target = random.nextDouble() * total;
      int pick = 0;
      for (double acc = distance[0]; acc <= target && pick < points.size() - 1; ) {
        acc += distance[++pick];
      }
      chosen.add(points.get(pick));
    }
    return chosen.toArray(new double[0][]);
  }

  /** Index of the nearest centroid; ties go to the lower index. */
  static int nearest(double[] p, double[][] centroids) {
    int best = 0;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int c = 0; c < centroids.length; c++) {
      double d = squaredDistance(p, centroids[c]);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }

  static double squaredDistance(double[] a, double[] b) {
    double s = 0;
    for (int d = 0; d < a.length; d++) {
      double diff = a[d] - b[d];
      s += diff * diff;
    }
    return s;
  }

  /**
   * Mean silhouette of the (first {@link #SILHOUETTE_POINTS}) points under {@code centroids}'
   * assignment: for each point, (b - a) / max(a, b) with a its mean distance to its own
   * cluster and b to the nearest other one.
   */
  static double silhouette(List<double[]> all, double[][] centroids) {
    List<double[]> points = all.size() <= SILHOUETTE_POINTS ? all
        : all.subList(0, SILHOUETTE_POINTS);
    int k = centroids.length;
    int[] label = new int[points.size()];
    int[] sizes = new int[k];
    for (int i = 0; i < points.size(); i++) {
      label[i] = nearest(points.get(i), centroids);
      sizes[label[i]]++;
    }
    double total = 0;
    for (int i = 0; i < points.size(); i++) {
      double[] sum = new double[k];
      for (int j = 0; j < points.size(); j++) {
        if (i != j) {
          sum[label[j]] += Math.sqrt(squaredDistance(points.get(i), points.get(j)));
        }
      }
      int own = label[i];
      if (sizes[own] <= 1) {
        continue; // a singleton's silhouette is 0 by convention
      }
      double a = sum[own] / (sizes[own] - 1);
      double b = Double.POSITIVE_INFINITY;
      for (int c = 0; c < k; c++) {
        if (c != own && sizes[c] > 0) {
          b = Math.min(b, sum[c] / sizes[c]);
        }
      }
      total += (b - a) / Math.max(a, b);
    }
    return total / points.size();
  }

  private static double[] divide(double[] sum, int n) {
    double[] out = new double[sum.length];
    for (int d = 0; d < sum.length; d++) {
      out[d] = sum[d] / n;
    }
    return out;
  }
}
