package dev.audiencesegmenter.segments;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Puts customers in the segments of a {@link SegmentDefinitions} file. In an exclusive group a customer joins the first segment, in file order, whose
 * condition holds; in an overlapping group every such segment. Members drawn into a segment's
 * holdout (see {@link Holdouts}) are marked {@code holdout: true}.
 *
 * <pre>{@code
 * AssignSegments.Result segments =
 *     scoredFeatures.apply(AssignSegments.of(SegmentDefinitions.parse(yaml, "segments.yaml")));
 * segments.getMemberships();  // one row per (customer, segment)
 * }</pre>
 *
 * <p>The segments' summary (sizes, value, stability, the report) is {@code
 * SummarizeSegments}'s, applied to the features and these memberships.
 *
 * <p>Conditions are compiled once per worker ({@code @Setup}; compiled CEL programs are not
 * serializable) from sources already type-checked when the file was parsed. A condition that
 * fails for a customer (a null column, say) counts as false and in
 * {@code rule_null_or_error}.
 */
@AutoValue
public abstract class AssignSegments
    extends PTransform<PCollection<CustomerFeatures>, AssignSegments.Result> {

  public abstract SegmentDefinitions getDefinitions();

  abstract Builder toBuilder();

  /** Assigns the segments of {@code definitions} (see {@link SegmentDefinitions#parse}). */
  public static AssignSegments of(SegmentDefinitions definitions) {
    return new AutoValue_AssignSegments.Builder().setDefinitions(checked(definitions)).build();
  }

  /** The same transform with other definitions. */
  public AssignSegments withDefinitions(SegmentDefinitions definitions) {
    return toBuilder().setDefinitions(checked(definitions)).build();
  }

  private static SegmentDefinitions checked(SegmentDefinitions definitions) {
    if (definitions == null) {
      throw new IllegalArgumentException("segment definitions must not be null");
    }
    return definitions;
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDefinitions(SegmentDefinitions definitions);

    abstract AssignSegments build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("segments", getDefinitions().getSegments().size())
        .withLabel("Segments defined"));
  }

  /**
   * Fails, naming the segment, the column and the transform that fills it, when a rule reads a
   * column that nothing before this step fills (known from the features' lineage, see {@link
   * FilledColumns}; features of unknown lineage pass).
   */
  static void requireFilledColumns(PCollection<CustomerFeatures> features,
      SegmentDefinitions definitions) {
    List<String> problems = new ArrayList<>();
    definitions.getColumnsRead().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(segment -> FilledColumns.missing(features, segment.getValue())
            .forEach((column, filler) -> problems.add("segment '" + segment.getKey()
                + "' reads " + column + ", which " + filler + " fills")));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("AssignSegments: nothing before it fills the columns "
          + "these rules read, so they would be false for every customer: "
          + String.join("; ", problems) + ". Apply those transforms first (in the order "
          + "ComputeCustomerFeatures, AddProfileTraits, PredictCustomerValue with "
          + "AddCustomerValue, AssignLifecycleStage, AddSegmentScores, AssignClusters, "
          + "ScoreLookalikes), or use SegmentCustomers, which applies each one the segment "
          + "file needs.");
    }
  }

  @Override
  public Result expand(PCollection<CustomerFeatures> features) {
    SegmentDefinitions definitions = getDefinitions();
    requireFilledColumns(features, definitions);
    Pipeline pipeline = features.getPipeline();
    PCollection<SegmentMembership> members = features
        .apply("Assign", ParDo.of(new AssignFn(definitions, features.getSchema(),
            features.getToRowFunction())))
        .setCoder(SchemaCoders.of(pipeline, SegmentMembership.class));
    return new Result(pipeline, members);
  }

  private static final class AssignFn extends DoFn<CustomerFeatures, SegmentMembership> {
    private final SegmentDefinitions definitions;
    private final Schema schema;
    private final SerializableFunction<CustomerFeatures, Row> toRow;
    private final Counter memberships = Metrics.counter(AssignSegments.class, "memberships");
    private final Counter holdouts = Metrics.counter(AssignSegments.class, "holdouts");
    private final Counter errors = Metrics.counter(AssignSegments.class, "rule_null_or_error");
    private transient SegmentRules rules;

    AssignFn(SegmentDefinitions definitions, Schema schema,
        SerializableFunction<CustomerFeatures, Row> toRow) {
      this.definitions = definitions;
      this.schema = schema;
      this.toRow = toRow;
    }

    @Setup
    public void compile() {
      rules = SegmentRules.compile(definitions, schema, (segment, error) -> errors.inc());
    }

    @ProcessElement
    public void process(@Element CustomerFeatures customer,
        OutputReceiver<SegmentMembership> out) {
      for (SegmentMembership member : rules.assign(customer, toRow.apply(customer))) {
        memberships.inc();
        if (member.getHoldout()) {
          holdouts.inc();
        }
        out.output(member);
      }
    }
  }

  /** The memberships (the segments' summary is {@code SummarizeSegments}'). */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<SegmentMembership> memberships;

    Result(Pipeline pipeline, PCollection<SegmentMembership> memberships) {
      this.pipeline = pipeline;
      this.memberships = memberships;
    }

    /** One row per (customer, segment). */
    public PCollection<SegmentMembership> getMemberships() {
      return memberships;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(new TupleTag<SegmentMembership>("memberships"), memberships);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
