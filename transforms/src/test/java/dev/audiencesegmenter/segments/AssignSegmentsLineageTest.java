package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.clv.AddCustomerValue;
import dev.audiencesegmenter.clv.PredictCustomerValue;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SchemaCoders;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A rule that reads a column nothing upstream fills fails when the pipeline is built, naming
 * the segment, the column and the transform that fills it (before, it was false for every
 * customer, with only the rule_null_or_error metric to say so).
 */
class AssignSegmentsLineageTest {
  private static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");
  private static final String YAML = "groups:\n"
      + "  - name: value\n"
      + "    exclusive: false\n"
      + "    segments:\n"
      + "      - name: buyers\n"
      + "        when: frequency >= 1\n"
      + "      - name: champions\n"
      + "        when: r_score >= 4 && f_score >= 4\n"
      + "      - name: at_risk\n"
      + "        when: lifecycle_stage == 'at_risk' && churn_risk > 0.5\n";

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
  }

  private static KV<String, CustomerEvent> purchase(String customer, String id, String time) {
    return KV.of(customer, CustomerEvent.builder().setSource("shop").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(Instant.parse(time))
        .setIdentifiers(Map.of("user_id", customer)).setRevenue(new BigDecimal("10.00"))
        .build());
  }

  private static PCollection<KV<String, CustomerEvent>> events(Pipeline p) {
    return p.apply("Events", Create.of(purchase("a", "1", "2024-05-01T00:00:00Z"),
        purchase("a", "2", "2024-06-01T00:00:00Z"), purchase("b", "3", "2024-02-01T00:00:00Z")));
  }

  @Test
  void definitionsKnowTheColumnsEachRuleReads() {
    SegmentDefinitions definitions = SegmentDefinitions.parse(YAML, "t.yaml");
    assertEquals(Map.of("buyers", List.of("frequency"),
        "champions", List.of("f_score", "r_score"),
        "at_risk", List.of("churn_risk", "lifecycle_stage")), definitions.getColumnsRead());
  }

  @Test
  void rulesOnColumnsNoStageFilledFailWhenThePipelineIsBuilt() {
    Pipeline p = pipeline();
    PCollection<CustomerFeatures> features = events(p)
        .apply(ComputeCustomerFeatures.create().withAsOf(AS_OF));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> features.apply(AssignSegments.of(SegmentDefinitions.parse(YAML, "t.yaml"))));
    assertEquals("AssignSegments: nothing before it fills the columns these rules read, so "
        + "they would be false for every customer: segment 'at_risk' reads churn_risk, which "
        + "PredictCustomerValue fills; segment 'at_risk' reads lifecycle_stage, which "
        + "AssignLifecycleStage fills; segment 'champions' reads f_score, which "
        + "AddSegmentScores fills; segment 'champions' reads r_score, which AddSegmentScores "
        + "fills. Apply those transforms first (in the order ComputeCustomerFeatures, "
        + "AddProfileTraits, PredictCustomerValue with AddCustomerValue, AssignLifecycleStage, "
        + "AddSegmentScores, AssignClusters, ScoreLookalikes), or use SegmentCustomers, which "
        + "applies each one the segment file needs.", e.getMessage());
  }

  @Test
  void theSameRulesPassOnceTheStagesThatFillTheirColumnsAreApplied() {
    Pipeline p = pipeline();
    PCollection<KV<String, CustomerEvent>> events = events(p);
    PredictCustomerValue.Result value = events.apply(PredictCustomerValue.create().withAsOf(AS_OF));
    PCollection<CustomerFeatures> features = AddCustomerValue
        .inputs(events.apply(ComputeCustomerFeatures.create().withAsOf(AS_OF)), value)
        .apply(AddCustomerValue.create())
        .apply(AssignLifecycleStage.create())
        .apply(AddSegmentScores.create());
    features.apply(AssignSegments.of(SegmentDefinitions.parse(YAML, "t.yaml")));
    // and one stage short, only its columns are named
    Pipeline q = pipeline();
    PCollection<KV<String, CustomerEvent>> moreEvents = events(q);
    PCollection<CustomerFeatures> unscored = AddCustomerValue
        .inputs(moreEvents.apply(ComputeCustomerFeatures.create().withAsOf(AS_OF)),
            moreEvents.apply(PredictCustomerValue.create().withAsOf(AS_OF)))
        .apply(AddCustomerValue.create())
        .apply(AssignLifecycleStage.create());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> unscored.apply(AssignSegments.of(SegmentDefinitions.parse(YAML, "t.yaml"))));
    assertEquals(true, e.getMessage().contains("segment 'champions' reads f_score, which "
        + "AddSegmentScores fills; segment 'champions' reads r_score, which AddSegmentScores "
        + "fills. Apply"), e.getMessage());
  }

  @Test
  void featuresOfUnknownLineagePass() {
    Pipeline p = pipeline();
    // built by hand: nothing says which columns are filled, so nothing is refused
    PCollection<CustomerFeatures> features = p.apply(Create.empty(
        SchemaCoders.of(p, CustomerFeatures.class)));
    features.apply(AssignSegments.of(SegmentDefinitions.parse(YAML, "t.yaml")));
  }
}
