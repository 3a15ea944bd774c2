package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Adversarial graphs, each resolved exactly (against a union-find computed here) within
 * ceil(log2 d) + 2 rounds, where d is the largest component's diameter: the run is configured
 * with that many rounds, and its convergence check fails the run if they do not suffice.
 */
class ConnectedComponentsTest {
  /**
   * The Direct runner's immutability and encodability checks re-encode every element at every
   * step; on graphs of 100,000 edges they cost most of the time and prove nothing these tests
   * are about (the other identity tests keep them on).
   */
  @RegisterExtension
  final TestPipelineExtension pipeline = TestPipelineExtension.fromOptions(fastDirectOptions());

  static PipelineOptions fastDirectOptions() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    options.setTargetParallelism(2);
    return options;
  }

  private static final int SLACK = 2;

  /**
   * Buckets for most cases: the Direct runner copies a group's buffered values for every bundle
   * that adds to it, and every bucket of one step feeds every bucket of the next: each step
   * copies the graph about buckets / 2 times (the job passes {@code --groups}, 4 on this
   * runner). {@link #randomGraph} keeps the default, 64, for the signalling across many buckets.
   */
  private static final int FEW_BUCKETS = 4;

  /** Node names with hashed prefixes, so that name order is unrelated to graph structure. */
  private static String node(int i) {
    return String.format("%08x:%d", Integer.reverse(i * 0x9E3779B1), i);
  }

  @Test
  void chainOfTenThousand(TestPipeline p) {
    List<KV<String, String>> edges = new ArrayList<>();
    for (int i = 0; i + 1 < 10_000; i++) {
      edges.add(KV.of(node(i), node(i + 1)));
    }
    resolveAndCheck(p, edges, 9_999, FEW_BUCKETS);
  }

  @Test
  void sortedChainOfTenThousand(TestPipeline p) {
    // Names in path order: the case where small-star moves one step at a time if done naively.
    List<KV<String, String>> edges = new ArrayList<>();
    for (int i = 0; i + 1 < 10_000; i++) {
      edges.add(KV.of(String.format("n%05d", i), String.format("n%05d", i + 1)));
    }
    resolveAndCheck(p, edges, 9_999, FEW_BUCKETS);
  }

  @Test
  void starOfHundredThousand(TestPipeline p) {
    List<KV<String, String>> edges = new ArrayList<>();
    for (int i = 1; i <= 100_000; i++) {
      edges.add(KV.of("zz-centre", node(i))); // the centre is the largest name
    }
    resolveAndCheck(p, edges, 2, FEW_BUCKETS);
  }

  @Test
  void completeGraphOfThreeHundred(TestPipeline p) {
    List<KV<String, String>> edges = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      for (int j = i + 1; j < 300; j++) {
        edges.add(KV.of(node(i), node(j)));
      }
    }
    resolveAndCheck(p, edges, 1, FEW_BUCKETS);
  }

  @Test
  void manyTinyComponents(TestPipeline p) {
    List<KV<String, String>> edges = new ArrayList<>();
    for (int i = 0; i < 30_000; i += 3) {
      edges.add(KV.of(node(i), node(i + 1)));   // pairs and triangles, and singletons
      if (i % 2 == 0) {
        edges.add(KV.of(node(i + 1), node(i + 2)));
        edges.add(KV.of(node(i + 2), node(i)));
      } else {
        edges.add(KV.of(node(i + 2), node(i + 2)));
      }
    }
    resolveAndCheck(p, edges, 1, FEW_BUCKETS);
  }

  @Test
  void randomGraph(TestPipeline p) {
    // 20,000 nodes, 19,000 random edges: a mix of a few large tree-like components and many
    // small ones, with long paths.
    Random random = new Random(20241123);
    List<KV<String, String>> edges = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      edges.add(KV.of(node(i), node(i)));
    }
    for (int e = 0; e < 19_000; e++) {
      edges.add(KV.of(node(random.nextInt(20_000)), node(random.nextInt(20_000))));
    }
    resolveAndCheck(p, edges, largestDiameter(edges), ConnectedComponents.DEFAULT_BUCKETS);
  }

  private static void resolveAndCheck(TestPipeline p, List<KV<String, String>> edges,
      int diameter, int buckets) {
    List<KV<String, String>> shuffled = new ArrayList<>(edges);
    Collections.shuffle(shuffled, new Random(1));
    int bound = ceilLog2(diameter) + SLACK;
    PCollection<KV<String, String>> labels = p.apply(Create.of(shuffled))
        .apply(ConnectedComponents.create().withMaxRounds(bound).withBuckets(buckets));
    Map<String, String> expected = new HashMap<>();
    unionFind(edges).forEach(kv -> expected.put(kv.getKey(), kv.getValue()));
    // A map comparison: Hamcrest's containsInAnyOrder is quadratic in the element count.
    PAssert.that(labels).satisfies(actual -> {
      Map<String, String> got = new HashMap<>();
      int count = 0;
      for (KV<String, String> kv : actual) {
        got.put(kv.getKey(), kv.getValue());
        count++;
      }
      assertEquals(expected.size(), count, "one label per node");
      assertEquals(expected, got);
      return null;
    });
    PipelineResult result = p.run();
    result.waitUntilFinish();
    long used = roundsUsed(result);
    System.out.printf("%,d edges, diameter %,d: %d rounds used, bound %d%n", edges.size(),
        diameter, used, bound);
    assertTrue(used <= bound, "used " + used + " rounds, bound " + bound);
  }

  static long roundsUsed(PipelineResult result) {
    for (MetricResult<DistributionResult> d : result.metrics().queryMetrics(
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(ConnectedComponents.class,
            ConnectedComponents.ROUNDS_METRIC)).build()).getDistributions()) {
      return d.getAttempted().getMax();
    }
    return 0; // no round changed anything: every component was a star already
  }

  static int ceilLog2(int d) {
    return d <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(d - 1);
  }

  /** Every node labelled with the smallest node of its component, by union-find. */
  static List<KV<String, String>> unionFind(List<KV<String, String>> edges) {
    Map<String, String> parent = new HashMap<>();
    for (KV<String, String> e : edges) {
      union(parent, e.getKey(), e.getValue());
    }
    List<KV<String, String>> out = new ArrayList<>();
    for (String n : parent.keySet()) {
      out.add(KV.of(n, find(parent, n)));
    }
    return out;
  }

  private static String find(Map<String, String> parent, String n) {
    parent.putIfAbsent(n, n);
    String root = n;
    while (!parent.get(root).equals(root)) {
      root = parent.get(root);
    }
    while (!parent.get(n).equals(root)) {
      String next = parent.get(n);
      parent.put(n, root);
      n = next;
    }
    return root;
  }

  private static void union(Map<String, String> parent, String a, String b) {
    String ra = find(parent, a);
    String rb = find(parent, b);
    if (!ra.equals(rb)) {
      // Keep the smaller name as root, so the root is the component's smallest node.
      if (ra.compareTo(rb) < 0) {
        parent.put(rb, ra);
      } else {
        parent.put(ra, rb);
      }
    }
  }

  /** Largest diameter over components: double-sweep BFS is exact on trees, a bound otherwise. */
  static int largestDiameter(List<KV<String, String>> edges) {
    Map<String, List<String>> adj = new HashMap<>();
    for (KV<String, String> e : edges) {
      adj.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
      adj.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
    }
    int best = 0;
    Map<String, Boolean> seen = new HashMap<>();
    for (String start : adj.keySet()) {
      if (seen.containsKey(start)) {
        continue;
      }
      Map<String, Integer> dist = bfs(adj, start);
      dist.keySet().forEach(n -> seen.put(n, true));
      // Exact eccentricities are affordable here: components are small enough.
      if (dist.size() <= 3000) {
        for (String n : dist.keySet()) {
          best = Math.max(best, Collections.max(bfs(adj, n).values()));
        }
      } else {
        String far = farthest(dist);
        Map<String, Integer> second = bfs(adj, far);
        int lower = Collections.max(second.values());
        best = Math.max(best, 2 * lower); // safe upper bound: diameter <= 2 * radius
      }
    }
    assertTrue(best >= 1);
    return best;
  }

  private static String farthest(Map<String, Integer> dist) {
    return Collections.max(dist.entrySet(), Map.Entry.comparingByValue()).getKey();
  }

  private static Map<String, Integer> bfs(Map<String, List<String>> adj, String start) {
    Map<String, Integer> dist = new HashMap<>();
    ArrayDeque<String> queue = new ArrayDeque<>();
    dist.put(start, 0);
    queue.add(start);
    while (!queue.isEmpty()) {
      String u = queue.poll();
      for (String v : adj.get(u)) {
        if (!dist.containsKey(v)) {
          dist.put(v, dist.get(u) + 1);
          queue.add(v);
        }
      }
    }
    return dist;
  }

  @Test
  void ceilLog2IsRight() {
    assertEquals(0, ceilLog2(1));
    assertEquals(1, ceilLog2(2));
    assertEquals(14, ceilLog2(9_999));
    assertEquals(14, ceilLog2(16_384));
    assertEquals(15, ceilLog2(16_385));
  }
}
