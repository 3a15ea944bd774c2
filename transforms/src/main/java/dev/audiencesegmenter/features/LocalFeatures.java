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
 * memory, without Beam: the same per-customer folds ({@link CustomerFeaturesFn}, {@link
 * ProfileTraitsFn}) and the same row functions, one accumulator per customer in a map. For
 * the plain-Java baseline of the benchmark.
 */
public final class LocalFeatures {
  private LocalFeatures() {}

  /**
   * One row per customer with an event before asOf, with its profile traits (from profiles and
   * the consent of events, before asOf).
   */
  public static List<CustomerFeatures> compute(ComputeCustomerFeatures config,
      List<KV<String, CustomerEvent>> events, List<KV<String, ProfileAttributes>> profiles) {
    FeatureSettings settings = config.settings();
    long asOf = settings.asOf();
    CustomerFeaturesFn fold = new CustomerFeaturesFn(settings);
    ProfileTraitsFn traitsFold = new ProfileTraitsFn();
    Map<String, FeatureAccumulator> accumulators = new HashMap<>();
    Map<String, LatestValues> traits = new HashMap<>();
    Runnable ignore = () -> { };
    for (KV<String, CustomerEvent> e : events) {
      if (e.getValue().getEventTime().getMillis() < asOf) {
        fold.addInput(accumulators.computeIfAbsent(e.getKey(), k -> fold.createAccumulator()),
            e.getValue());
      }
      ProfileAttributes consent = AddProfileTraits.consentOf(e.getValue(), asOf);
      if (consent != null) {
        traitsFold.addInput(traits.computeIfAbsent(e.getKey(), k -> new LatestValues()),
            consent);
      }
    }
    for (KV<String, ProfileAttributes> p : profiles) {
      ProfileAttributes normalized = AddProfileTraits.normalized(p.getValue(), asOf, ignore);
      if (normalized != null) {
        traitsFold.addInput(traits.computeIfAbsent(p.getKey(), k -> new LatestValues()),
            normalized);
      }
    }
    List<CustomerFeatures> rows = new ArrayList<>(accumulators.size());
    accumulators.forEach((customer, a) -> {
      CustomerFeatures f = ComputeCustomerFeatures.toFeatures(customer, a, settings);
      LatestValues t = traits.get(customer);
      rows.add(t == null ? f : AddProfileTraits.filled(f, t, ignore));
    });
    return rows;
  }
}
