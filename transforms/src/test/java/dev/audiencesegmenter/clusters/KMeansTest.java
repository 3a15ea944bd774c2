package dev.audiencesegmenter.clusters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class KMeansTest {

  @Test
  void twoObviousGroupsOnALine() {
    // {0, 1, 2} and {10, 11, 12}: centroids 1 and 11, whatever the k-means++ draw.
    List<double[]> points = List.of(new double[] {0}, new double[] {1}, new double[] {2},
        new double[] {10}, new double[] {11}, new double[] {12});
    double[][] centroids = KMeans.fit(points, 2, 5);
    assertArrayEquals(new double[] {1}, centroids[0], 1e-12);
    assertArrayEquals(new double[] {11}, centroids[1], 1e-12);
    // Silhouette of 0: a = (1 + 2) / 2 = 1.5, b = (10 + 11 + 12) / 3 = 11, s = 9.5 / 11.
    // Of 1: a = 1, b = 10, s = 0.9. Of 2: a = 1.5, b = 9, s = 7.5 / 9. Symmetric on the other
    // side. Mean: (9.5/11 + 0.9 + 7.5/9) / 3.
    assertEquals((9.5 / 11 + 0.9 + 7.5 / 9) / 3, KMeans.silhouette(points, centroids), 1e-12);
  }

  @Test
  void theSameSeedGivesTheSameCentroids() {
    List<double[]> points = new java.util.ArrayList<>();
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int i = 0; i < 300; i++) {
      points.add(new double[] {random.nextGaussian(), random.nextGaussian()});
    }
    assertArrayEquals(KMeans.fit(points, 4, 11), KMeans.fit(points, 4, 11));
  }

  @Test
  void namesComeFromTheColumnsThatStandOut() {
    List<String> columns = List.of("frequency", "monetary_total", "recency_days");
    assertEquals("high monetary_total, low recency_days",
        ClusterNames.describe(columns, new double[] {0.6, 1.4, -0.9}));
    assertEquals("low frequency", ClusterNames.describe(columns, new double[] {-0.5, 0.1, 0}));
    assertEquals("typical", ClusterNames.describe(columns, new double[] {0.49, -0.2, 0}));
  }

  @Test
  void aSampleKeyOrdersCustomersBySeededHash() {
    // The key is 16 hex digits of SHA-256("7|ann") then the id.
    assertEquals("16150b9689bb3402|ann", AssignClusters.sampleKey(7, "ann"));
  }
}
