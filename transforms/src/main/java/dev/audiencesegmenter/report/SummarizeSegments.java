package dev.audiencesegmenter.report;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Summarizes every segment of a {@link SegmentDefinitions} file for {@code summary/} and the
 * report: size, share, revenue, CLV, churn risk, top traits, validation flags and
 * prioritization score ({@link SegmentProfiles}); with the previous run's memberships, the
 * transition matrix and membership churn; with conversions in the outcome window as well,
 * treatment against holdout response per segment.
 *
 * <pre>{@code
 * SummarizeSegments.Result summary = SummarizeSegments.inputs(features, memberships)
 *     .and(SummarizeSegments.PREVIOUS_MEMBERSHIPS, previousMemberships)
 *     .apply(SummarizeSegments.<CustomerFeatures>of(definitions));
 * summary.getSummaries();  // one row per segment
 * summary.getReport();     // the report's content (WriteSegmentReport)
 * }</pre>
 *
 * <p>Input: the customers' features (any schema'd type; columns are found by name, see
 * {@link TraitColumns}). Members are joined to their features by customer id with a
 * CoGroupByKey and summed per segment with {@code Combine.perKey} over exact, mergeable
 * statistics ({@link SegmentStatistics}); only the per-segment statistics, a few kilobytes per
 * segment, are then gathered to one worker to score segments against each other.
 */
@AutoValue
public abstract class SummarizeSegments<T>
    extends PTransform<PCollectionTuple, SummarizeSegments.Result> {

  /** The input's features (any schema'd type); set by {@link #inputs}. */
  @SuppressWarnings("rawtypes")
  private static final TupleTag CUSTOMERS = new TupleTag<>("summarizeFeatures");
  /** The input's memberships of this run; set by {@link #inputs}. */
  public static final TupleTag<SegmentMembership> MEMBERSHIPS = new TupleTag<>() {};
  /** Optional input: the previous run's {@code segments/} rows, for stability. */
  public static final TupleTag<SegmentMembership> PREVIOUS_MEMBERSHIPS = new TupleTag<>() {};
  /**
   * Optional input: ids of the customers who converted in the outcome window after the previous
   * run (see {@link ConvertedCustomers}), for response; needs {@link #PREVIOUS_MEMBERSHIPS}.
   */
  public static final TupleTag<String> CONVERTED_CUSTOMERS = new TupleTag<>() {};
  /**
   * Optional input: the segments' statistics from a flow that already holds each customer's
   * features and memberships together and folded them with {@link SegmentStatisticsFold}
   * (partial statistics per segment, merged here): the join of features and memberships is
   * then left out, and the features are read for their schema only.
   */
  public static final TupleTag<KV<String, SegmentStatistics>> STATISTICS =
      new TupleTag<>() {};

  // One set of tags per join: reusing tag instances across two CoGroupByKeys hung the Direct
  // runner.
  private static final TupleTag<Row> JOIN_FEATURES = new TupleTag<>("features");
  private static final TupleTag<SegmentMembership> MEMBERS = new TupleTag<>("members");
  private static final TupleTag<KV<String, SegmentStatistics>> JOIN_STATISTICS =
      new TupleTag<>("statistics");
  private static final TupleTag<KV<String, SegmentChurn>> CHURN = new TupleTag<>("churn");
  private static final TupleTag<SegmentTransition> TRANSITIONS = new TupleTag<>("transitions");
  private static final TupleTag<SegmentResponse> RESPONSES = new TupleTag<>("responses");
  private static final TupleTag<Integer> SEED = new TupleTag<>("seed");

  /** The key of the statistics of all customers; no segment name is empty. */
  static final String EVERYONE = "";
  private static final String REPORT = "report";

  public abstract SegmentDefinitions getDefinitions();

  abstract @Nullable PCollection<SegmentMembership> getMemberships();

  abstract @Nullable PCollection<SegmentMembership> getPreviousMemberships();

  abstract @Nullable PCollection<String> getConvertedCustomers();

  public abstract SegmentValidation getValidation();

  /** Groups of customers the previous run's memberships are compared in. */
  public abstract int getCustomerGroups();

  /** Per-segment statistics summed elsewhere ({@link #STATISTICS}). */
  abstract @Nullable PCollection<KV<String, SegmentStatistics>> getStatistics();

  abstract Builder<T> toBuilder();

  /** Summarizes the segments of {@code definitions}; the input is {@link #inputs}. */
  public static <T> SummarizeSegments<T> of(SegmentDefinitions definitions) {
    if (definitions == null) {
      throw new IllegalArgumentException("SummarizeSegments needs the segment definitions");
    }
    return new AutoValue_SummarizeSegments.Builder<T>().setDefinitions(definitions)
        .setValidation(SegmentValidation.DEFAULTS).setCustomerGroups(16).build();
  }

  /**
   * The input: the customers' features and this run's memberships. Add the optional inputs
   * with {@code .and(PREVIOUS_MEMBERSHIPS, ..)}, {@code .and(CONVERTED_CUSTOMERS, ..)} and
   * {@code .and(STATISTICS, ..)}.
   */
  @SuppressWarnings("unchecked")
  public static <T> PCollectionTuple inputs(PCollection<T> features,
      PCollection<SegmentMembership> memberships) {
    if (features == null || memberships == null) {
      throw new IllegalArgumentException("SummarizeSegments needs the features and the "
          + "memberships, got " + features + " and " + memberships);
    }
    return PCollectionTuple.of((TupleTag<T>) CUSTOMERS, features).and(MEMBERSHIPS, memberships);
  }

  /**
   * The previous run's memberships are compared with this run's in this many groups of
   * customers (default 16): a worker holds one group's memberships at a time.
   */
  public SummarizeSegments<T> withCustomerGroups(int groups) {
    if (groups < 1) {
      throw new IllegalArgumentException("customer groups must be at least 1, got " + groups);
    }
    return toBuilder().setCustomerGroups(groups).build();
  }

  public SummarizeSegments<T> withValidation(SegmentValidation validation) {
    if (validation == null) {
      throw new IllegalArgumentException("validation thresholds must not be null");
    }
    return toBuilder().setValidation(validation).build();
  }

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setDefinitions(SegmentDefinitions value);

    abstract Builder<T> setMemberships(PCollection<SegmentMembership> value);

    abstract Builder<T> setPreviousMemberships(PCollection<SegmentMembership> value);

    abstract Builder<T> setConvertedCustomers(PCollection<String> value);

    abstract Builder<T> setValidation(SegmentValidation value);

    abstract Builder<T> setCustomerGroups(int groups);

    abstract Builder<T> setStatistics(PCollection<KV<String, SegmentStatistics>> value);

    abstract SummarizeSegments<T> build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("segments", getDefinitions().getSegments().size()))
        .add(DisplayData.item("minSegmentSize", getValidation().defaultMinSize()))
        .add(DisplayData.item("customerGroups", getCustomerGroups()));
  }

  @Override
  @SuppressWarnings("unchecked")
  public Result expand(PCollectionTuple input) {
    if (!input.has(CUSTOMERS) || !input.has(MEMBERSHIPS)) {
      throw new IllegalArgumentException("SummarizeSegments' input is SummarizeSegments.inputs("
          + "features, memberships) (and optional inputs); got " + input.getAll().keySet());
    }
    Builder<T> wired = toBuilder().setMemberships(input.get(MEMBERSHIPS));
    if (input.has(PREVIOUS_MEMBERSHIPS)) {
      wired.setPreviousMemberships(input.get(PREVIOUS_MEMBERSHIPS));
    }
    if (input.has(CONVERTED_CUSTOMERS)) {
      wired.setConvertedCustomers(input.get(CONVERTED_CUSTOMERS));
    }
    if (input.has(STATISTICS)) {
      wired.setStatistics(input.get(STATISTICS));
    }
    return wired.build().summarize((PCollection<T>) input.get(CUSTOMERS));
  }

  private Result summarize(PCollection<T> features) {
    if (getConvertedCustomers() != null && getPreviousMemberships() == null) {
      throw new IllegalArgumentException("converted customers need the previous memberships: "
          + "response is measured on the previous run's treatment and holdout");
    }
    Pipeline pipeline = features.getPipeline();
    TraitColumns columns = new TraitColumns(features.getSchema());
    KvCoder<String, SegmentStatistics> statisticsCoder =
        KvCoder.of(StringUtf8Coder.of(), SegmentStatisticsFold.coder());
    PCollection<KV<String, SegmentStatistics>> statistics =
        statistics(features, columns, statisticsCoder);
    PreviousRun previous = getPreviousMemberships() == null ? null : previousRun();
    PCollection<ReportContent> report = score(pipeline, columns, statistics, statisticsCoder,
        previous);
    PCollection<SegmentProfile> summaries = report
        .apply("SummaryRows", ParDo.of(new SummaryRowsFn()))
        .setCoder(SchemaCoders.of(pipeline, SegmentProfile.class));
    return new Result(pipeline, summaries, report,
        previous == null ? null : previous.transitions(),
        previous == null ? null : previous.responses());
  }

  /**
   * Each segment's trait statistics: merged from the per-bundle statistics given with
   * {@link #STATISTICS}, or else summed over the members joined to their feature rows.
   */
  private PCollection<KV<String, SegmentStatistics>> statistics(PCollection<T> features,
      TraitColumns columns, KvCoder<String, SegmentStatistics> statisticsCoder) {
    if (getStatistics() != null) {
      return getStatistics()
          .apply("MergePerSegment", Combine.perKey(new MergeStatisticsFn(columns)))
          .setCoder(statisticsCoder);
    }
    Schema schema = features.getSchema();
    PCollection<KV<String, SegmentMembership>> members = byCustomer("KeyMembers",
        getMemberships(), SchemaCoders.of(features.getPipeline(), SegmentMembership.class));
    PCollection<KV<String, Row>> rows = features
        .apply("ToRows", MapElements.via(new ToKeyedRow<>(features.getToRowFunction(),
            schema)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(),
            org.apache.beam.sdk.coders.RowCoder.of(schema)));
    return KeyedPCollectionTuple
        .of(JOIN_FEATURES, rows).and(MEMBERS, members)
        .apply("JoinMembersToFeatures", CoGroupByKey.create())
        .apply("MemberValues", ParDo.of(new MemberValuesFn(getDefinitions(), columns)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ReportCoders.memberValues()))
        .apply("SumPerSegment", Combine.perKey(new StatisticsFn(columns)))
        .setCoder(statisticsCoder);
  }

  /** What the comparison with the previous run gives: transitions, churn, response. */
  private record PreviousRun(PCollection<SegmentTransition> transitions,
      Coder<SegmentTransition> transitionCoder, PCollection<KV<String, SegmentChurn>> churn,
      KvCoder<String, SegmentChurn> churnCoder, @Nullable PCollection<SegmentResponse> responses,
      Coder<SegmentResponse> responseCoder) {}

  /**
   * Both runs' memberships (and the converted customers) meet in groups of customers: a group
   * is a hash bucket of customer ids, so a worker holds one group at a time and the Direct
   * runner cuts few bundles.
   */
  private PreviousRun previousRun() {
    Pipeline pipeline = getMemberships().getPipeline();
    SegmentDefinitions definitions = getDefinitions();
    Coder<SegmentTransition> transitionCoder = SchemaCoders.of(pipeline, SegmentTransition.class);
    Coder<SegmentResponse> responseCoder = SchemaCoders.of(pipeline, SegmentResponse.class);
    KvCoder<String, SegmentChurn> churnCoder =
        KvCoder.of(StringUtf8Coder.of(), ReportCoders.churn());
    int groups = getCustomerGroups();
    KvCoder<Integer, PreviousRunFn.Input> inputCoder =
        KvCoder.of(VarIntCoder.of(), PreviousRunFn.Input.Coder.of());
    PCollectionList<KV<Integer, PreviousRunFn.Input>> inputs = PCollectionList
        .of(getMemberships().apply("NowToGroups", ParDo.of(new PreviousRunFn.ToGroup(groups,
            PreviousRunFn.NOW))).setCoder(inputCoder))
        .and(getPreviousMemberships().apply("BeforeToGroups", ParDo.of(
            new PreviousRunFn.ToGroup(groups, PreviousRunFn.BEFORE))).setCoder(inputCoder));
    if (getConvertedCustomers() != null) {
      inputs = inputs.and(getConvertedCustomers().apply("ConvertedToGroups",
          ParDo.of(new PreviousRunFn.ConvertedToGroup(groups))).setCoder(inputCoder));
    }
    PCollectionTuple moves = inputs
        .apply("BothRuns", Flatten.pCollections())
        .apply("GroupCustomers", GroupByKey.create())
        .apply("CompareRuns", ParDo.of(new PreviousRunFn(definitions,
                getConvertedCustomers() != null))
            .withOutputTags(PreviousRunFn.TRANSITIONS, TupleTagList.of(PreviousRunFn.CHURN)
                .and(PreviousRunFn.CONVERSIONS)));
    PCollection<SegmentTransition> transitions = moves.get(PreviousRunFn.TRANSITIONS)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("CountTransitions", Sum.longsPerKey())
        .apply("TransitionRows", MapElements.into(
                org.apache.beam.sdk.values.TypeDescriptor.of(SegmentTransition.class))
            .via(SummarizeSegments::transition))
        .setCoder(transitionCoder);
    PCollection<KV<String, SegmentChurn>> churn = moves.get(PreviousRunFn.CHURN)
        .setCoder(churnCoder)
        .apply("ChurnPerSegment", Combine.perKey(new SumChurn()))
        .setCoder(churnCoder);
    PCollection<SegmentResponse> responses = null;
    if (getConvertedCustomers() != null) {
      responses = moves.get(PreviousRunFn.CONVERSIONS)
          .setCoder(KvCoder.of(StringUtf8Coder.of(), ReportCoders.counts()))
          .apply("ConversionsPerSegment", Combine.perKey(new SumCounts()))
          .apply("ResponseRows", ParDo.of(new ResponseFn(definitions)))
          .setCoder(responseCoder);
    }
    return new PreviousRun(transitions, transitionCoder, churn, churnCoder, responses,
        responseCoder);
  }

  /** The small per-segment results gathered on one key, to score segments against each other. */
  private PCollection<ReportContent> score(Pipeline pipeline, TraitColumns columns,
      PCollection<KV<String, SegmentStatistics>> statistics,
      KvCoder<String, SegmentStatistics> statisticsCoder, @Nullable PreviousRun previous) {
    KeyedPCollectionTuple<String> gathered = KeyedPCollectionTuple
        .of(SEED, pipeline.apply("Seed", Create.of(KV.of(REPORT, 0))
            .withCoder(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of()))))
        .and(JOIN_STATISTICS, toReport("StatisticsToReport", statistics, statisticsCoder));
    if (previous != null) {
      gathered = gathered
          .and(CHURN, toReport("ChurnToReport", previous.churn(), previous.churnCoder()))
          .and(TRANSITIONS, toReport("TransitionsToReport", previous.transitions(),
              previous.transitionCoder()));
      if (previous.responses() != null) {
        gathered = gathered.and(RESPONSES, toReport("ResponsesToReport", previous.responses(),
            previous.responseCoder()));
      }
    }
    return gathered
        .apply("Gather", CoGroupByKey.create())
        .apply("ScoreSegments", ParDo.of(new ScoreFn(getDefinitions(), columns,
            getValidation(), previous != null, previous != null
            && previous.responses() != null)))
        .setCoder(SerializableCoder.of(ReportContent.class));
  }

  private static final class SummaryRowsFn extends DoFn<ReportContent, SegmentProfile> {
    @ProcessElement
    public void process(@Element ReportContent content, OutputReceiver<SegmentProfile> out) {
      content.profiles().forEach(out::output);
    }
  }

  private static <V> PCollection<KV<String, V>> toReport(String step, PCollection<V> values,
      Coder<V> coder) {
    return values.apply(step, MapElements.via(new KeyAsReport<V>()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), coder));
  }

  private static final class KeyAsReport<V>
      extends org.apache.beam.sdk.transforms.SimpleFunction<V, KV<String, V>> {
    @Override
    public KV<String, V> apply(V value) {
      return KV.of(REPORT, value);
    }
  }

  private static PCollection<KV<String, SegmentMembership>> byCustomer(String step,
      PCollection<SegmentMembership> memberships, Coder<SegmentMembership> coder) {
    return memberships
        .apply(step, MapElements.via(
            new org.apache.beam.sdk.transforms.SimpleFunction<SegmentMembership,
                KV<String, SegmentMembership>>() {
              @Override
              public KV<String, SegmentMembership> apply(SegmentMembership m) {
                return KV.of(m.getCustomerId(), m);
              }
            }))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), coder));
  }

  private static SegmentTransition transition(KV<String, Long> cell) {
    String[] parts = cell.getKey().split("\t", 3);
    return SegmentTransition.create(parts[0], parts[1], parts[2], cell.getValue());
  }


  private static final class ToKeyedRow<T>
      extends org.apache.beam.sdk.transforms.SimpleFunction<T, KV<String, Row>> {
    private final SerializableFunction<T, Row> toRow;
    private final String idColumn;

    ToKeyedRow(SerializableFunction<T, Row> toRow, Schema schema) {
      this.toRow = toRow;
      if (!schema.hasField("customer_id")) {
        throw new IllegalArgumentException("features need a customer_id column; columns: "
            + schema.getFieldNames());
      }
      this.idColumn = "customer_id";
    }

    @Override
    public KV<String, Row> apply(T customer) {
      Row row = toRow.apply(customer);
      return KV.of(row.getString(idColumn), row);
    }
  }

  /** Per customer: its values once for everyone, and once per segment it is in. */
  private static final class MemberValuesFn
      extends DoFn<KV<String, CoGbkResult>, KV<String, MemberValues>> {
    private final Map<String, List<String>> channels = new HashMap<>();
    private final TraitColumns columns;
    private final Counter withoutFeatures =
        Metrics.counter(SummarizeSegments.class, "memberships_without_features");

    MemberValuesFn(SegmentDefinitions definitions, TraitColumns columns) {
      channels.putAll(plannedChannels(definitions));
      this.columns = columns;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> customer,
        OutputReceiver<KV<String, MemberValues>> out) {
      Row row = null;
      for (Row r : customer.getValue().getAll(JOIN_FEATURES)) {
        row = r;
      }
      Iterable<SegmentMembership> memberships = customer.getValue().getAll(MEMBERS);
      if (row == null) {
        for (SegmentMembership ignored : memberships) {
          withoutFeatures.inc();
        }
        return;
      }
      memberValues(columns, channels, row, memberships,
          (segment, values) -> out.output(KV.of(segment, values)));
    }
  }

  /** Each segment's planned activation channels. */
  static Map<String, List<String>> plannedChannels(SegmentDefinitions definitions) {
    Map<String, List<String>> channels = new HashMap<>();
    for (SegmentDefinitions.Segment s : definitions.getSegments()) {
      channels.put(s.name(), s.plan().activation() == null ? List.of()
          : s.plan().activation().channels());
    }
    return channels;
  }

  /** One customer's values, once for everyone ({@link #EVERYONE}) and once per membership. */
  static void memberValues(TraitColumns columns, Map<String, List<String>> channels, Row row,
      Iterable<SegmentMembership> memberships, BiConsumer<String, MemberValues> out) {
    MemberValues values = columns.extract(row);
    out.accept(EVERYONE, values);
    for (SegmentMembership m : memberships) {
      List<String> planned = channels.getOrDefault(m.getSegment(), List.of());
      out.accept(m.getSegment(),
          values.withMembership(m.getHoldout(), columns.reachable(row, planned)));
    }
  }

  private static final class StatisticsFn
      extends Combine.CombineFn<MemberValues, SegmentStatistics, SegmentStatistics> {
    private final TraitColumns columns;

    StatisticsFn(TraitColumns columns) {
      this.columns = columns;
    }

    @Override
    public SegmentStatistics createAccumulator() {
      return new SegmentStatistics(columns.numbers().size(), columns.categories().size());
    }

    @Override
    public SegmentStatistics addInput(SegmentStatistics accumulator, MemberValues input) {
      accumulator.add(input, columns.numberIndex(TraitColumns.CLV));
      return accumulator;
    }

    @Override
    public SegmentStatistics mergeAccumulators(Iterable<SegmentStatistics> accumulators) {
      SegmentStatistics merged = createAccumulator();
      for (SegmentStatistics a : accumulators) {
        merged.merge(a);
      }
      return merged;
    }

    @Override
    public SegmentStatistics extractOutput(SegmentStatistics accumulator) {
      return accumulator;
    }

    @Override
    public Coder<SegmentStatistics> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry, Coder<MemberValues> input) {
      return ReportCoders.statistics();
    }
  }

  /** Merges partial statistics of one segment. */
  private static final class MergeStatisticsFn
      extends Combine.CombineFn<SegmentStatistics, SegmentStatistics, SegmentStatistics> {
    private final TraitColumns columns;

    MergeStatisticsFn(TraitColumns columns) {
      this.columns = columns;
    }

    @Override
    public SegmentStatistics createAccumulator() {
      return new SegmentStatistics(columns.numbers().size(), columns.categories().size());
    }

    @Override
    public SegmentStatistics addInput(SegmentStatistics accumulator, SegmentStatistics part) {
      accumulator.merge(part);
      return accumulator;
    }

    @Override
    public SegmentStatistics mergeAccumulators(Iterable<SegmentStatistics> accumulators) {
      SegmentStatistics merged = createAccumulator();
      for (SegmentStatistics a : accumulators) {
        merged.merge(a);
      }
      return merged;
    }

    @Override
    public SegmentStatistics extractOutput(SegmentStatistics accumulator) {
      return accumulator;
    }

    @Override
    public Coder<SegmentStatistics> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry, Coder<SegmentStatistics> input) {
      return SegmentStatisticsFold.coder();
    }
  }

  private static final class SumChurn extends Combine.BinaryCombineFn<SegmentChurn> {
    @Override
    public SegmentChurn apply(SegmentChurn a, SegmentChurn b) {
      return a.plus(b);
    }

    @Override
    public SegmentChurn identity() {
      return new SegmentChurn(0, 0, 0);
    }
  }

  private static final class SumCounts extends Combine.BinaryCombineFn<long[]> {
    @Override
    public long[] apply(long[] a, long[] b) {
      long[] out = new long[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = a[i] + b[i];
      }
      return out;
    }

    @Override
    public long[] identity() {
      return new long[4];
    }
  }

  private static final class ResponseFn extends DoFn<KV<String, long[]>, SegmentResponse> {
    private final Map<String, String> groupOf = new HashMap<>();

    ResponseFn(SegmentDefinitions definitions) {
      definitions.getSegments().forEach(s -> groupOf.put(s.name(), s.group()));
    }

    @ProcessElement
    public void process(@Element KV<String, long[]> segment, OutputReceiver<SegmentResponse> out) {
      long[] c = segment.getValue();
      // A segment of the previous run that this file no longer defines keeps its name.
      out.output(SegmentResponse.of(segment.getKey(),
          groupOf.getOrDefault(segment.getKey(), ""), c[0], c[1], c[2], c[3]));
    }
  }

  private static final class ScoreFn extends DoFn<KV<String, CoGbkResult>, ReportContent> {
    private final SegmentDefinitions definitions;
    private final TraitColumns columns;
    private final SegmentValidation validation;
    private final boolean withChurn;
    private final boolean withResponse;
    private final Counter summarized = Metrics.counter(SummarizeSegments.class,
        "segments_summarized");

    ScoreFn(SegmentDefinitions definitions, TraitColumns columns, SegmentValidation validation,
        boolean withChurn, boolean withResponse) {
      this.definitions = definitions;
      this.columns = columns;
      this.validation = validation;
      this.withChurn = withChurn;
      this.withResponse = withResponse;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> gathered,
        OutputReceiver<ReportContent> out) {
      Map<String, SegmentStatistics> statistics = new HashMap<>();
      for (KV<String, SegmentStatistics> s : gathered.getValue().getAll(JOIN_STATISTICS)) {
        statistics.put(s.getKey(), s.getValue());
      }
      SegmentStatistics everyone = statistics.containsKey(EVERYONE)
          ? statistics.remove(EVERYONE) : SegmentProfiles.empty(columns);
      Map<String, SegmentChurn> churn = null;
      List<SegmentTransition> transitions = new ArrayList<>();
      if (withChurn) {
        churn = new HashMap<>();
        for (KV<String, SegmentChurn> c : gathered.getValue().getAll(CHURN)) {
          churn.put(c.getKey(), c.getValue());
        }
        gathered.getValue().getAll(TRANSITIONS).forEach(transitions::add);
        transitions.sort(Comparator.comparing(SegmentTransition::getGroup)
            .thenComparing(SegmentTransition::getFromSegment)
            .thenComparing(SegmentTransition::getToSegment));
      }
      List<SegmentResponse> responses = new ArrayList<>();
      if (withResponse) {
        gathered.getValue().getAll(RESPONSES).forEach(responses::add);
        responses.sort(Comparator.comparing(SegmentResponse::getGroup)
            .thenComparing(SegmentResponse::getSegment));
      }
      List<SegmentProfile> profiles = SegmentProfiles.profiles(definitions, columns, statistics,
          everyone, churn, validation);
      summarized.inc(profiles.size());
      int lifecycle = columns.categoryIndex("lifecycle_stage");
      int rfm = columns.categoryIndex(TraitColumns.RFM_CELL);
      Map<String, ReportContent.Detail> details = new TreeMap<>();
      for (SegmentDefinitions.Segment segment : definitions.getSegments()) {
        SegmentStatistics s = statistics.getOrDefault(segment.name(),
            SegmentProfiles.empty(columns));
        details.put(segment.name(), SegmentProfiles.detail(columns, s, everyone.minus(s)));
      }
      out.output(new ReportContent(definitions, profiles, everyone.members,
          lifecycle < 0 ? Map.of() : new TreeMap<>(everyone.categories.get(lifecycle)),
          rfm < 0 ? Map.of() : new TreeMap<>(everyone.categories.get(rfm)),
          transitions, responses, details));
    }
  }

  /** Summary rows, the report's content, and (with a previous run) stability and response. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<SegmentProfile> summaries;
    private final PCollection<ReportContent> report;
    private final @Nullable PCollection<SegmentTransition> transitions;
    private final @Nullable PCollection<SegmentResponse> responses;

    Result(Pipeline pipeline, PCollection<SegmentProfile> summaries,
        PCollection<ReportContent> report, @Nullable PCollection<SegmentTransition> transitions,
        @Nullable PCollection<SegmentResponse> responses) {
      this.pipeline = pipeline;
      this.summaries = summaries;
      this.report = report;
      this.transitions = transitions;
      this.responses = responses;
    }

    /** One row per defined segment, in file order on a single worker. */
    public PCollection<SegmentProfile> getSummaries() {
      return summaries;
    }

    /** A single element: what {@link WriteSegmentReport} renders. */
    public PCollection<ReportContent> getReport() {
      return report;
    }

    /** Transition matrix cells; null without previous memberships. */
    public @Nullable PCollection<SegmentTransition> getTransitions() {
      return transitions;
    }

    /** Response per segment; null without converted customers. */
    public @Nullable PCollection<SegmentResponse> getResponses() {
      return responses;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new HashMap<>();
      out.put(new TupleTag<SegmentProfile>("summaries"), summaries);
      out.put(new TupleTag<ReportContent>("report"), report);
      if (transitions != null) {
        out.put(new TupleTag<SegmentTransition>("transitions"), transitions);
      }
      if (responses != null) {
        out.put(new TupleTag<SegmentResponse>("responses"), responses);
      }
      return out;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
