package dev.audiencesegmenter.batch;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.clv.CovariateCandidates;
import dev.audiencesegmenter.clv.PurchaseModel;
import dev.audiencesegmenter.clv.RepeatPurchaseModel;
import dev.audiencesegmenter.clv.ValueCoders;
import dev.audiencesegmenter.clusters.AssignClusters;
import dev.audiencesegmenter.clv.PredictCustomerValue;
import dev.audiencesegmenter.clv.HoldoutModels;
import dev.audiencesegmenter.clv.HoldoutReport;
import dev.audiencesegmenter.clv.PurchaseCovariates;
import dev.audiencesegmenter.clv.PurchaseSummary;
import dev.audiencesegmenter.clv.SummaryHistogram;
import dev.audiencesegmenter.clv.ValidateHoldout;
import dev.audiencesegmenter.clv.ValueModelFit;
import dev.audiencesegmenter.churn.ActivityHistory;
import dev.audiencesegmenter.churn.EngagementChurnTable;
import dev.audiencesegmenter.churn.RenewalCounts;
import dev.audiencesegmenter.churn.SubscriptionChurn;
import dev.audiencesegmenter.churn.SubscriptionHistory;
import dev.audiencesegmenter.clv.ValueModels;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.features.CustomerFeaturesFold;
import dev.audiencesegmenter.grouping.EncodedValues;
import dev.audiencesegmenter.identity.CustomerLookup;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerEventCoder;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerFeaturesCoder;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.model.SegmentMembershipCoder;
import dev.audiencesegmenter.report.SegmentStatistics;
import dev.audiencesegmenter.report.SegmentStatisticsFold;
import dev.audiencesegmenter.report.SegmentValidation;
import dev.audiencesegmenter.report.SummarizeSegments;
import dev.audiencesegmenter.segments.AddSegmentScores;
import dev.audiencesegmenter.segments.ScoreLookalikes;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
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
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The whole batch segmentation flow in one transform: identities, features as of a date,
 * value models, lifecycle, RFM scores and tiers, clusters and lookalikes when the segment file
 * asks for them, memberships and the segment summary. The same results as applying {@link
 * ResolveIdentities}, {@link ComputeCustomerFeatures}, {@code AddProfileTraits}, {@link
 * PredictCustomerValue}, {@link AssignLifecycleStage}, {@link AddSegmentScores}, {@code
 * AssignSegments} and {@link SummarizeSegments} one after the other, computed with far fewer
 * shuffles:
 *
 * <ol>
 *   <li>identities are resolved, and every event and profile record leaves keyed by its
 *       customer ({@link ResolveIdentities});
 *   <li>records go to groups of customers (a hash of the customer id over {@link
 *       #getCustomerGroups} groups: few, large groups, so the Direct runner cuts few bundles)
 *       and each customer is folded there: features, profile columns, purchase statistics;
 *   <li>population results reach every customer as side inputs: the value models fitted on
 *       everyone's purchase statistics, then the percentiles behind scores and tiers;
 *   <li>one more pass per customer scores it, applies the rules and adds it to the summary
 *       statistics, which are summed per bundle.
 * </ol>
 *
 * <pre>{@code
 * SegmentCustomers.Result result = ResolveIdentities.inputs(events, profiles)
 *     .apply(SegmentCustomers.of(definitions, ComputeCustomerFeatures.create().withAsOf(asOf)));
 * result.getFeatures();     // one row per customer
 * result.getMemberships();  // one row per (customer, segment)
 * result.getSummary().getSummaries();
 * }</pre>
 *
 * <p>Input: the tuple of {@link ResolveIdentities} (events, optionally profiles and previous
 * identities), plus optionally the previous run's memberships under {@link
 * #PREVIOUS_MEMBERSHIPS} for stability and response. Batch only: the inputs must be in the
 * global window.
 */
@AutoValue
public abstract class SegmentCustomers
    extends PTransform<PCollectionTuple, SegmentCustomers.Result> {
  /** Optional: the previous run's {@code segments/} rows, for stability and response. */
  public static final TupleTag<SegmentMembership> PREVIOUS_MEMBERSHIPS =
      new TupleTag<>("previousMemberships") {};

  /** Default of {@link #withCustomerGroups}. */
  public static final int DEFAULT_CUSTOMER_GROUPS = 16;

  public abstract SegmentDefinitions getDefinitions();

  public abstract ComputeCustomerFeatures getFeatures();

  public abstract ResolveIdentities getResolve();

  public abstract @Nullable PredictCustomerValue getValueModels();

  public abstract AssignLifecycleStage getLifecycle();

  public abstract SegmentValidation getValidation();

  public abstract @Nullable Instant getPreviousAsOf();

  public abstract @Nullable Instant getHoldoutEnd();

  public abstract int getCustomerGroups();

  /** Whether {@link Result#getKeyedEvents} is wanted (activation reads it). */
  public abstract boolean getKeyedEvents();

  abstract Builder toBuilder();

  /**
   * The flow for the segments of {@code definitions}, features as configured by {@code
   * features} (which must have its asOf), value models with their defaults, default identity
   * rules, lifecycle stages and validation.
   */
  public static SegmentCustomers of(SegmentDefinitions definitions,
      ComputeCustomerFeatures features) {
    if (definitions == null) {
      throw new IllegalArgumentException("segment definitions must not be null");
    }
    if (features == null || features.getAsOf() == null) {
      throw new IllegalArgumentException("features must be configured with withAsOf(..): the "
          + "run's 'now' is never the clock");
    }
    return new AutoValue_SegmentCustomers.Builder()
        .setDefinitions(definitions)
        .setFeatures(features)
        .setResolve(ResolveIdentities.create())
        .setValueModels(PredictCustomerValue.create().withAsOf(features.getAsOf()))
        .setLifecycle(AssignLifecycleStage.create())
        .setValidation(SegmentValidation.DEFAULTS)
        .setCustomerGroups(DEFAULT_CUSTOMER_GROUPS)
        .setKeyedEvents(false)
        .build();
  }

  /** How identities are resolved (rules, default region, ...). */
  public SegmentCustomers withResolve(ResolveIdentities resolve) {
    if (resolve == null) {
      throw new IllegalArgumentException("resolve must not be null");
    }
    return toBuilder().setResolve(resolve).build();
  }

  /**
   * The value models' settings; their asOf is the features' asOf (given or not: a different
   * one is refused). {@code null} leaves the models out (value columns stay null).
   */
  public SegmentCustomers withValueModels(@Nullable PredictCustomerValue valueModels) {
    if (valueModels != null && valueModels.getAsOf() == null) {
      valueModels = valueModels.withAsOf(getFeatures().getAsOf()); // the features' asOf
    }
    if (valueModels != null && !valueModels.getAsOf().equals(getFeatures().getAsOf())) {
      throw new IllegalArgumentException("value models as of " + valueModels.getAsOf()
          + " but features as of " + getFeatures().getAsOf() + ": they must agree");
    }
    return toBuilder().setValueModels(valueModels).build();
  }

  public SegmentCustomers withLifecycle(AssignLifecycleStage lifecycle) {
    if (lifecycle == null) {
      throw new IllegalArgumentException("lifecycle must not be null");
    }
    return toBuilder().setLifecycle(lifecycle).build();
  }

  public SegmentCustomers withValidation(SegmentValidation validation) {
    if (validation == null) {
      throw new IllegalArgumentException("validation must not be null");
    }
    return toBuilder().setValidation(validation).build();
  }

  /**
   * Response measurement: customers who bought in [previousAsOf, asOf) against the previous
   * run's treatment and holdout; needs {@link #PREVIOUS_MEMBERSHIPS}.
   */
  public SegmentCustomers withPreviousAsOf(Instant previousAsOf) {
    if (previousAsOf == null || !previousAsOf.isBefore(getFeatures().getAsOf())) {
      throw new IllegalArgumentException("previousAsOf (" + previousAsOf + ") must be before "
          + "asOf (" + getFeatures().getAsOf() + "): the outcome window is [previousAsOf, asOf)");
    }
    return toBuilder().setPreviousAsOf(previousAsOf).build();
  }

  /** Holdout validation of the value models on purchases in [asOf, holdoutEnd). */
  public SegmentCustomers withHoldoutEnd(Instant holdoutEnd) {
    if (holdoutEnd == null || !holdoutEnd.isAfter(getFeatures().getAsOf())) {
      throw new IllegalArgumentException("holdoutEnd (" + holdoutEnd + ") must be after asOf ("
          + getFeatures().getAsOf() + ")");
    }
    return toBuilder().setHoldoutEnd(holdoutEnd).build();
  }

  /**
   * Customers are folded in this many groups (default 16): a worker holds the fold state of
   * one group's customers at a time (about a kilobyte each), and the Direct runner cuts one
   * bundle per group. Raise it for tens of millions of customers.
   */
  public SegmentCustomers withCustomerGroups(int groups) {
    if (groups < 1 || groups > 1_000_000) {
      throw new IllegalArgumentException("customer groups must be in [1, 1000000], got "
          + groups);
    }
    return toBuilder().setCustomerGroups(groups).build();
  }

  /** Also returns every event keyed by its customer ({@link Result#getKeyedEvents}). */
  public SegmentCustomers withKeyedEvents() {
    return toBuilder().setKeyedEvents(true).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDefinitions(SegmentDefinitions definitions);

    abstract Builder setFeatures(ComputeCustomerFeatures features);

    abstract Builder setResolve(ResolveIdentities resolve);

    abstract Builder setValueModels(@Nullable PredictCustomerValue valueModels);

    abstract Builder setLifecycle(AssignLifecycleStage lifecycle);

    abstract Builder setValidation(SegmentValidation validation);

    abstract Builder setPreviousAsOf(@Nullable Instant previousAsOf);

    abstract Builder setHoldoutEnd(@Nullable Instant holdoutEnd);

    abstract Builder setCustomerGroups(int groups);

    abstract Builder setKeyedEvents(boolean keyed);

    abstract SegmentCustomers build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("asOf", getFeatures().getAsOf().toString()))
        .add(DisplayData.item("segments", getDefinitions().getSegments().size()))
        .add(DisplayData.item("valueModels", getValueModels() != null))
        .add(DisplayData.item("customerGroups", getCustomerGroups()));
  }

  @Override
  public Result expand(PCollectionTuple input) {
    PCollection<?> eventInput = input.has(ResolveIdentities.EVENTS)
        ? input.get(ResolveIdentities.EVENTS)
        : input.has(ResolveIdentities.CHECKED_EVENTS)
            ? input.get(ResolveIdentities.CHECKED_EVENTS) : null;
    if (eventInput == null) {
      throw new IllegalArgumentException("SegmentCustomers needs events under "
          + "ResolveIdentities.EVENTS (use ResolveIdentities.inputs(..)) or CHECKED_EVENTS");
    }
    if (!(eventInput.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
      throw new IllegalArgumentException("SegmentCustomers is a batch flow: its events must be "
          + "in the global window, got " + eventInput.getWindowingStrategy().getWindowFn());
    }
    if (getPreviousAsOf() != null && !input.has(PREVIOUS_MEMBERSHIPS)) {
      throw new IllegalArgumentException("withPreviousAsOf needs the previous memberships "
          + "under SegmentCustomers.PREVIOUS_MEMBERSHIPS: response is measured on the previous "
          + "run's treatment and holdout");
    }
    Pipeline pipeline = input.getPipeline();
    Instant asOf = getFeatures().getAsOf();
    SegmentDefinitions definitions = getDefinitions();
    if (getValueModels() == null) {
      requireNoValueColumns(definitions);
    }
    // Inside the flow rows travel with the hand-written coder; the outputs carry the schema.
    Coder<CustomerFeatures> featuresCoder = CustomerFeaturesCoder.of();

    PCollectionTuple resolveInput = PCollectionTuple.empty(pipeline);
    PCollectionList<DeadLetter> readerRejects = PCollectionList.empty(pipeline);
    for (Map.Entry<TupleTag<?>, PCollection<?>> e : input.getAll().entrySet()) {
      String id = e.getKey().getId();
      if (id.equals(PREVIOUS_MEMBERSHIPS.getId())) {
        continue;
      }
      if (!getResolve().getGraphOnOneWorker() && (id.equals(ResolveIdentities.CHECKED_EVENTS
          .getId()) || id.equals(ResolveIdentities.CHECKED_PROFILES.getId()))) {
        // The distributed graph keys records itself: its input is plain records.
        boolean isEvents = id.equals(ResolveIdentities.CHECKED_EVENTS.getId());
        @SuppressWarnings("unchecked")
        PCollection<Checked<Object>> checked = (PCollection<Checked<Object>>) e.getValue();
        Coder<Object> recordCoder = ((Checked.Coder<Object>) checked.getCoder()).recordCoder();
        resolveInput = and(resolveInput, isEvents ? ResolveIdentities.EVENTS
            : ResolveIdentities.PROFILES, checked.apply(isEvents ? "PassedEvents"
                : "PassedProfiles", ParDo.of(new Checked.RecordsFn<Object>())).setCoder(recordCoder));
        readerRejects = readerRejects.and(checked.apply(isEvents ? "RejectedEvents"
                : "RejectedProfiles", ParDo.of(new Checked.DeadLettersFn<Object>()))
            .setCoder(SchemaCoders.of(pipeline, DeadLetter.class)));
        continue;
      }
      resolveInput = and(resolveInput, e.getKey(), e.getValue());
    }

    // 1-2. Identities; every record to its customer's group, each customer folded there.
    int groups = getCustomerGroups();
    // Records travel encoded to the fold, in batches per group (see EncodedValues and
    // EncodedBatches): the Flatten of events and profiles before the grouping then copies bytes.
    KvCoder<Integer, byte[]> groupedCoder = KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of());
    ResolveIdentities.Result resolved;
    PCollection<KV<Integer, byte[]>> events;
    PCollection<KV<Integer, byte[]>> profiles;
    if (getResolve().getGraphOnOneWorker()) {
      // Records are keyed and grouped in one step, straight from the resolved graph's lookup.
      resolved = resolveInput.apply("ResolveIdentities", getResolve().withoutKeyedRecords());
      PCollectionView<CustomerLookup> lookup = resolved.getLookup();
      events = resolved.getNormalizedEvents()
          .apply("EventsToGroups", ParDo.of(new KeyToGroupFn<CustomerEvent>(lookup, groups, true,
              toRowFunction(pipeline, CustomerEvent.class))).withSideInputs(lookup))
          .setCoder(groupedCoder);
      profiles = resolved.getNormalizedProfiles()
          .apply("ProfilesToGroups", ParDo.of(new KeyToGroupFn<ProfileAttributes>(lookup,
              groups, false, toRowFunction(pipeline, ProfileAttributes.class)))
              .withSideInputs(lookup))
          .setCoder(groupedCoder);
    } else {
      resolved = resolveInput.apply("ResolveIdentities", getResolve());
      events = resolved.getEvents()
          .apply("EventsToGroups", ParDo.of(new ToGroup<CustomerEvent>(groups, true)))
          .setCoder(groupedCoder);
      profiles = resolved.getProfiles()
          .apply("ProfilesToGroups", ParDo.of(new ToGroup<ProfileAttributes>(groups, false)))
          .setCoder(groupedCoder);
    }
    TupleTag<DeadLetter> unlinkedTag = new TupleTag<>("unlinked") {};
    PCollectionTuple folded = PCollectionList.of(events).and(profiles)
        .apply("AllRecords", Flatten.pCollections())
        .apply("GroupCustomers", GroupByKey.create())
        .apply("FoldCustomers", ParDo.of(new FoldCustomersFn(
                CustomerFeaturesFold.of(getFeatures()), getPreviousAsOf(), getHoldoutEnd(),
                backtestFrom(asOf), unlinkedTag))
            .withOutputTags(FoldCustomersFn.BASE, TupleTagList.of(unlinkedTag)));
    PCollection<CustomerBase> customers = folded.get(FoldCustomersFn.BASE)
        .setCoder(new CustomerBase.Coder(featuresCoder));
    PCollection<DeadLetter> deadLetters = readerRejects.and(resolved.getDeadLetters())
        .and(folded.get(unlinkedTag).setCoder(SchemaCoders.of(pipeline, DeadLetter.class)))
        .apply("DeadLetters", Flatten.pCollections());
    // Events keyed by customer (without their identifiers), for activation.
    PCollection<KV<String, CustomerEvent>> keyedEvents = null;
    if (getKeyedEvents()) {
      keyedEvents = events.apply("KeyedEvents", ParDo.of(new KeyedEventFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), CustomerEventCoder.of()));
    }

    // 3. Value models fitted on everyone, then value and lifecycle per customer.
    PCollectionView<ValueModels> modelsView = null;
    PCollectionView<EngagementChurnTable> churnView = null;
    PCollectionView<SubscriptionChurn> subscriptionView = null;
    PCollection<String> modelJson = null;
    PCollection<String> holdoutJson = null;
    if (getValueModels() != null) {
      ValueModelFit fit = ValueModelFit.of(getValueModels());
      List<String> covariates = getValueModels().getPurchaseCovariates();
      PCollection<SummaryHistogram> histogram;
      PCollection<Map<List<String>, SummaryHistogram>> cells = null;
      if (covariates.isEmpty()) {
        histogram = customers
            .apply("PurchaseStatistics", ParDo.of(new PurchaseStatisticsFn()))
            .setCoder(ValueCoders.purchaseSummary())
            .apply("Histogram", Combine.globally(ValueModelFit.histogram()).withoutDefaults());
      } else {
        // one histogram per cell of covariate categories; their sum is the histogram above
        cells = customers
            .apply("PurchaseStatistics", ParDo.of(new CovariateStatisticsFn(covariates)))
            .setCoder(KvCoder.of(ListCoder.of(StringUtf8Coder.of()),
                ValueCoders.purchaseSummary()))
            .apply("Histogram", Combine.globally(PurchaseCovariates.cells()).withoutDefaults());
        histogram = cells
            .apply("MergeCells", MapElements.into(TypeDescriptor.of(SummaryHistogram.class))
                .via(PurchaseCovariates::merged))
            .setCoder(new SummaryHistogram.HistogramCoder());
      }
      Instant backtestFrom = backtestFrom(asOf);
      PCollectionView<Map<List<String>, SummaryHistogram>> cellsView =
          cells == null ? null : cells.apply("CellsView", View.asSingleton());
      // A run choosing its model with a holdout scores every purchase model with the
      // covariates on the same cells as its own fit: the chosen one is taken from there.
      PCollectionView<CovariateCandidates> holdoutCandidates = null;
      if (getHoldoutEnd() != null && cells != null && backtestFrom != null) {
        holdoutCandidates = covariateCandidates(cells, covariates,
            List.of(PurchaseModel.values()), "HoldoutCovariates");
      }
      PCollection<ValueModels> models;
      if (backtestFrom == null) {
        models = histogram.apply("FitValueModels", ParDo.of(fit.fitFn()))
            .setCoder(SerializableCoder.of(ValueModels.class));
        if (cellsView != null) {
          models = models
              .apply("FitCovariates", ParDo.of(new FitCovariatesFn(covariates, cellsView))
                  .withSideInputs(cellsView))
              .setCoder(SerializableCoder.of(ValueModels.class));
        }
      } else {
        // the backtest chooses among the purchase models, with the covariates too if any
        PCollectionView<HoldoutReport> report =
            backtestReport(customers, backtestFrom, asOf, covariates);
        models = histogram
            .apply("FitValueModels", cellsView == null
                ? fit.fitFnChoosingOn(report, backtestFrom, asOf)
                : holdoutCandidates == null
                ? fit.fitFnChoosingOn(report, backtestFrom, asOf, covariates, cellsView)
                : fit.fitFnChoosingOn(report, backtestFrom, asOf, covariates, cellsView,
                    holdoutCandidates))
            .setCoder(SerializableCoder.of(ValueModels.class));
      }
      modelsView = models.apply("ModelsView", View.asSingleton());
      if (getHoldoutEnd() != null) {
        PCollectionView<CovariateCandidates> candidates = null;
        List<PurchaseModel> bases = List.of();
        if (cells != null && backtestFrom == null) {
          // the run's covariate model, fitted on the same calibration period
          bases = List.of(getValueModels().getPurchaseModel());
          candidates = models
              .apply("HoldoutCovariates", MapElements
                  .into(TypeDescriptor.of(CovariateCandidates.class))
                  .via(m -> CovariateCandidates.of(m.covariates())))
              .setCoder(SerializableCoder.of(CovariateCandidates.class))
              .apply("HoldoutCovariatesView", View.asSingleton());
        } else if (cells != null) {
          // a run that chooses its model: every purchase model with the covariates
          bases = List.of(PurchaseModel.values());
          candidates = holdoutCandidates;
        }
        holdoutJson = validateHoldout(customers, histogram, asOf, getHoldoutEnd(), candidates,
            CovariateCandidates.names(bases), covariates);
      }
      churnView = customers
          .apply("ActivityHistories", ParDo.of(new ActivityHistoryFn()))
          .setCoder(ActivityHistory.coder())
          .apply("EngagementChurn", Combine.globally(EngagementChurnTable.calibrate()))
          .apply("EngagementChurnView", View.asSingleton());
      long period = getValueModels().getSubscriptionPeriod().getMillis();
      double periodRate =
          SubscriptionChurn.periodRate(getValueModels().getAnnualDiscountRate(), period);
      subscriptionView = customers
          .apply("SubscriptionHistories", ParDo.of(new SubscriptionHistoryFn()))
          .setCoder(SubscriptionHistory.coder())
          .apply("RenewalCounts", Combine.globally(RenewalCounts.count(period)))
          .apply("FitRenewals", MapElements.into(TypeDescriptor.of(SubscriptionChurn.class))
              .via(counts -> new SubscriptionChurn(counts.fit(), period, periodRate)))
          .setCoder(SerializableCoder.of(SubscriptionChurn.class))
          .apply("SubscriptionChurnView", View.asSingleton());
      modelJson = models.apply("ModelJson", ParDo.of(new ModelJsonFn()))
          .setCoder(StringUtf8Coder.of());
    }
    ParDo.SingleOutput<CustomerBase, CustomerFeatures> value =
        ParDo.of(new ValueAndLifecycleFn(modelsView, churnView, subscriptionView,
            getLifecycle(), getValueModels() == null ? List.of()
                : getValueModels().getPurchaseCovariates()));
    PCollection<CustomerFeatures> valued = customers
        .apply("ValueAndLifecycle", modelsView == null ? value
            : value.withSideInputs(modelsView, churnView, subscriptionView))
        .setCoder(featuresCoder);

    // 4. Percentiles of everyone, then scores, (clusters, lookalikes,) rules and statistics.
    AddSegmentScores scores = AddSegmentScores.create()
        .withValueTiers(definitions.getValueTierCuts().vipTopPercent(),
            definitions.getValueTierCuts().lowBottomPercent())
        .withEngagementTiers(definitions.getEngagementCuts().highTopPercent(),
            definitions.getEngagementCuts().lowBottomPercent());
    PCollectionView<Map<String, List<Double>>> percentiles = valued
        .apply("ScoredColumns", ParDo.of(new ScoredColumnsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DoubleCoder.of()))
        .apply("Percentiles", Combine.perKey(AddSegmentScores.percentilesFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ListCoder.of(DoubleCoder.of())))
        .apply("PercentilesView", View.asMap());
    Schema featureSchema;
    try {
      featureSchema = pipeline.getSchemaRegistry().getSchema(CustomerFeatures.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
    SerializableFunction<CustomerFeatures, Row> toRow =
        toRowFunction(pipeline, CustomerFeatures.class);
    TupleTag<byte[]> featuresTag = new TupleTag<>("features") {};
    TupleTag<byte[]> membershipsTag = new TupleTag<>("memberships") {};
    TupleTag<KV<String, SegmentStatistics>> statisticsTag = new TupleTag<>("statistics") {};
    boolean between = definitions.getClusterSpec() != null
        || definitions.getLookalikeSpec() != null;
    PCollection<CustomerFeatures> scored = valued;
    PCollection<String> clusterProfiles = null;
    if (between) {
      scored = valued.apply("Score", ParDo.of(new ScoreAndAssignFn(scores, percentiles, null,
              featureSchema, toRow, membershipsTag, statisticsTag))
          .withSideInputs(percentiles))
          .setCoder(ByteArrayCoder.of())
          .apply("DecodeScored", EncodedValues.decoded(featuresCoder));
      // Clusters and lookalikes read columns by schema.
      scored = SchemaCoders.withSchema("ScoredWithSchema", scored, SchemaCoders.of(pipeline,
          CustomerFeatures.class));
      if (definitions.getClusterSpec() != null) {
        AssignClusters.Result clusters =
            scored.apply("AssignClusters", AssignClusters.of(definitions.getClusterSpec()));
        scored = clusters.getFeatures();
        clusterProfiles = clusters.getProfiles();
      }
      if (definitions.getLookalikeSpec() != null) {
        scored = scored.apply("ScoreLookalikes",
            ScoreLookalikes.of(definitions.getLookalikeSpec()));
      }
    }
    ParDo.MultiOutput<CustomerFeatures, byte[]> assign = ParDo.of(
            new ScoreAndAssignFn(between ? null : scores, between ? null : percentiles,
                definitions, featureSchema, toRow, membershipsTag, statisticsTag))
        .withOutputTags(featuresTag, TupleTagList.of(membershipsTag).and(statisticsTag));
    PCollectionTuple assigned = scored.apply(between ? "AssignSegments" : "ScoreAndAssign",
        between ? assign : assign.withSideInputs(percentiles));
    PCollection<CustomerFeatures> features = SchemaCoders.withSchema("FeaturesWithSchema",
        assigned.get(featuresTag).setCoder(ByteArrayCoder.of())
            .apply("DecodeFeatures", EncodedValues.decoded(featuresCoder)),
        SchemaCoders.of(pipeline, CustomerFeatures.class));
    PCollection<SegmentMembership> memberships = SchemaCoders.withSchema("MembershipsWithSchema",
        assigned.get(membershipsTag).setCoder(ByteArrayCoder.of())
            .apply("DecodeMemberships", EncodedValues.decoded(SegmentMembershipCoder.of())),
        SchemaCoders.of(pipeline, SegmentMembership.class));
    PCollection<KV<String, SegmentStatistics>> statistics = assigned.get(statisticsTag)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SegmentStatisticsFold.coder()));

    PCollectionTuple toSummarize = SummarizeSegments.inputs(features, memberships)
        .and(SummarizeSegments.STATISTICS, statistics);
    if (input.has(PREVIOUS_MEMBERSHIPS)) {
      toSummarize = toSummarize.and(SummarizeSegments.PREVIOUS_MEMBERSHIPS,
          input.get(PREVIOUS_MEMBERSHIPS));
      if (getPreviousAsOf() != null) {
        toSummarize = toSummarize.and(SummarizeSegments.CONVERTED_CUSTOMERS, customers
            .apply("ConvertedCustomers", ParDo.of(new ConvertedFn()))
            .setCoder(StringUtf8Coder.of()));
      }
    }
    SummarizeSegments.Result summary = toSummarize.apply("SummarizeSegments",
        SummarizeSegments.<CustomerFeatures>of(definitions).withValidation(getValidation())
            .withCustomerGroups(groups));

    return new Result(pipeline, resolved, deadLetters, keyedEvents, features, memberships,
        summary, modelJson, holdoutJson, clusterProfiles);
  }

  @SuppressWarnings("unchecked")
  private static PCollectionTuple and(PCollectionTuple tuple, TupleTag<?> tag,
      PCollection<?> value) {
    return tuple.and((TupleTag<Object>) tag, (PCollection<Object>) value);
  }


  /** A keyed record to its customer's group. */
  private static final class ToGroup<T> extends DoFn<KV<String, T>, KV<Integer, byte[]>> {
    private final int groups;
    private final boolean events;

    ToGroup(int groups, boolean events) {
      this.groups = groups;
      this.events = events;
    }

    @ProcessElement
    public void process(@Element KV<String, T> record,
        OutputReceiver<KV<Integer, byte[]>> out) {
      String customer = record.getKey();
      CustomerRecord r = events
          ? CustomerRecord.event(customer, (CustomerEvent) record.getValue())
          : CustomerRecord.profile(customer, (ProfileAttributes) record.getValue());
      out.output(KV.of(Math.floorMod(customer.hashCode(), groups), CustomerRecord.encode(r)));
    }
  }

  /**
   * Without the value models, the columns they fill stay null and the value tiers, ranked by
   * predicted lifetime value, are never set: a rule on any of them is false for everyone. That
   * is a configuration mistake, reported when the pipeline is built.
   */
  static void requireNoValueColumns(SegmentDefinitions definitions) {
    Set<String> unfilled = new TreeSet<>(FilledColumns.filledBy("PredictCustomerValue"));
    unfilled.add(AddSegmentScores.VALUE_TIER);
    List<String> problems = new ArrayList<>();
    new TreeMap<>(definitions.getColumnsRead()).forEach((segment, columns) -> columns.stream()
        .filter(unfilled::contains)
        .forEach(column -> problems.add("segment '" + segment + "' reads " + column
            + (column.equals(AddSegmentScores.VALUE_TIER)
                ? " (ranked by predicted_clv_365d, which PredictCustomerValue fills)"
                : ", which PredictCustomerValue fills"))));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("SegmentCustomers: the value models are off "
          + "(withValueModels(null); the job's --valueModels=false), so these rules would be "
          + "false for every customer: " + String.join("; ", problems) + ". Turn the value "
          + "models on, or remove those segments.");
    }
  }

  /** Start of the backtest that chooses the purchase model; null without one. */
  private @Nullable Instant backtestFrom(Instant asOf) {
    return getValueModels() == null || getValueModels().getPurchaseModelBacktest() == null
        ? null : asOf.minus(getValueModels().getPurchaseModelBacktest());
  }

  /**
   * The purchase models fitted on purchases before {@code from} and scored on each customer's
   * purchase days in [from, asOf): the report that chooses the run's purchase model. With
   * {@code covariates}, each purchase model with them too, fitted on the cells of the same
   * purchases (a customer's cell is their categories as of asOf: covariates are meant not to
   * change). Counter {@code backtest_not_fitted}: 1 when the calibration period was too short
   * for BG/NBD.
   */
  private static PCollectionView<HoldoutReport> backtestReport(
      PCollection<CustomerBase> customers, Instant from, Instant asOf,
      List<String> covariates) {
    PCollectionView<HoldoutModels> models = customers
        .apply("BacktestStatistics", ParDo.of(new BacktestStatisticsFn()))
        .setCoder(ValueCoders.purchaseSummary())
        // no default: nobody bought before the backtest means no fit and no customer to score
        .apply("BacktestHistogram", Combine.globally(ValueModelFit.histogram()).withoutDefaults())
        .apply("BacktestModels", ParDo.of(ValidateHoldout.backtestModelsFn(from)))
        .setCoder(SerializableCoder.of(HoldoutModels.class))
        .apply("BacktestModelsView", View.asSingleton());
    double weeks = ValidateHoldout.holdoutWeeks(from, asOf);
    List<PurchaseModel> bases = List.of();
    ParDo.SingleOutput<CustomerBase, HoldoutReport> compare =
        ParDo.of(new CompareFn(models, weeks, true, null, covariates)).withSideInputs(models);
    if (!covariates.isEmpty()) {
      bases = List.of(PurchaseModel.values());
      PCollectionView<CovariateCandidates> candidates = covariateCandidates(customers
          .apply("BacktestCellStatistics", ParDo.of(new CovariateStatisticsFn(covariates, true)))
          .setCoder(KvCoder.of(ListCoder.of(StringUtf8Coder.of()),
              ValueCoders.purchaseSummary()))
          .apply("BacktestCells", Combine.globally(PurchaseCovariates.cells())),
          covariates, bases, "BacktestCovariates");
      compare = ParDo.of(new CompareFn(models, weeks, true, candidates, covariates))
          .withSideInputs(models, candidates);
    }
    return customers
        .apply("BacktestPerCustomer", compare)
        .setCoder(HoldoutReport.coder())
        .apply("BacktestAddUp",
            Combine.globally(ValidateHoldout.addUp(CovariateCandidates.names(bases))))
        .apply("BacktestView", View.asSingleton());
  }

  /** Each of {@code bases} with {@code covariates}, fitted on {@code cells}, as a view. */
  private static PCollectionView<CovariateCandidates> covariateCandidates(
      PCollection<Map<List<String>, SummaryHistogram>> cells, List<String> covariates,
      List<PurchaseModel> bases, String name) {
    return cells
        .apply(name, MapElements.into(TypeDescriptor.of(CovariateCandidates.class))
            .via(c -> CovariateCandidates.fit(covariates, c, bases)))
        .setCoder(SerializableCoder.of(CovariateCandidates.class))
        .apply(name + "View", View.asSingleton());
  }

  private static final class BacktestStatisticsFn extends DoFn<CustomerBase, PurchaseSummary> {
    @ProcessElement
    public void process(@Element CustomerBase c, OutputReceiver<PurchaseSummary> out) {
      if (c.backtest != null) {
        out.output(c.backtest);
      }
    }
  }

  /**
   * Holdout validation of the value models ({@link ValidateHoldout}) from what the fold kept:
   * the purchase models fitted on each customer's calibration statistics (purchases before
   * asOf, the same histogram, the validation's settings) and scored on their purchase days in
   * [asOf, holdoutEnd), with the covariate models of {@code candidates} (named {@code names}) if
   * given.
   */
  private static PCollection<String> validateHoldout(PCollection<CustomerBase> customers,
      PCollection<SummaryHistogram> histogram, Instant asOf, Instant holdoutEnd,
      @Nullable PCollectionView<CovariateCandidates> candidates, List<String> names,
      List<String> covariates) {
    PCollectionView<HoldoutModels> models = histogram
        .apply("HoldoutModels", ValidateHoldout.fitModels(asOf));
    double weeks = ValidateHoldout.holdoutWeeks(asOf, holdoutEnd);
    String from = asOf.toString();
    String to = holdoutEnd.toString();
    ParDo.SingleOutput<CustomerBase, HoldoutReport> compare = candidates == null
        ? ParDo.of(new CompareFn(models, weeks, false, null, covariates)).withSideInputs(models)
        : ParDo.of(new CompareFn(models, weeks, false, candidates, covariates))
            .withSideInputs(models, candidates);
    return customers
        .apply("HoldoutPerCustomer", compare)
        .setCoder(HoldoutReport.coder())
        .apply("HoldoutAddUp", Combine.globally(ValidateHoldout.addUp(names)).withoutDefaults())
        .apply("HoldoutJson", MapElements.into(TypeDescriptors.strings())
            .via(report -> report.toJson(from, to)))
        .setCoder(StringUtf8Coder.of());
  }

  /**
   * Each customer of a calibration cohort against the models: the holdout after asOf, or (with
   * {@code backtest}) the backtest before it.
   */
  private static final class CompareFn extends DoFn<CustomerBase, HoldoutReport> {
    private final PCollectionView<HoldoutModels> models;
    private final double weeks;
    private final boolean backtest;
    /** Covariate models scored after the others, in their order; null for none. */
    private final @Nullable PCollectionView<CovariateCandidates> candidates;
    private final List<String> covariates;

    CompareFn(PCollectionView<HoldoutModels> models, double weeks, boolean backtest,
        @Nullable PCollectionView<CovariateCandidates> candidates, List<String> covariates) {
      this.models = models;
      this.weeks = weeks;
      this.backtest = backtest;
      this.candidates = candidates;
      this.covariates = covariates;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      CustomerBase customer = c.element();
      PurchaseSummary calibration = backtest ? customer.backtest : customer.purchases;
      if (calibration != null) { // the calibration cohort
        List<String> names = List.of();
        List<? extends @Nullable RepeatPurchaseModel> byCell = List.of();
        Map<String, String> notFitted = Map.of();
        if (candidates != null) {
          CovariateCandidates fitted = c.sideInput(candidates);
          names = CovariateCandidates.names(fitted.bases());
          byCell = fitted.forCell(PurchaseCovariates.cellOf(customer.features, covariates));
          notFitted = fitted.notFitted();
        }
        c.output(ValidateHoldout.compare(calibration,
            backtest ? customer.backtestPeriod : customer.holdout, c.sideInput(models), names,
            byCell, weeks).notFitted(notFitted));
      }
    }
  }

  private static final class ConvertedFn extends DoFn<CustomerBase, String> {
    @ProcessElement
    public void process(@Element CustomerBase customer, OutputReceiver<String> out) {
      if (customer.converted) {
        out.output(customer.features.getCustomerId());
      }
    }
  }

  /** A grouped event back as {@code KV(customer id, event)}. */
  private static final class KeyedEventFn
      extends DoFn<KV<Integer, byte[]>, KV<String, CustomerEvent>> {
    @ProcessElement
    public void process(@Element KV<Integer, byte[]> encoded,
        OutputReceiver<KV<String, CustomerEvent>> out) {
      for (CustomerRecord r : CustomerRecord.decodeAll(encoded.getValue())) {
        if (r.event != null) {
          out.output(KV.of(r.customerId, r.event));
        }
      }
    }
  }

  private static <T> SerializableFunction<T, Row> toRowFunction(Pipeline pipeline,
      Class<T> type) {
    try {
      return pipeline.getSchemaRegistry().getToRowFunction(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("No schema for " + type.getName(), e);
    }
  }

  private static final class PurchaseStatisticsFn extends DoFn<CustomerBase, PurchaseSummary> {
    @ProcessElement
    public void process(@Element CustomerBase c, OutputReceiver<PurchaseSummary> out) {
      if (c.purchases != null) {
        out.output(c.purchases);
      }
    }
  }

  /** A buyer's purchase statistics in the cell of their covariate categories. */
  private static final class CovariateStatisticsFn
      extends DoFn<CustomerBase, KV<List<String>, PurchaseSummary>> {
    private final List<String> covariates;
    /** The purchases before the backtest, not before asOf. */
    private final boolean backtest;

    CovariateStatisticsFn(List<String> covariates) {
      this(covariates, false);
    }

    CovariateStatisticsFn(List<String> covariates, boolean backtest) {
      this.covariates = covariates;
      this.backtest = backtest;
    }

    @ProcessElement
    public void process(@Element CustomerBase c,
        OutputReceiver<KV<List<String>, PurchaseSummary>> out) {
      PurchaseSummary purchases = backtest ? c.backtest : c.purchases;
      if (purchases != null) {
        out.output(KV.of(PurchaseCovariates.cellOf(c.features, covariates), purchases));
      }
    }
  }

  /**
   * The run's purchase model with the covariates, fitted on the cells and added to the run's
   * models.
   */
  private static final class FitCovariatesFn extends DoFn<ValueModels, ValueModels> {
    private final List<String> covariates;
    private final PCollectionView<Map<List<String>, SummaryHistogram>> cells;

    FitCovariatesFn(List<String> covariates,
        PCollectionView<Map<List<String>, SummaryHistogram>> cells) {
      this.covariates = covariates;
      this.cells = cells;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      ValueModels models = c.element();
      c.output(models.withCovariates(PurchaseCovariates.fit(covariates, c.sideInput(cells),
          models.purchaseModel())));
    }
  }

  /** Subscribers' starts and cancellations, which the sBG model is fitted on. */
  private static final class SubscriptionHistoryFn
      extends DoFn<CustomerBase, SubscriptionHistory> {
    @ProcessElement
    public void process(@Element CustomerBase c, OutputReceiver<SubscriptionHistory> out) {
      if (c.subscription.subscribed()) {
        out.output(c.subscription);
      }
    }
  }

  /** Each customer's engagement history, which the engagement churn table is calibrated on. */
  private static final class ActivityHistoryFn extends DoFn<CustomerBase, ActivityHistory> {
    @ProcessElement
    public void process(@Element CustomerBase c, OutputReceiver<ActivityHistory> out) {
      out.output(c.activity);
    }
  }

  private static final class ModelJsonFn extends DoFn<ValueModels, String> {
    @ProcessElement
    public void process(@Element ValueModels m, OutputReceiver<String> out) {
      out.output(m.toJson());
    }
  }

  private static final class ScoredColumnsFn extends DoFn<CustomerFeatures, KV<String, Double>> {
    @ProcessElement
    public void process(@Element CustomerFeatures c, OutputReceiver<KV<String, Double>> out) {
      AddSegmentScores.scoredColumns(c, (column, v) -> out.output(KV.of(column, v)));
    }
  }

  /** What {@link SegmentCustomers} produces. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final ResolveIdentities.Result identities;
    private final PCollection<DeadLetter> deadLetters;
    private final @Nullable PCollection<KV<String, CustomerEvent>> keyedEvents;
    private final PCollection<CustomerFeatures> features;
    private final PCollection<SegmentMembership> memberships;
    private final SummarizeSegments.Result summary;
    private final @Nullable PCollection<String> modelJson;
    private final @Nullable PCollection<String> holdoutJson;
    private final @Nullable PCollection<String> clusterProfiles;

    Result(Pipeline pipeline, ResolveIdentities.Result identities,
        PCollection<DeadLetter> deadLetters,
        @Nullable PCollection<KV<String, CustomerEvent>> keyedEvents,
        PCollection<CustomerFeatures> features, PCollection<SegmentMembership> memberships,
        SummarizeSegments.Result summary, @Nullable PCollection<String> modelJson,
        @Nullable PCollection<String> holdoutJson, @Nullable PCollection<String> clusterProfiles) {
      this.pipeline = pipeline;
      this.identities = identities;
      this.deadLetters = deadLetters;
      this.keyedEvents = keyedEvents;
      this.features = features;
      this.memberships = memberships;
      this.summary = summary;
      this.modelJson = modelJson;
      this.holdoutJson = holdoutJson;
      this.clusterProfiles = clusterProfiles;
    }

    /**
     * Identities ({@code getIdentities()}), junk identifiers and merges. Its records are keyed
     * here, not there: see {@link #getKeyedEvents}, {@link #getDeadLetters}.
     */
    public ResolveIdentities.Result getIdentities() {
      return identities;
    }

    /** Every record that belongs to no customer, with why. */
    public PCollection<DeadLetter> getDeadLetters() {
      return deadLetters;
    }

    /**
     * Every event keyed by its customer, without its identifiers ({@link #withKeyedEvents}).
     */
    public PCollection<KV<String, CustomerEvent>> getKeyedEvents() {
      if (keyedEvents == null) {
        throw new IllegalStateException("keyed events are returned only withKeyedEvents()");
      }
      return keyedEvents;
    }

    /** One row per customer with an event before asOf, every column filled. */
    public PCollection<CustomerFeatures> getFeatures() {
      return features;
    }

    /** One row per (customer, segment). */
    public PCollection<SegmentMembership> getMemberships() {
      return memberships;
    }

    /** Summary rows, the report's content, stability and response. */
    public SummarizeSegments.Result getSummary() {
      return summary;
    }

    /** The value models as one JSON document ({@code model/clv.json}); null without them. */
    public @Nullable PCollection<String> getModelJson() {
      return modelJson;
    }

    /** Holdout validation as one JSON document; null without a holdout end. */
    public @Nullable PCollection<String> getHoldoutJson() {
      return holdoutJson;
    }

    /** Cluster profiles as one JSON document; null without a clusters group. */
    public @Nullable PCollection<String> getClusterProfiles() {
      return clusterProfiles;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new HashMap<>(identities.expand());
      out.put(new TupleTag<DeadLetter>("allDeadLetters"), deadLetters);
      if (keyedEvents != null) {
        out.put(new TupleTag<KV<String, CustomerEvent>>("customerEvents"), keyedEvents);
      }
      out.put(new TupleTag<CustomerFeatures>("features"), features);
      out.put(new TupleTag<SegmentMembership>("memberships"), memberships);
      out.putAll(summary.expand());
      if (modelJson != null) {
        out.put(new TupleTag<String>("modelJson"), modelJson);
      }
      if (holdoutJson != null) {
        out.put(new TupleTag<String>("holdoutJson"), holdoutJson);
      }
      if (clusterProfiles != null) {
        out.put(new TupleTag<String>("clusterProfiles"), clusterProfiles);
      }
      return out;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
