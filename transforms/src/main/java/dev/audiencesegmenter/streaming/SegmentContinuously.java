package dev.audiencesegmenter.streaming;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.features.FeaturesAtInstant;
import dev.audiencesegmenter.identity.IdentifierNormalizer;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.MembershipChange;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.segments.SegmentRules;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Segments customers continuously from a stream of events (element timestamps = event time):
 * identities are linked as records arrive, each customer's features are kept up to date in
 * state, and every change of segment membership is emitted as it happens, in event time.
 *
 * <pre>{@code
 * SegmentContinuously.Result out = events.apply(SegmentContinuously.of(definitions)
 *     .withFeatures(ComputeCustomerFeatures.create().withKeyFeatures(...))
 *     .withEvaluationInterval(Duration.standardSeconds(1)));
 * out.getChanges();   // MembershipChange: entered / exited
 * out.getFeatures();  // CustomerFeatures after each evaluation (upsert by customer_id)
 * }</pre>
 *
 * <p>Steps: normalize identifiers (parallel); link them in one identity graph (a single key:
 * it holds identifiers, not events); keep each event under its anchor, the id its customer had
 * on arrival, which forwards it to the customer's current id and re-sends all its events when
 * a merge moves it; evaluate per customer on event-time timers ({@link EvaluateCustomerFn}).
 *
 * <p>Semantics, with the batch job as reference: an evaluation at instant T gives the features
 * and memberships the batch job gives with {@code --asOf=T} over the same events, for the
 * columns that depend on the customer alone (see {@link FeaturesAtInstant#POPULATION_COLUMNS}
 * for the others, which stay null; a segment file that uses them is refused). Evaluations run
 * when the watermark passes them; events up to {@link #getAllowedLateness()} older than their
 * customer's newest event re-run the latest evaluation; older ones are dead-lettered. A merge
 * emits an {@link IdentityChange} and {@code exited} changes (cause {@code merged_into:<id>})
 * for the absorbed customer. Duplicate events (same source and id) count once.
 *
 * <p>State per customer holds its events (twice: under the anchor and the customer), so it
 * grows with a customer's history; the identity graph holds every identifier.
 */
@AutoValue
public abstract class SegmentContinuously
    extends PTransform<PCollection<CustomerEvent>, SegmentContinuously.Result> {

  public abstract SegmentDefinitions getDefinitions();

  public abstract ComputeCustomerFeatures getFeatures();

  public abstract AssignLifecycleStage getLifecycle();

  public abstract IdentityRules getIdentityRules();

  public abstract String getDefaultRegion();

  public abstract Duration getEvaluationInterval();

  public abstract Duration getReevaluationInterval();

  public abstract Duration getReevaluationHorizon();

  public abstract Duration getAllowedLateness();

  public abstract @Nullable Instant getUntil();

  abstract Builder toBuilder();

  /**
   * Segments by {@code definitions}; refused when a condition uses a column computed over the
   * whole population (RFM, tiers, value models, clusters, lookalikes) or from profiles.
   */
  public static SegmentContinuously of(SegmentDefinitions definitions) {
    if (definitions == null) {
      throw new IllegalArgumentException("segment definitions must not be null");
    }
    SegmentRules.requireWithout(definitions, featuresSchema(),
        FeaturesAtInstant.POPULATION_COLUMNS,
        "the streaming job computes only the columns that depend on the customer alone");
    return new AutoValue_SegmentContinuously.Builder()
        .setDefinitions(definitions)
        .setFeatures(ComputeCustomerFeatures.create())
        .setLifecycle(AssignLifecycleStage.create())
        .setIdentityRules(IdentityRules.defaults())
        .setDefaultRegion("US")
        .setEvaluationInterval(Duration.standardSeconds(1))
        .setReevaluationInterval(Duration.standardDays(1))
        .setReevaluationHorizon(Duration.standardDays(400))
        .setAllowedLateness(Duration.standardDays(7))
        .build();
  }

  /** Feature settings (asOf is ignored: it is each evaluation's instant). */
  public SegmentContinuously withFeatures(ComputeCustomerFeatures features) {
    if (features == null) {
      throw new IllegalArgumentException("features must not be null");
    }
    return toBuilder().setFeatures(features).build();
  }

  public SegmentContinuously withLifecycle(AssignLifecycleStage lifecycle) {
    if (lifecycle == null) {
      throw new IllegalArgumentException("lifecycle must not be null");
    }
    return toBuilder().setLifecycle(lifecycle).build();
  }

  /** Placeholders and blocked values; fan-out and per-type limits are batch-only. */
  public SegmentContinuously withIdentityRules(IdentityRules rules) {
    if (rules == null) {
      throw new IllegalArgumentException("identity rules must not be null");
    }
    // blocked values are read in this transform's region, as the data is
    return toBuilder().setIdentityRules(rules.withDefaultRegion(getDefaultRegion())).build();
  }

  /**
   * Region for phone numbers without a country code (ISO 3166 code, e.g. GB), in the data and
   * in the identity rules' blocked values.
   */
  public SegmentContinuously withDefaultRegion(String region) {
    IdentifierNormalizer.create(region); // validates
    return toBuilder().setDefaultRegion(region)
        .setIdentityRules(getIdentityRules().withDefaultRegion(region)).build();
  }

  /**
   * The evaluation grid: a customer is evaluated at the first multiple of this after an event
   * (default 1 s). A shorter interval means lower latency and more evaluations.
   */
  public SegmentContinuously withEvaluationInterval(Duration interval) {
    if (interval == null || interval.getMillis() <= 0) {
      throw new IllegalArgumentException("evaluation interval must be positive, was "
          + interval);
    }
    return toBuilder().setEvaluationInterval(interval).build();
  }

  /**
   * Re-evaluate every {@code interval} (default 1 day; a multiple of the evaluation interval)
   * for {@code horizon} after a customer's newest event (default 400 days), so that time-based
   * conditions change without new events.
   */
  public SegmentContinuously withReevaluation(Duration interval, Duration horizon) {
    if (interval == null || interval.getMillis() <= 0) {
      throw new IllegalArgumentException("re-evaluation interval must be positive, was "
          + interval);
    }
    if (horizon == null || horizon.getMillis() < 0) {
      throw new IllegalArgumentException("re-evaluation horizon must not be negative, was "
          + horizon);
    }
    return toBuilder().setReevaluationInterval(interval).setReevaluationHorizon(horizon).build();
  }

  /** How much older than its customer's newest event an event may be (default 7 days). */
  public SegmentContinuously withAllowedLateness(Duration lateness) {
    if (lateness == null || lateness.getMillis() < 0) {
      throw new IllegalArgumentException("allowed lateness must not be negative, was "
          + lateness);
    }
    return toBuilder().setAllowedLateness(lateness).build();
  }

  /**
   * No evaluation after {@code until}, and a last one exactly at it, once the watermark has
   * passed until plus the allowed lateness (or the input has ended): replaying a finite event
   * set then ends with the batch job's results for {@code --asOf=until}.
   */
  public SegmentContinuously withUntil(Instant until) {
    if (until == null) {
      throw new IllegalArgumentException("until must not be null");
    }
    return toBuilder().setUntil(until).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDefinitions(SegmentDefinitions definitions);

    abstract Builder setFeatures(ComputeCustomerFeatures features);

    abstract Builder setLifecycle(AssignLifecycleStage lifecycle);

    abstract Builder setIdentityRules(IdentityRules rules);

    abstract Builder setDefaultRegion(String region);

    abstract Builder setEvaluationInterval(Duration interval);

    abstract Builder setReevaluationInterval(Duration interval);

    abstract Builder setReevaluationHorizon(Duration horizon);

    abstract Builder setAllowedLateness(Duration lateness);

    abstract Builder setUntil(Instant until);

    abstract SegmentContinuously build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("segments", getDefinitions().getSegments().size()))
        .add(DisplayData.item("defaultRegion", getDefaultRegion()))
        .add(DisplayData.item("evaluationInterval", getEvaluationInterval()))
        .add(DisplayData.item("reevaluationInterval", getReevaluationInterval()))
        .add(DisplayData.item("allowedLateness", getAllowedLateness()))
        .addIfNotNull(DisplayData.item("until", getUntil() == null ? null : getUntil().toString()));
  }

  @Override
  public Result expand(PCollection<CustomerEvent> events) {
    long interval = getEvaluationInterval().getMillis();
    if (getReevaluationInterval().getMillis() % interval != 0) {
      throw new IllegalArgumentException("re-evaluation interval " + getReevaluationInterval()
          + " must be a multiple of the evaluation interval " + getEvaluationInterval());
    }
    Pipeline pipeline = events.getPipeline();
    SchemaCoder<CustomerEvent> eventCoder = SchemaCoders.of(pipeline, CustomerEvent.class);
    SchemaCoder<CustomerFeatures> featuresCoder = SchemaCoders.of(pipeline, CustomerFeatures.class);
    Coder<KV<String, CustomerUpdate>> updateCoder = KvCoder.of(StringUtf8Coder.of(),
        SchemaCoders.of(pipeline, CustomerUpdate.class));
    Coder<DeadLetter> deadLetterCoder = SchemaCoders.of(pipeline, DeadLetter.class);

    TupleTag<DeadLetter> normalizeDead = new TupleTag<>("normalizeDeadLetters") {};
    PCollectionTuple normalized = events.apply("NormalizeIdentifiers",
        ParDo.of(new NormalizeForStreamingFn(IdentifierNormalizer.create(getDefaultRegion(),
                getIdentityRules().getEmailProviderRules()), getIdentityRules(),
                eventCoder.getToRowFunction(), normalizeDead))
            .withOutputTags(NormalizeForStreamingFn.NORMALIZED, TupleTagList.of(normalizeDead)));

    TupleTag<KV<String, CustomerUpdate>> toAnchors = new TupleTag<>("toAnchors") {};
    TupleTag<KV<String, CustomerUpdate>> toCustomers = new TupleTag<>("toCustomers") {};
    TupleTag<IdentityChange> merges = new TupleTag<>("merges") {};
    PCollectionTuple linked = normalized.get(NormalizeForStreamingFn.NORMALIZED)
        .setCoder(KvCoder.of(VarIntCoder.of(), eventCoder))
        .apply("LinkIdentities", ParDo.of(new LinkIdentitiesFn(getIdentityRules(), toAnchors,
                toCustomers, merges))
            .withOutputTags(toAnchors, TupleTagList.of(toCustomers).and(merges)));

    TupleTag<KV<String, CustomerUpdate>> forwarded = new TupleTag<>("forwarded") {};
    TupleTag<DeadLetter> lateDead = new TupleTag<>("lateDeadLetters") {};
    PCollectionTuple anchored = linked.get(toAnchors).setCoder(updateCoder)
        .apply("KeepEventsByAnchor", ParDo.of(new AnchorEventsFn(
                getAllowedLateness().getMillis(), eventCoder, eventCoder.getToRowFunction(),
                forwarded, lateDead))
            .withOutputTags(forwarded, TupleTagList.of(lateDead)));

    TupleTag<CustomerFeatures> featuresTag = new TupleTag<>("features") {};
    TupleTag<MembershipChange> changesTag = new TupleTag<>("changes") {};
    PCollectionTuple evaluated = PCollectionList
        .of(anchored.get(forwarded).setCoder(updateCoder))
        .and(linked.get(toCustomers).setCoder(updateCoder))
        .apply("ToCustomers", Flatten.pCollections())
        .setCoder(updateCoder)
        .apply("EvaluateCustomers", ParDo.of(new EvaluateCustomerFn(
                FeaturesAtInstant.of(getFeatures(), getLifecycle()), getDefinitions(),
                featuresCoder.getSchema(), featuresCoder.getToRowFunction(), eventCoder,
                interval, getReevaluationInterval().getMillis(),
                getReevaluationHorizon().getMillis(),
                getUntil() == null ? null : getUntil().getMillis(),
                getAllowedLateness().getMillis(), featuresTag, changesTag))
            .withOutputTags(featuresTag, TupleTagList.of(changesTag)));

    PCollection<DeadLetter> deadLetters = PCollectionList
        .of(normalized.get(normalizeDead).setCoder(deadLetterCoder))
        .and(anchored.get(lateDead).setCoder(deadLetterCoder))
        .apply("CollectDeadLetters", Flatten.pCollections())
        .setCoder(deadLetterCoder);
    return new Result(pipeline,
        evaluated.get(featuresTag).setCoder(featuresCoder),
        evaluated.get(changesTag).setCoder(SchemaCoders.of(pipeline, MembershipChange.class)),
        linked.get(merges).setCoder(SchemaCoders.of(pipeline, IdentityChange.class)),
        deadLetters);
  }

  private static Schema featuresSchema() {
    try {
      return SchemaRegistry.createDefault().getSchema(CustomerFeatures.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
  }


  /** The outputs: features after each evaluation, membership changes, merges, dead letters. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<CustomerFeatures> features;
    private final PCollection<MembershipChange> changes;
    private final PCollection<IdentityChange> merges;
    private final PCollection<DeadLetter> deadLetters;

    Result(Pipeline pipeline, PCollection<CustomerFeatures> features,
        PCollection<MembershipChange> changes, PCollection<IdentityChange> merges,
        PCollection<DeadLetter> deadLetters) {
      this.pipeline = pipeline;
      this.features = features;
      this.changes = changes;
      this.merges = merges;
      this.deadLetters = deadLetters;
    }

    public PCollection<CustomerFeatures> getFeatures() {
      return features;
    }

    public PCollection<MembershipChange> getChanges() {
      return changes;
    }

    public PCollection<IdentityChange> getMerges() {
      return merges;
    }

    public PCollection<DeadLetter> getDeadLetters() {
      return deadLetters;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(new TupleTag<CustomerFeatures>("features"), features,
          new TupleTag<MembershipChange>("changes"), changes,
          new TupleTag<IdentityChange>("merges"), merges,
          new TupleTag<DeadLetter>("deadLetters"), deadLetters);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }
}
