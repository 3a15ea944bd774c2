package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;

/**
 * {@link AddSegmentScores} and {@link AssignSegments} in one thread, in memory, without Beam:
 * the same percentile estimator (one accumulator per column, fed in list order), the same
 * scoring and the same compiled rules. For the plain-Java baseline of the benchmark.
 *
 * <p>The percentiles are exact while a column has no more values than the estimator's buffer
 * (some thousands); beyond that they are estimates within {@link AddSegmentScores#EPSILON}
 * of the rank, and may differ from the pipeline's, whose merge order differs.
 */
public final class LocalSegments {
  private LocalSegments() {}

  /** Every customer's RFM scores, value tier and engagement tier. */
  public static List<CustomerFeatures> addScores(AddSegmentScores config,
      List<CustomerFeatures> features) {
    Map<String, List<Double>> percentiles = percentiles(AddSegmentScores.percentilesFn(),
        features);
    List<CustomerFeatures> scored = new ArrayList<>(features.size());
    for (CustomerFeatures f : features) {
      scored.add(AddSegmentScores.scored(f, percentiles, (int) config.getVipTopPercent(),
          (int) config.getLowBottomPercent(), config.getEngagementHighTopPercent(),
          config.getEngagementLowBottomPercent()));
    }
    return scored;
  }

  private static <A> Map<String, List<Double>> percentiles(
      Combine.CombineFn<Double, A, List<Double>> fn, List<CustomerFeatures> features) {
    Map<String, A> states = new HashMap<>();
    for (CustomerFeatures f : features) {
      AddSegmentScores.scoredColumns(f, (column, value) -> states.put(column, fn.addInput(
          states.computeIfAbsent(column, c -> fn.createAccumulator()), value)));
    }
    Map<String, List<Double>> percentiles = new HashMap<>();
    states.forEach((column, state) -> percentiles.put(column, fn.extractOutput(state)));
    return percentiles;
  }

  /** Every customer's memberships by the definitions' rules. */
  public static List<SegmentMembership> assign(SegmentDefinitions definitions,
      List<CustomerFeatures> features) {
    if (definitions.getClusterSpec() != null || definitions.getLookalikeSpec() != null) {
      throw new IllegalArgumentException("LocalSegments does not compute clusters or "
          + "lookalikes; use a segment file without them");
    }
    SchemaRegistry schemas = SchemaRegistry.createDefault();
    SerializableFunction<CustomerFeatures, Row> toRow;
    SegmentRules rules;
    try {
      toRow = schemas.getToRowFunction(CustomerFeatures.class);
      rules = SegmentRules.compile(definitions, schemas.getSchema(CustomerFeatures.class),
          (segment, error) -> { });
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
    List<SegmentMembership> memberships = new ArrayList<>();
    for (CustomerFeatures f : features) {
      memberships.addAll(rules.assign(f, toRow.apply(f)));
    }
    return memberships;
  }
}
