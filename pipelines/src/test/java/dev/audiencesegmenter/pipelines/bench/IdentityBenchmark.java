package dev.audiencesegmenter.pipelines.bench;

import dev.audiencesegmenter.identity.ConnectedComponents;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.pipelines.LargeStackSubmission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Instant;

/**
 * Identity resolution at scale, not a test: N identifiers in chains of length L (each record
 * links two neighbours of a chain, the worst case for label propagation) resolved by {@link
 * ResolveIdentities} on the Direct runner and on the Flink runner in local mode, against a
 * single-threaded in-memory union-find over the same records, in the same run. Prints a
 * Markdown table: wall time, rounds used, and the union-find time divided by each runner's.
 *
 * <pre>
 * java -cp pipelines/target/audience-segmenter-pipelines-VERSION.jar \
 *     dev.audiencesegmenter.pipelines.bench.IdentityBenchmark \
 *     --identifiers=1000000 --chain=1000 --runners=flink,direct --directIdentifiers=100000
 * </pre>
 */
public final class IdentityBenchmark {
  private IdentityBenchmark() {}

  public static void main(String[] args) {
    long identifiers = 1_000_000;
    int chain = 1000;
    long directIdentifiers = 100_000;
    List<String> runners = List.of("flink", "direct");
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      switch (kv[0]) {
        case "identifiers" -> identifiers = Long.parseLong(kv[1]);
        case "chain" -> chain = Integer.parseInt(kv[1]);
        case "directIdentifiers" -> directIdentifiers = Long.parseLong(kv[1]);
        case "runners" -> runners = List.of(kv[1].split(","));
        default -> throw new IllegalArgumentException("Unknown option '" + kv[0]
            + "'; known: identifiers, chain, directIdentifiers, runners");
      }
    }
    List<String> rows = new ArrayList<>();
    for (String runner : runners) {
      long n = runner.equals("direct") ? directIdentifiers : identifiers;
      long unionFindMillis = unionFind(n, chain);
      long start = System.nanoTime();
      PipelineResult result = resolve(runner, n, chain);
      long millis = (System.nanoTime() - start) / 1_000_000;
      rows.add(String.format(Locale.ROOT, "| %s | %,d | %,d | %d | %,d | %,d | %.3f |", runner,
          n, chain, roundsUsed(result), millis, unionFindMillis,
          (double) unionFindMillis / millis));
    }
    System.out.println("| runner | identifiers | chain length | rounds used | wall ms "
        + "| union-find ms | speed vs union-find |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /**
   * Record i of chain c links its nodes k and k + 1; node m is a device id when m is even and
   * an anonymous id when odd, so every record carries two types and the chain alternates.
   */
  static CustomerEvent record(long i, int chain) {
    long c = i / (chain - 1);
    long k = i % (chain - 1);
    return CustomerEvent.builder().setSource("bench").setSourceRecordId("r" + i)
        .setEventType("link").setEventTime(new Instant(0))
        .setIdentifiers(Map.of(type(k), c + "-" + k, type(k + 1), c + "-" + (k + 1)))
        .build();
  }

  private static String type(long node) {
    return node % 2 == 0 ? "device_id" : "anonymous_id";
  }

  /** Records needed for n identifiers: a chain of L identifiers takes L - 1 records. */
  static long records(long identifiers, int chain) {
    return identifiers / chain * (chain - 1);
  }

  private static PipelineResult resolve(String runner, long identifiers, int chain) {
    PipelineOptions options = PipelineOptionsFactory.create();
    if (runner.equals("flink")) {
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      flink.setRunner(FlinkRunner.class);
      flink.setFlinkMaster("[local]");
      flink.setParallelism(2);
      flink.setReIterableGroupByKeyResult(true);
    } else {
      DirectOptions direct = options.as(DirectOptions.class);
      direct.setRunner(DirectRunner.class);
      direct.setTargetParallelism(2);
      direct.setEnforceImmutability(false);
      direct.setEnforceEncodability(false);
    }
    Pipeline p = Pipeline.create(options);
    var events = p.apply(GenerateSequence.from(0).to(records(identifiers, chain)))
        .apply(MapElements.into(TypeDescriptor.of(CustomerEvent.class))
            .via(i -> record(i, chain)));
    // Chains mix two types so that no type limit applies; fan-out is at most 1 per type.
    ResolveIdentities.inputs(events, null)
        .apply(ResolveIdentities.create().withRules(IdentityRules.withoutLimits()))
        .getIdentities()
        .apply(Count.globally());
    PipelineResult result = LargeStackSubmission.run(p);
    result.waitUntilFinish();
    return result;
  }

  private static long roundsUsed(PipelineResult result) {
    long max = 0;
    for (MetricResult<DistributionResult> d : result.metrics().queryMetrics(MetricsFilter
        .builder().addNameFilter(MetricNameFilter.named(ConnectedComponents.class,
            ConnectedComponents.ROUNDS_METRIC)).build()).getDistributions()) {
      max = Math.max(max, d.getAttempted().getMax());
    }
    return max;
  }

  /** Single-threaded union-find over the same records (string ids, as the pipeline has). */
  static long unionFind(long identifiers, int chain) {
    long start = System.nanoTime();
    Map<String, String> parent = new HashMap<>();
    long records = records(identifiers, chain);
    for (long i = 0; i < records; i++) {
      Map<String, String> ids = record(i, chain).getIdentifiers();
      String a = "device_id:" + ids.get("device_id");
      String b = "anonymous_id:" + ids.get("anonymous_id");
      // Same work as the pipeline's nodes: one string per identifier, type:value.
      String ra = find(parent, a);
      String rb = find(parent, b);
      if (!ra.equals(rb)) {
        parent.put(ra.compareTo(rb) < 0 ? rb : ra, ra.compareTo(rb) < 0 ? ra : rb);
      }
    }
    long roots = parent.entrySet().stream().filter(e -> e.getKey().equals(e.getValue()))
        .count();
    if (roots != identifiers / chain) {
      throw new IllegalStateException("union-find found " + roots + " components");
    }
    return (System.nanoTime() - start) / 1_000_000;
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
}
