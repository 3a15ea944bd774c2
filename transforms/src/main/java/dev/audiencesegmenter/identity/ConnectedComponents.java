package dev.audiencesegmenter.identity;

import com.google.auto.value.AutoValue;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * Labels every node of an undirected graph with the smallest node of its connected component,
 * with the alternating large-star / small-star rounds of Kiveris et al., "Connected Components
 * in MapReduce and Beyond" (SoCC 2014). The number of rounds grows with the logarithm of a
 * component's size, not with its diameter: a chain of 10,000 identifiers needs about a dozen.
 *
 * <p>Each step shuffles the edge set once, grouped by hash buckets of nodes ({@link
 * #getBuckets()}): a worker holds one bucket's edges at a time, about 1/buckets of the graph,
 * never a whole component or graph. Buckets rather than single nodes keep the number of
 * groups, and so the per-group overhead of runners like the Direct runner, bounded.
 *
 * <p>Beam graphs are fixed when the pipeline is built, so the rounds are unrolled up to
 * {@link #getMaxRounds()}; rounds after convergence pass the finished stars through. A final
 * check proves convergence (every node is a root, or the child of exactly one root); if the
 * graph needed more rounds the pipeline fails with an error that says so, rather than
 * returning half-linked components.
 *
 * <p>Input: edges as {@code KV(a, b)}; {@code KV(a, a)} declares a node without neighbours.
 * Output: {@code KV(node, smallest node of its component)} for every node, once.
 */
@AutoValue
public abstract class ConnectedComponents
    extends PTransform<PCollection<KV<String, String>>, PCollection<KV<String, String>>> {

  /** Enough for components of millions of nodes in practice; see the class comment. */
  public static final int DEFAULT_MAX_ROUNDS = 20;

  public static final int DEFAULT_BUCKETS = 64;

  /**
   * Distribution metric whose maximum is the number of rounds that changed the graph: the
   * rounds a run needed (0 when every component was a star already).
   */
  public static final String ROUNDS_METRIC = "identity_graph_rounds";

  public abstract int getMaxRounds();

  public abstract int getBuckets();

  abstract Builder toBuilder();

  public static ConnectedComponents create() {
    return new AutoValue_ConnectedComponents.Builder()
        .setMaxRounds(DEFAULT_MAX_ROUNDS)
        .setBuckets(DEFAULT_BUCKETS)
        .build();
  }

  /** Upper bound of large-star / small-star rounds; at least 1. */
  public ConnectedComponents withMaxRounds(int maxRounds) {
    if (maxRounds < 1) {
      throw new IllegalArgumentException("maxRounds must be at least 1, got " + maxRounds);
    }
    return toBuilder().setMaxRounds(maxRounds).build();
  }

  /** Number of hash buckets the graph is spread over in each step; at least 1. */
  public ConnectedComponents withBuckets(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("buckets must be at least 1, got " + buckets);
    }
    return toBuilder().setBuckets(buckets).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setMaxRounds(int maxRounds);

    abstract Builder setBuckets(int buckets);

    abstract ConnectedComponents build();
  }

  private static final KvCoder<String, String> EDGE =
      KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
  private static final KvCoder<Integer, KV<String, String>> BUCKETED =
      KvCoder.of(VarIntCoder.of(), EDGE);

  @Override
  public PCollection<KV<String, String>> expand(PCollection<KV<String, String>> input) {
    int buckets = getBuckets();
    PCollection<KV<String, String>> edges =
        input.apply("CanonicalEdges", new Step(buckets, StepKind.CANONICAL, 0));
    for (int round = 1; round <= getMaxRounds(); round++) {
      edges =
          edges
              .apply("Round" + round + "/LargeStar",
                  new Step(buckets, StepKind.LARGE_STAR, round))
              .apply("Round" + round + "/SmallStar",
                  new Step(buckets, StepKind.SMALL_STAR, round));
    }
    PCollection<Long> checked =
        edges
            .apply("Convergence/NotInAStar", new Step(buckets, StepKind.CHECK, 0))
            .apply("Convergence/Count", ParDo.of(new CountOne()))
            .apply("Convergence/Sum", Sum.longsGlobally())
            .apply("Convergence/Check", ParDo.of(new FailIfUnconverged(getMaxRounds())));
    // Nodes label themselves; a converged edge (root, child) labels the child with its root.
    return PCollectionList.of(input)
        .and(edges)
        .apply("NodesAndStars", Flatten.pCollections())
        .apply("WaitForConvergenceCheck", Wait.on(checked))
        .setCoder(EDGE)
        .apply("Label", new Step(buckets, StepKind.LABEL, 0));
  }

  private enum StepKind { CANONICAL, LARGE_STAR, SMALL_STAR, CHECK, LABEL }

  static int bucket(String node, int buckets) {
    return Math.floorMod(node.hashCode(), buckets);
  }

  /** One shuffle: spread edges over node buckets, then work on each bucket in memory. */
  private static final class Step
      extends PTransform<PCollection<KV<String, String>>, PCollection<KV<String, String>>> {
    private final int buckets;
    private final StepKind kind;
    private final int round;

    Step(int buckets, StepKind kind, int round) {
      this.buckets = buckets;
      this.kind = kind;
      this.round = round;
    }

    @Override
    public PCollection<KV<String, String>> expand(PCollection<KV<String, String>> edges) {
      return edges
          .apply("ToBuckets", ParDo.of(new ToBuckets(buckets, kind)))
          .setCoder(BUCKETED)
          .apply("GroupByBucket", GroupByKey.create())
          .apply("Relink", ParDo.of(new Relink(kind, round)))
          .setCoder(EDGE);
    }
  }

  /**
   * Sends each edge to the bucket of the node whose neighbourhood the step needs, as
   * {@code KV(bucket, KV(node, neighbour))}.
   */
  private static final class ToBuckets extends DoFn<KV<String, String>, KV<Integer, KV<String,
      String>>> {
    private final int buckets;
    private final StepKind kind;

    ToBuckets(int buckets, StepKind kind) {
      this.buckets = buckets;
      this.kind = kind;
    }

    @ProcessElement
    public void process(@Element KV<String, String> edge,
        OutputReceiver<KV<Integer, KV<String, String>>> out) {
      String a = edge.getKey();
      String b = edge.getValue();
      switch (kind) {
        case CANONICAL -> {
          // Self-loops only declare nodes; edges are kept once, as (smaller, larger).
          int c = a.compareTo(b);
          if (c != 0) {
            String small = c < 0 ? a : b;
            String large = c < 0 ? b : a;
            out.output(KV.of(bucket(large, buckets), KV.of(large, small)));
          }
        }
        case LARGE_STAR, CHECK -> {
          out.output(KV.of(bucket(a, buckets), KV.of(a, b)));
          out.output(KV.of(bucket(b, buckets), KV.of(b, a)));
        }
        case SMALL_STAR -> out.output(KV.of(bucket(b, buckets), KV.of(b, a)));
        case LABEL -> {
          // Every endpoint is a node. An input edge offers a node of the same component, and a
          // converged edge (root, child) the root, as a label: the smallest offer is the root.
          out.output(KV.of(bucket(b, buckets), KV.of(b, a)));
          out.output(KV.of(bucket(a, buckets), KV.of(a, a)));
        }
        default -> throw new IllegalStateException(kind.toString());
      }
    }
  }

  /**
   * Works on the neighbourhoods of one bucket's nodes. Canonical edges come in as (larger,
   * smaller); large-star and check get both directions; small-star gets (node, smaller
   * neighbour); label gets (node, candidate label).
   */
  private static final class Relink
      extends DoFn<KV<Integer, Iterable<KV<String, String>>>, KV<String, String>> {
    private final StepKind kind;
    private final int round;
    private final Distribution rounds =
        Metrics.distribution(ConnectedComponents.class, ROUNDS_METRIC);

    Relink(StepKind kind, int round) {
      this.kind = kind;
      this.round = round;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, String>>> bucket,
        OutputReceiver<KV<String, String>> out) {
      Map<String, Set<String>> neighbours = new HashMap<>();
      for (KV<String, String> e : bucket.getValue()) {
        neighbours.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(e.getValue());
      }
      boolean changed = false;
      for (Map.Entry<String, Set<String>> node : neighbours.entrySet()) {
        changed |= changes(node.getKey(), node.getValue());
        relink(node.getKey(), node.getValue(), out);
      }
      if (changed) {
        rounds.update(round); // its maximum is the last round that changed the graph
      }
    }

    /** Whether relinking u moves any edge: the graph is not yet a set of stars around u. */
    private boolean changes(String u, Set<String> around) {
      switch (kind) {
        case LARGE_STAR -> {
          String min = min(u, around);
          return !min.equals(u) && around.stream().anyMatch(v -> v.compareTo(u) > 0);
        }
        case SMALL_STAR -> {
          return around.size() > 1;
        }
        default -> {
          return false;
        }
      }
    }

    private void relink(String u, Set<String> around, OutputReceiver<KV<String, String>> out) {
      switch (kind) {
        case CANONICAL -> {
          for (String v : around) {
            out.output(KV.of(v, u));
          }
        }
        case LARGE_STAR -> {
          // Link every larger neighbour to the smallest node of u's neighbourhood.
          String min = min(u, around);
          for (String v : around) {
            if (v.compareTo(u) > 0) {
              out.output(KV.of(min, v));
            }
          }
        }
        case SMALL_STAR -> {
          // Link u and its smaller neighbours to the smallest of them.
          String min = min(u, around);
          if (!u.equals(min)) {
            out.output(KV.of(min, u));
          }
          for (String v : around) {
            if (!v.equals(min)) {
              out.output(KV.of(min, v));
            }
          }
        }
        case CHECK -> {
          // In a finished star a node is a root (all neighbours larger) or has exactly one,
          // smaller, neighbour that is a root. Reported once per node that is not.
          TreeSet<String> smaller = new TreeSet<>();
          boolean hasLarger = false;
          for (String v : around) {
            if (v.compareTo(u) < 0) {
              smaller.add(v);
            } else if (v.compareTo(u) > 0) {
              hasLarger = true;
            }
          }
          if (smaller.size() > 1 || (smaller.size() == 1 && hasLarger)) {
            out.output(KV.of(u, u));
          }
        }
        case LABEL -> out.output(KV.of(u, min(u, around)));
        default -> throw new IllegalStateException(kind.toString());
      }
    }

    private static String min(String u, Set<String> around) {
      String min = u;
      for (String v : around) {
        if (v.compareTo(min) < 0) {
          min = v;
        }
      }
      return min;
    }
  }

  private static final class CountOne extends DoFn<KV<String, String>, Long> {
    @ProcessElement
    public void process(OutputReceiver<Long> out) {
      out.output(1L);
    }
  }

  private static final class FailIfUnconverged extends DoFn<Long, Long> {
    private final int maxRounds;
    private final Counter unconvergedNodes =
        Metrics.counter(ConnectedComponents.class, "identifiers_not_converged");

    FailIfUnconverged(int maxRounds) {
      this.maxRounds = maxRounds;
    }

    @ProcessElement
    public void process(@Element Long count, OutputReceiver<Long> out) {
      if (count > 0) {
        unconvergedNodes.inc(count);
        throw new IllegalStateException("Identity graph did not converge in " + maxRounds
            + " rounds: " + count + " identifiers are not yet linked to their customer's root."
            + " Raise the maximum number of rounds (ResolveIdentities.withMaxRounds).");
      }
      out.output(count);
    }
  }
}
