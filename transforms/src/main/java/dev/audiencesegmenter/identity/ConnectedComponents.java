package dev.audiencesegmenter.identity;

import com.google.auto.value.AutoValue;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
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
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Labels every node of an undirected graph with the smallest node of its connected component,
 * with the alternating large-star / small-star rounds of Kiveris et al., "Connected Components
 * in MapReduce and Beyond" (SoCC 2014). The number of rounds grows with the logarithm of a
 * component's size, not with its diameter: a chain of 10,000 identifiers needs about a dozen.
 *
 * <pre>{@code
 * // edges between identifiers ("email:a@x.org" -> "user_id:u1"), both ways or one way
 * PCollection<KV<String, String>> components =
 *     edges.apply(ConnectedComponents.create().withMaxRounds(20));  // node -> smallest node
 * }</pre>
 *
 * <p>Each step shuffles the edge set once, grouped by hash buckets of nodes ({@link
 * #getBuckets()}): a worker holds one bucket's edges at a time, about 1/buckets of the graph,
 * never a whole component or graph. Buckets rather than single nodes keep the number of
 * groups, and so the per-group overhead of runners like the Direct runner, bounded.
 *
 * <p>Beam graphs are fixed when the pipeline is built, so the rounds are unrolled up to
 * {@link #getMaxRounds()}, and the work ends with convergence: each large-star step checks its
 * nodes (is each a root, or the child of exactly one root?) and, for any that is not, signals
 * every bucket of the small-star step that follows. A small-star step that gets no signal
 * holds only stars: it sets them aside for labelling, and the remaining rounds get no edges.
 * A graph that converges in three rounds costs four. A final check proves convergence; if the
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
  /** Bucketed edges, and {@code KV(bucket, null)}: "some node was not in a star". */
  private static final KvCoder<Integer, KV<String, String>> BUCKETED_OR_SIGNAL =
      KvCoder.of(VarIntCoder.of(), NullableCoder.of(EDGE));
  private static final TupleTag<KV<String, String>> ACTIVE = new TupleTag<>("active") {};
  private static final TupleTag<KV<String, String>> DONE = new TupleTag<>("done") {};

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("maxRounds", getMaxRounds()))
        .add(DisplayData.item("buckets", getBuckets()));
  }

  @Override
  public PCollection<KV<String, String>> expand(PCollection<KV<String, String>> input) {
    int buckets = getBuckets();
    PCollection<KV<String, String>> edges =
        input.apply("CanonicalEdges", new Step(buckets, StepKind.CANONICAL));
    // Stars set aside by the round that found them: later rounds get no edges.
    PCollectionList<KV<String, String>> finished = PCollectionList.empty(input.getPipeline());
    for (int round = 1; round <= getMaxRounds(); round++) {
      PCollectionTuple stars =
          edges
              .apply("Round" + round + "/LargeStar/ToBuckets",
                  ParDo.of(new ToBuckets(buckets, StepKind.LARGE_STAR)))
              .setCoder(BUCKETED)
              .apply("Round" + round + "/LargeStar/GroupByBucket", GroupByKey.create())
              .apply("Round" + round + "/LargeStar/Relink",
                  ParDo.of(new LargeStarRelink(buckets, round)))
              .setCoder(BUCKETED_OR_SIGNAL)
              .apply("Round" + round + "/SmallStar/GroupByBucket", GroupByKey.create())
              .apply("Round" + round + "/SmallStar/Relink", ParDo.of(new SmallStarRelink(round))
                  .withOutputTags(ACTIVE, TupleTagList.of(DONE)));
      edges = stars.get(ACTIVE).setCoder(EDGE);
      finished = finished.and(stars.get(DONE).setCoder(EDGE));
    }
    PCollection<Long> checked =
        edges
            .apply("Convergence/NotInAStar", new Step(buckets, StepKind.CHECK))
            .apply("Convergence/Count", ParDo.of(new CountOne()))
            .apply("Convergence/Sum", Sum.longsGlobally())
            .apply("Convergence/Check", ParDo.of(new FailIfUnconverged(getMaxRounds())));
    // Nodes label themselves; a converged edge (root, child) labels the child with its root.
    return PCollectionList.of(input)
        .and(finished.getAll())
        .and(edges)
        .apply("NodesAndStars", Flatten.pCollections())
        .apply("WaitForConvergenceCheck", Wait.on(checked))
        .setCoder(EDGE)
        .apply("Label", new Step(buckets, StepKind.LABEL));
  }

  private enum StepKind { CANONICAL, LARGE_STAR, CHECK, LABEL }

  static int bucket(String node, int buckets) {
    return Math.floorMod(node.hashCode(), buckets);
  }

  /** One shuffle: spread edges over node buckets, then work on each bucket in memory. */
  private static final class Step
      extends PTransform<PCollection<KV<String, String>>, PCollection<KV<String, String>>> {
    private final int buckets;
    private final StepKind kind;

    Step(int buckets, StepKind kind) {
      this.buckets = buckets;
      this.kind = kind;
    }

    @Override
    public PCollection<KV<String, String>> expand(PCollection<KV<String, String>> edges) {
      return edges
          .apply("ToBuckets", ParDo.of(new ToBuckets(buckets, kind)))
          .setCoder(BUCKETED)
          .apply("GroupByBucket", GroupByKey.create())
          .apply("Relink", ParDo.of(new Relink(kind)))
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

  /** A bucket's edges as neighbourhoods: node to neighbours. */
  private static Map<String, Set<String>> neighbourhoods(Iterable<KV<String, String>> edges) {
    Map<String, Set<String>> neighbours = new HashMap<>();
    for (KV<String, String> e : edges) {
      neighbours.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(e.getValue());
    }
    return neighbours;
  }

  /**
   * Whether u is in a finished star: a root (all neighbours larger) or the child of exactly one,
   * smaller, neighbour (that neighbour's own check tells whether it is a root).
   */
  private static boolean inAStar(String u, Set<String> around) {
    int smaller = 0;
    boolean hasLarger = false;
    for (String v : around) {
      int c = v.compareTo(u);
      if (c < 0) {
        smaller++;
      } else if (c > 0) {
        hasLarger = true;
      }
    }
    return smaller == 0 || (smaller == 1 && !hasLarger);
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

  /**
   * Canonical edges, the convergence check and labels: canonical edges come in as (larger,
   * smaller), the check gets both directions, labelling gets (node, candidate label).
   */
  private static final class Relink
      extends DoFn<KV<Integer, Iterable<KV<String, String>>>, KV<String, String>> {
    private final StepKind kind;

    Relink(StepKind kind) {
      this.kind = kind;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, String>>> bucket,
        OutputReceiver<KV<String, String>> out) {
      for (Map.Entry<String, Set<String>> node : neighbourhoods(bucket.getValue()).entrySet()) {
        String u = node.getKey();
        Set<String> around = node.getValue();
        switch (kind) {
          case CANONICAL -> around.forEach(v -> out.output(KV.of(v, u)));
          case CHECK -> {
            if (!inAStar(u, around)) {
              out.output(KV.of(u, u)); // once per node that is not in a star
            }
          }
          case LABEL -> out.output(KV.of(u, min(u, around)));
          default -> throw new IllegalStateException(kind.toString());
        }
      }
    }
  }

  /**
   * Large star on the neighbourhoods (both directions) of one bucket's nodes: every larger
   * neighbour of u is linked to the smallest node of u's neighbourhood. Output bucketed for the
   * small-star step, with a signal to each of its buckets when a node here is not in a star.
   */
  private static final class LargeStarRelink
      extends DoFn<KV<Integer, Iterable<KV<String, String>>>, KV<Integer, KV<String, String>>> {
    private final int buckets;
    private final int round;
    private final Distribution rounds =
        Metrics.distribution(ConnectedComponents.class, ROUNDS_METRIC);

    LargeStarRelink(int buckets, int round) {
      this.buckets = buckets;
      this.round = round;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, String>>> bucket,
        OutputReceiver<KV<Integer, KV<String, String>>> out) {
      boolean changed = false;
      boolean allInStars = true;
      for (Map.Entry<String, Set<String>> node : neighbourhoods(bucket.getValue()).entrySet()) {
        String u = node.getKey();
        Set<String> around = node.getValue();
        allInStars &= inAStar(u, around);
        String min = min(u, around);
        for (String v : around) {
          if (v.compareTo(u) > 0) {
            changed |= !min.equals(u);
            out.output(KV.of(bucket(v, buckets), KV.of(v, min))); // edge (min, v)
          }
        }
      }
      if (changed) {
        rounds.update(round); // its maximum is the last round that changed the graph
      }
      if (!allInStars) {
        for (int b = 0; b < buckets; b++) {
          out.output(KV.of(b, null));
        }
      }
    }
  }

  /**
   * Small star on (node, neighbour) pairs grouped by the node's bucket: u and its smaller
   * neighbours are linked to the smallest of them. Without a signal from the large-star step
   * every node was in a star, and stars are what both steps leave as they are: the edges go to
   * {@link #DONE} unchanged.
   */
  private static final class SmallStarRelink
      extends DoFn<KV<Integer, Iterable<KV<String, String>>>, KV<String, String>> {
    private final int round;
    private final Distribution rounds =
        Metrics.distribution(ConnectedComponents.class, ROUNDS_METRIC);

    SmallStarRelink(int round) {
      this.round = round;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, String>>> bucket,
        MultiOutputReceiver out) {
      // One pass: a runner may hand the group over as an iterable that can be read only once.
      boolean signalled = false;
      Map<String, Set<String>> neighbours = new HashMap<>();
      for (KV<String, String> e : bucket.getValue()) {
        if (e == null) {
          signalled = true;
        } else {
          neighbours.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(e.getValue());
        }
      }
      if (!signalled) {
        OutputReceiver<KV<String, String>> done = out.get(DONE);
        neighbours.forEach((u, around) -> around.forEach(v -> done.output(KV.of(v, u))));
        return;
      }
      OutputReceiver<KV<String, String>> active = out.get(ACTIVE);
      boolean changed = false;
      for (Map.Entry<String, Set<String>> node : neighbours.entrySet()) {
        String u = node.getKey();
        Set<String> around = node.getValue();
        changed |= around.size() > 1;
        String min = min(u, around);
        if (!u.equals(min)) {
          active.output(KV.of(min, u));
        }
        for (String v : around) {
          if (!v.equals(min)) {
            active.output(KV.of(min, v));
          }
        }
      }
      if (changed) {
        rounds.update(round);
      }
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
