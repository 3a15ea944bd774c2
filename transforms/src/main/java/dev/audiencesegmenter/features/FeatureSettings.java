package dev.audiencesegmenter.features;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * The configuration of {@link ComputeCustomerFeatures} that workers need, in milliseconds and
 * immutable collections; validated by the transform's builder methods.
 */
record FeatureSettings(long asOf, List<String> keyFeatures, Map<String, Double> weights,
    long halfLifeMillis, long cartWindowMillis, long reactivationWindowMillis)
    implements Serializable {
  FeatureSettings {
    keyFeatures = List.copyOf(keyFeatures);
    weights = Map.copyOf(weights);
  }
}
