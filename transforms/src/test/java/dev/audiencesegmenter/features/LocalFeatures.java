package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.KV;

/**
 * {@link ComputeCustomerFeatures} followed by {@link AddProfileTraits}, in one thread, in
 * memory, without Beam: one {@link CustomerFeaturesFold} state per customer, the fold the batch
 * flow runs per customer. For the plain-Java baseline of the benchmark.
 */
public final class LocalFeatures {
  private LocalFeatures() {}

  /**
   * One row per customer with an event before asOf, with its profile traits (from profiles
   * before asOf, and consent from every profile and event, later ones included).
   */
  public static List<CustomerFeatures> compute(ComputeCustomerFeatures config,
      List<KV<String, CustomerEvent>> events, List<KV<String, ProfileAttributes>> profiles) {
    CustomerFeaturesFold fold = CustomerFeaturesFold.of(config);
    Map<String, CustomerFeaturesFold.State> customers = new HashMap<>();
    for (KV<String, CustomerEvent> e : events) {
      fold.addEvent(customers.computeIfAbsent(e.getKey(), k -> fold.newState()), e.getValue());
    }
    for (KV<String, ProfileAttributes> p : profiles) {
      fold.addProfile(customers.computeIfAbsent(p.getKey(), k -> fold.newState()),
          p.getValue());
    }
    List<CustomerFeatures> rows = new ArrayList<>(customers.size());
    customers.forEach((customer, state) -> {
      CustomerFeatures f = fold.features(customer, state);
      if (f != null) {
        rows.add(f);
      }
    });
    return rows;
  }
}
