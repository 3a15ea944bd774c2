package dev.audiencesegmenter.segments;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.model.SegmentSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Puts customers in the segments of a {@link SegmentDefinitions} file and summarizes each
 * segment. In an exclusive group a customer joins the first segment, in file order, whose
 * condition holds; in an overlapping group every such segment. Members drawn into a segment's
 * holdout (see {@link Holdouts}) are marked {@code holdout: true}.
 *
 * <pre>{@code
 * AssignSegments.Result segments =
 *     scoredFeatures.apply(AssignSegments.of(SegmentDefinitions.parse(yaml, "segments.yaml")));
 * segments.getMemberships();  // one row per (customer, segment)
 * }</pre>
 *
 * <p>The summary has one row per defined segment, empty ones included: size (holdout
 * included), holdout size, share of all customers, and revenue (the members' net spend).
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
    TupleTag<SegmentMembership> memberships = new TupleTag<>("memberships") {};
    TupleTag<KV<String, Totals>> totals = new TupleTag<>("totals") {};
    PCollectionTuple assigned = features.apply("Assign",
        ParDo.of(new AssignFn(definitions, features.getSchema(), features.getToRowFunction(),
                memberships, totals))
            .withOutputTags(memberships, TupleTagList.of(totals)));
    PCollection<SegmentMembership> members =
        assigned.get(memberships).setCoder(SchemaCoders.of(pipeline, SegmentMembership.class));
    KvCoder<String, Totals> totalsCoder = KvCoder.of(StringUtf8Coder.of(), new TotalsCoder());
    assigned.get(totals).setCoder(totalsCoder);

    // Every defined segment starts at zero, so empty segments still get a summary row.
    List<KV<String, Totals>> zeros = new ArrayList<>();
    for (SegmentDefinitions.Segment s : definitions.getSegments()) {
      zeros.add(KV.of(s.name(), new Totals(0, 0, BigDecimal.ZERO)));
    }
    PCollectionView<Long> customers = features
        .apply("CountCustomers", Count.globally())
        .apply("CustomersView", View.asSingleton());
    PCollection<SegmentSummary> summaries = PCollectionList
        .of(pipeline.apply("EverySegment", Create.of(zeros).withCoder(totalsCoder)))
        .and(assigned.get(totals))
        .apply("AllTotals", Flatten.pCollections())
        .apply("SumPerSegment", Combine.perKey(new SumTotals()))
        .setCoder(totalsCoder)
        .apply("Summarize", ParDo.of(new SummarizeFn(definitions, customers))
            .withSideInputs(customers))
        .setCoder(SchemaCoders.of(pipeline, SegmentSummary.class));
    return new Result(pipeline, members, summaries);
  }


  /** Size, holdout size and revenue of a segment, or of one member. */
  record Totals(long size, long holdouts, BigDecimal revenue) {}

  private static final class TotalsCoder extends CustomCoder<Totals> {
    private static final long serialVersionUID = 1L;

    // Runners compare coders (Flink's union does): all instances are interchangeable.
    @Override
    public boolean equals(Object other) {
      return other instanceof TotalsCoder;
    }

    @Override
    public int hashCode() {
      return TotalsCoder.class.hashCode();
    }

    @Override
    public void encode(Totals t, OutputStream out) throws IOException {
      VarLongCoder.of().encode(t.size(), out);
      VarLongCoder.of().encode(t.holdouts(), out);
      BigDecimalCoder.of().encode(t.revenue(), out);
    }

    @Override
    public Totals decode(InputStream in) throws IOException {
      return new Totals(VarLongCoder.of().decode(in), VarLongCoder.of().decode(in),
          BigDecimalCoder.of().decode(in));
    }
  }

  private static final class SumTotals extends Combine.BinaryCombineFn<Totals> {
    @Override
    public Totals apply(Totals a, Totals b) {
      return new Totals(a.size() + b.size(), a.holdouts() + b.holdouts(),
          a.revenue().add(b.revenue()));
    }
  }

  private static final class AssignFn extends DoFn<CustomerFeatures, SegmentMembership> {
    private final SegmentDefinitions definitions;
    private final Schema schema;
    private final SerializableFunction<CustomerFeatures, Row> toRow;
    private final TupleTag<SegmentMembership> membershipsTag;
    private final TupleTag<KV<String, Totals>> totalsTag;
    private final Counter memberships = Metrics.counter(AssignSegments.class, "memberships");
    private final Counter holdouts = Metrics.counter(AssignSegments.class, "holdouts");
    private final Counter errors = Metrics.counter(AssignSegments.class, "rule_null_or_error");
    private transient SegmentRules rules;

    AssignFn(SegmentDefinitions definitions, Schema schema,
        SerializableFunction<CustomerFeatures, Row> toRow,
        TupleTag<SegmentMembership> membershipsTag, TupleTag<KV<String, Totals>> totalsTag) {
      this.definitions = definitions;
      this.schema = schema;
      this.toRow = toRow;
      this.membershipsTag = membershipsTag;
      this.totalsTag = totalsTag;
    }

    @Setup
    public void compile() {
      rules = SegmentRules.compile(definitions, schema, (segment, error) -> errors.inc());
    }

    @ProcessElement
    public void process(@Element CustomerFeatures customer, MultiOutputReceiver out) {
      for (SegmentMembership member : rules.assign(customer, toRow.apply(customer))) {
        memberships.inc();
        if (member.getHoldout()) {
          holdouts.inc();
        }
        out.get(membershipsTag).output(member);
        out.get(totalsTag).output(KV.of(member.getSegment(),
            new Totals(1, member.getHoldout() ? 1 : 0, customer.getMonetaryTotal())));
      }
    }
  }

  private static final class SummarizeFn extends DoFn<KV<String, Totals>, SegmentSummary> {
    private final Map<String, String> groupOf = new java.util.HashMap<>();
    private final PCollectionView<Long> customers;

    SummarizeFn(SegmentDefinitions definitions, PCollectionView<Long> customers) {
      for (SegmentDefinitions.Segment s : definitions.getSegments()) {
        groupOf.put(s.name(), s.group());
      }
      this.customers = customers;
    }

    @ProcessElement
    public void process(@Element KV<String, Totals> segment, ProcessContext context) {
      long all = context.sideInput(customers);
      Totals t = segment.getValue();
      context.output(SegmentSummary.create(segment.getKey(), groupOf.get(segment.getKey()),
          t.size(), t.holdouts(), all == 0 ? 0.0 : (double) t.size() / all,
          t.revenue().setScale(2, RoundingMode.HALF_EVEN)));
    }
  }

  /** Memberships and per-segment summaries. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<SegmentMembership> memberships;
    private final PCollection<SegmentSummary> summaries;

    Result(Pipeline pipeline, PCollection<SegmentMembership> memberships,
        PCollection<SegmentSummary> summaries) {
      this.pipeline = pipeline;
      this.memberships = memberships;
      this.summaries = summaries;
    }

    /** One row per (customer, segment). */
    public PCollection<SegmentMembership> getMemberships() {
      return memberships;
    }

    /** One row per defined segment. */
    public PCollection<SegmentSummary> getSummaries() {
      return summaries;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(new TupleTag<SegmentMembership>("memberships"), memberships,
          new TupleTag<SegmentSummary>("summaries"), summaries);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
