package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.grouping.EncodedValues;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerFeaturesCoder;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.model.SegmentMembershipCoder;
import dev.audiencesegmenter.progress.ProgressLog;
import dev.audiencesegmenter.report.SegmentStatistics;
import dev.audiencesegmenter.report.SegmentStatisticsFold;
import dev.audiencesegmenter.segments.AddSegmentScores;
import dev.audiencesegmenter.segments.AssignSegments;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.segments.SegmentRules;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The last per-customer steps in one pass: RFM scores and tiers from the population's
 * percentiles (a side input), then the segment rules, each membership, and the customer's
 * contribution to every segment's summary statistics. Either half can be left out (clusters
 * and lookalikes, when a file asks for them, run between the two).
 *
 * <p>Statistics are summed per bundle and emitted when it finishes: a few elements per segment
 * and bundle instead of one per customer and membership. Rows and memberships leave as bytes
 * (see {@link EncodedValues}): on Flink each output is read by a task of its own that decodes
 * the elements of all three. Batch only (the global window).
 */
final class ScoreAndAssignFn extends DoFn<CustomerFeatures, byte[]> {
  private final @Nullable AddSegmentScores scores;
  private final @Nullable PCollectionView<Map<String, List<Double>>> percentiles;
  private final @Nullable SegmentDefinitions definitions;
  private final Schema schema;
  private final SerializableFunction<CustomerFeatures, Row> toRow;
  private final TupleTag<byte[]> membershipsTag;
  private final TupleTag<KV<String, SegmentStatistics>> statisticsTag;
  private final @Nullable SegmentStatisticsFold statistics;

  private final Counter rfmScored = Metrics.counter(AddSegmentScores.class, "rfm_scored");
  private final Counter valueTiered = Metrics.counter(AddSegmentScores.class, "value_tiered");
  private final Counter memberships = Metrics.counter(AssignSegments.class, "memberships");
  private final Counter holdouts = Metrics.counter(AssignSegments.class, "holdouts");
  private final Counter ruleErrors = Metrics.counter(AssignSegments.class,
      "rule_null_or_error");

  private transient SegmentRules rules;
  private transient Map<String, SegmentStatistics> totals;

  /**
   * {@code scores} and {@code percentiles} both null: no scoring; {@code definitions} null: no
   * rules, memberships or statistics.
   */
  ScoreAndAssignFn(@Nullable AddSegmentScores scores,
      @Nullable PCollectionView<Map<String, List<Double>>> percentiles,
      @Nullable SegmentDefinitions definitions, Schema schema,
      SerializableFunction<CustomerFeatures, Row> toRow,
      TupleTag<byte[]> membershipsTag,
      TupleTag<KV<String, SegmentStatistics>> statisticsTag) {
    this.scores = scores;
    this.percentiles = percentiles;
    this.definitions = definitions;
    this.schema = schema;
    this.toRow = toRow;
    this.membershipsTag = membershipsTag;
    this.statisticsTag = statisticsTag;
    this.statistics = definitions == null ? null : SegmentStatisticsFold.of(definitions, schema);
  }

  @Setup
  public void setup() {
    customersScored = ProgressLog.count("customers scored and segmented");
    if (definitions != null) {
      rules = SegmentRules.compile(definitions, schema, (segment, error) -> ruleErrors.inc());
    }
  }

  private transient ProgressLog.Count customersScored;

  @StartBundle
  public void startBundle() {
    totals = new HashMap<>();
  }

  @ProcessElement
  public void process(ProcessContext c) {
    CustomerFeatures f = c.element();
    customersScored.add(1);
    if (scores != null) {
      Map<String, List<Double>> p = c.sideInput(percentiles);
      if (f.getFrequency() > 0 && f.getRecencyDays() != null && p.containsKey("recency_days")) {
        rfmScored.inc();
      }
      if (f.getPredictedClv365d() != null && p.containsKey("predicted_clv_365d")) {
        valueTiered.inc();
      }
      f = scores.score(f, p);
    }
    c.output(EncodedValues.encode(CustomerFeaturesCoder.of(), f));
    if (rules == null) {
      return;
    }
    Row row = toRow.apply(f);
    List<SegmentMembership> members = rules.assign(f, row);
    for (SegmentMembership m : members) {
      memberships.inc();
      if (m.getHoldout()) {
        holdouts.inc();
      }
      c.output(membershipsTag, EncodedValues.encode(SegmentMembershipCoder.of(), m));
    }
    statistics.add(totals, row, members);
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) {
    for (Map.Entry<String, SegmentStatistics> e : totals.entrySet()) {
      c.output(statisticsTag, KV.of(e.getKey(), e.getValue()), BoundedWindow.TIMESTAMP_MIN_VALUE,
          GlobalWindow.INSTANCE);
    }
    totals = null;
  }
}
