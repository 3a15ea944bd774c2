package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.clusters.AssignClusters;
import dev.audiencesegmenter.clusters.ClusterSpec;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k-means recovers planted clusters (adjusted Rand index at least 0.9, k chosen by silhouette)
 * and assigns every customer the same cluster on the Direct and the Flink runner.
 */
class ClustersOnBothRunnersTest {
  private static final int PER_CLUSTER = 400;
  // Four planted groups on (frequency, monetary_total, email_opens_90d).
  private static final double[][] CENTRES = {{2, 50, 1}, {12, 900, 2}, {3, 120, 25},
      {20, 300, 12}};
  private static final double[] SPREAD = {1.0, 30, 1.5};

  @TempDir
  static Path work;

  @Test
  void plantedClustersAreRecoveredIdenticallyOnDirectAndFlink() throws IOException {
    List<CustomerFeatures> customers = new ArrayList<>();
    Map<String, Integer> planted = new HashMap<>();
    SplittableRandom random = new SplittableRandom(99);
    for (int c = 0; c < CENTRES.length; c++) {
      for (int i = 0; i < PER_CLUSTER; i++) {
        String id = "c" + c + "-" + i;
        planted.put(id, c);
        long frequency = Math.max(1, Math.round(CENTRES[c][0] + SPREAD[0] * random
            .nextGaussian()));
        double monetary = Math.max(1, CENTRES[c][1] + SPREAD[1] * random.nextGaussian());
        long opens = Math.max(0, Math.round(CENTRES[c][2] + SPREAD[2] * random.nextGaussian()));
        customers.add(customer(id, frequency, monetary, opens));
      }
    }
    ClusterSpec spec = new ClusterSpec(List.of("frequency", "monetary_total",
        "email_opens_90d"), 0, 7, 600, 3);

    Map<String, Integer> direct = run(customers, spec, "--runner=DirectRunner",
        "--targetParallelism=2", "--enforceImmutability=false");
    Map<String, Integer> flink = run(customers, spec, "--runner=FlinkRunner",
        "--flinkMaster=[local]", "--parallelism=2", "--reIterableGroupByKeyResult=true");

    assertEquals(planted.size(), direct.size());
    assertEquals(direct, flink);
    assertEquals(4, direct.values().stream().distinct().count(), "k chosen by silhouette");
    double ari = adjustedRandIndex(planted, direct);
    assertTrue(ari >= 0.9, "adjusted Rand index " + ari);
  }

  private static Map<String, Integer> run(List<CustomerFeatures> customers, ClusterSpec spec,
      String... args) throws IOException {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args).create();
    Pipeline p = Pipeline.create(options);
    Path out = work.resolve(args[0].substring("--runner=".length()));
    p.apply(Create.of(customers))
        .apply(AssignClusters.of(spec)).getFeatures()
        .apply(MapElements.into(TypeDescriptors.strings())
            .via(c -> c.getCustomerId() + " " + c.getCluster()))
        .apply(TextIO.write().to(out.resolve("part").toString()));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    Map<String, Integer> clusters = new TreeMap<>();
    try (Stream<Path> files = Files.list(out)) {
      for (Path f : files.toList()) {
        for (String line : Files.readAllLines(f)) {
          String[] parts = line.split(" ");
          clusters.put(parts[0], Integer.parseInt(parts[1]));
        }
      }
    }
    return clusters;
  }

  /** Hubert and Arabie's adjusted Rand index, from the contingency table. */
  static double adjustedRandIndex(Map<String, Integer> truth, Map<String, Integer> found) {
    Map<String, Long> cells = new HashMap<>();
    Map<Integer, Long> rows = new HashMap<>();
    Map<Integer, Long> columns = new HashMap<>();
    for (Map.Entry<String, Integer> e : truth.entrySet()) {
      int t = e.getValue();
      int f = found.get(e.getKey());
      cells.merge(t + "," + f, 1L, Long::sum);
      rows.merge(t, 1L, Long::sum);
      columns.merge(f, 1L, Long::sum);
    }
    double index = cells.values().stream().mapToDouble(ClustersOnBothRunnersTest::pairs).sum();
    double a = rows.values().stream().mapToDouble(ClustersOnBothRunnersTest::pairs).sum();
    double b = columns.values().stream().mapToDouble(ClustersOnBothRunnersTest::pairs).sum();
    double expected = a * b / pairs(truth.size());
    return (index - expected) / ((a + b) / 2 - expected);
  }

  private static double pairs(long n) {
    return n * (n - 1) / 2.0;
  }

  @Test
  void adjustedRandIndexOnAHandComputedCase() {
    // truth {a,b,c | d,e,f}, found {a,b | c,d,e,f}: cells 2,1,3 -> index 1 + 0 + 3 = 4; rows
    // 3,3 -> 6; columns 2,4 -> 1 + 6 = 7; expected 6 * 7 / 15 = 2.8; ARI = (4 - 2.8) / (6.5 -
    // 2.8) = 0.324324...
    Map<String, Integer> truth = Map.of("a", 0, "b", 0, "c", 0, "d", 1, "e", 1, "f", 1);
    Map<String, Integer> found = Map.of("a", 5, "b", 5, "c", 6, "d", 6, "e", 6, "f", 6);
    assertEquals(1.2 / 3.7, adjustedRandIndex(truth, found), 1e-12);
    assertEquals(1.0, adjustedRandIndex(truth, truth), 1e-12);
  }

  private static CustomerFeatures customer(String id, long frequency, double monetary,
      long opens) {
    return CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
        .setRecencyDays(10L).setFrequency(frequency)
        .setMonetaryTotal(BigDecimal.valueOf(monetary).setScale(2, RoundingMode.HALF_EVEN))
        .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0).setPurchases180d(0)
        .setPurchases365d(frequency).setEmailOpens90d(opens).setEmailClicks90d(0)
        .setSiteVisits30d(0).setSiteVisits90d(0).setCartAbandoned24h(false).build();
  }
}
