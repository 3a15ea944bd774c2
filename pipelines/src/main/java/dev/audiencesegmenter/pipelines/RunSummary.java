package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.identity.ConnectedComponents;
import dev.audiencesegmenter.identity.ResolveIdentities;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * The figures of a finished run, read from its Beam metrics: printed at the end and written
 * to {@code run-summary.json} under the output folder. Counts only, never identifier values.
 */
final class RunSummary {
  /** Identity counters, in the order they are reported. */
  static final List<String> IDENTITY_COUNTERS = List.of("records_resolved", "identifiers",
      "customers", "identifiers_invalid", "identifiers_placeholder", "identifiers_junk",
      "identifiers_dropped_on_records", "records_only_junk_identifiers",
      "customers_split_for_limits", "links_dropped_for_limits", "customers_over_limit_too_large",
      "customers_over_limit", "customer_ids_kept", "customers_merged", "customers_split");

  private final Map<String, Long> identity;

  private RunSummary(Map<String, Long> identity) {
    this.identity = identity;
  }

  static RunSummary of(PipelineResult result) {
    Map<String, Long> identity = new LinkedHashMap<>();
    for (String name : IDENTITY_COUNTERS) {
      identity.put(name, counter(result, name));
    }
    long rounds = 0;
    MetricQueryResults query = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ConnectedComponents.class,
            ConnectedComponents.ROUNDS_METRIC)).build());
    for (MetricResult<DistributionResult> d : query.getDistributions()) {
      rounds = Math.max(rounds, d.getAttempted().getMax());
    }
    identity.put("graph_rounds_used", rounds);
    return new RunSummary(identity);
  }

  private static long counter(PipelineResult result, String name) {
    long total = 0;
    MetricQueryResults query = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ResolveIdentities.class, name)).build());
    for (MetricResult<Long> c : query.getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  Map<String, Long> identity() {
    return identity;
  }

  String toJson() {
    StringBuilder json = new StringBuilder("{\"identity\":{");
    String sep = "";
    for (Map.Entry<String, Long> e : identity.entrySet()) {
      json.append(sep).append('"').append(e.getKey()).append("\":").append(e.getValue());
      sep = ",";
    }
    return json.append("}}\n").toString();
  }

  String toTable() {
    StringBuilder table = new StringBuilder("Identity resolution:\n");
    identity.forEach((k, v) -> table.append(String.format("  %-32s %,d%n", k, v)));
    return table.toString();
  }

  void writeTo(String outputRoot) {
    String path = (outputRoot.endsWith("/") ? outputRoot : outputRoot + "/") + "run-summary.json";
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(
        FileSystems.matchNewResource(path, false), MimeTypes.TEXT))) {
      out.write(toJson().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + path, e);
    }
  }
}
