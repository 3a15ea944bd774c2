package dev.audiencesegmenter.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link AssignClusters} as a value: applied twice, it gives two separate results. */
class AssignClustersTest {
  /** {@code n} customers around each of the frequencies in {@code centres} (spread ±1). */
  private static List<CustomerFeatures> customers(String prefix, int n, long... centres) {
    List<CustomerFeatures> out = new ArrayList<>();
    for (long centre : centres) {
      for (int i = 0; i < n; i++) {
        long frequency = centre + (i % 3) - 1;
        out.add(CustomerFeatures.builder().setCustomerId(prefix + centre + "-" + i)
            .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
            .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
            .setRecencyDays(10L).setFrequency(frequency)
            .setMonetaryTotal(BigDecimal.valueOf(10 * frequency)).setMonetaryAvg(null)
            .setPurchases30d(0).setPurchases90d(0).setPurchases180d(0)
            .setPurchases365d(frequency).setEmailOpens90d(0).setEmailClicks90d(0)
            .setSiteVisits30d(0).setSiteVisits90d(0).setCartAbandoned24h(false).build());
      }
    }
    return out;
  }

  /** The step that produced {@code output}: the first two parts of its name. */
  private static String step(PCollection<?> output) {
    String[] parts = output.getName().split("/");
    return parts[0] + "/" + parts[1].replaceFirst("\\..*", "");
  }

  @Test
  void oneInstanceAppliedTwiceGivesEachApplicationItsOwnOutputs() {
    // The clustering itself runs on both runners in ClustersOnBothRunnersTest; here only what
    // an application returns: each its own rows and profiles, not the last one's.
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner")
        .create());
    AssignClusters clusters = AssignClusters.of(
        new ClusterSpec(List.of("frequency"), 2, 7, 50, 1));
    AssignClusters.Result small = p.apply("Small", Create.of(customers("s", 30, 2, 40)))
        .apply("ClusterSmall", clusters);
    AssignClusters.Result large = p.apply("Large", Create.of(customers("l", 60, 2, 40)))
        .apply("ClusterLarge", clusters);
    assertEquals("ClusterSmall/AssignNearest", step(small.getFeatures()));
    assertEquals("ClusterSmall/Profiles", step(small.getProfiles()));
    assertEquals("ClusterLarge/AssignNearest", step(large.getFeatures()));
    assertEquals("ClusterLarge/Profiles", step(large.getProfiles()));
    assertEquals(Set.of(large.getFeatures(), large.getProfiles()),
        Set.copyOf(large.expand().values()));
  }

  @Test
  void displayDataNamesTheSettings() {
    DisplayData data = DisplayData.from(AssignClusters.of(
        new ClusterSpec(List.of("frequency", "recency_days"), 0, 11, 500, 2)));
    Map<String, Object> items = new TreeMap<>();
    data.items().forEach(i -> items.put(i.getKey(), i.getValue()));
    assertEquals(Map.of("columns", "frequency,recency_days", "k", 0L, "sampleSize", 500L,
        "iterations", 2L, "seed", 11L), items);
  }
}
