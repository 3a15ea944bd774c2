package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Folds one customer's profile records (and consent signals, written as profile records) into
 * the latest value of each trait. Names and values arrive normalized (see
 * {@link AddProfileTraits}).
 */
final class ProfileTraitsFn
    extends Combine.CombineFn<ProfileAttributes, LatestValues, LatestValues> {

  @Override
  public LatestValues createAccumulator() {
    return new LatestValues();
  }

  @Override
  public LatestValues addInput(LatestValues traits, ProfileAttributes profile) {
    long t = profile.getUpdateTime().getMillis();
    for (Map.Entry<String, String> e : profile.getAttributes().entrySet()) {
      traits.put(e.getKey(), t, e.getValue());
    }
    return traits;
  }

  @Override
  public LatestValues mergeAccumulators(Iterable<LatestValues> parts) {
    LatestValues merged = new LatestValues();
    for (LatestValues part : parts) {
      merged.mergeFrom(part);
    }
    return merged;
  }

  @Override
  public LatestValues extractOutput(LatestValues traits) {
    return traits;
  }

  @Override
  public Coder<LatestValues> getAccumulatorCoder(CoderRegistry registry,
      Coder<ProfileAttributes> inputCoder) {
    return new LatestValues.Coder();
  }

  @Override
  public Coder<LatestValues> getDefaultOutputCoder(CoderRegistry registry,
      Coder<ProfileAttributes> inputCoder) {
    return new LatestValues.Coder();
  }
}
