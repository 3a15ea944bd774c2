package dev.audiencesegmenter.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Without the value models, a rule on a value column (or on the value tiers, ranked by
 * predicted value) would be false for every customer: the composite refuses it when the
 * pipeline is built, and builds the same rules once the models are on.
 */
class SegmentCustomersValueModelsTest {
  private static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");
  private static final String YAML = "groups:\n"
      + "  - name: campaigns\n"
      + "    segments:\n"
      + "      - name: buyers\n"
      + "        when: frequency >= 1\n"
      + "      - name: leaving\n"
      + "        when: p_alive < 0.3\n"
      + "  - name: value\n"
      + "    family: value_tiers\n";

  private static PCollectionTuple input(Pipeline p) {
    return ResolveIdentities.inputs(p.apply(Create.empty(
        SchemaCoders.of(p, CustomerEvent.class))), null);
  }

  private static SegmentCustomers flow() {
    return SegmentCustomers.of(SegmentDefinitions.parse(YAML, "segments.yaml"),
        ComputeCustomerFeatures.create().withAsOf(AS_OF));
  }

  @Test
  void rulesOnValueColumnsFailWhenTheModelsAreOff() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> input(p).apply(flow().withValueModels(null)));
    assertEquals("SegmentCustomers: the value models are off (withValueModels(null); the job's "
        + "--valueModels=false), so these rules would be false for every customer: segment "
        + "'leaving' reads p_alive, which PredictCustomerValue fills; segment 'value_low' reads "
        + "value_tier (ranked by predicted_clv_365d, which PredictCustomerValue fills); segment "
        + "'value_standard' reads value_tier (ranked by predicted_clv_365d, which "
        + "PredictCustomerValue fills); segment 'value_vip' reads value_tier (ranked by "
        + "predicted_clv_365d, which PredictCustomerValue fills). Turn the value models on, or "
        + "remove those segments.", e.getMessage());
  }

  @Test
  void theSameRulesBuildWithTheModelsOn() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    input(p).apply(flow()); // the default has the value models on
  }
}
