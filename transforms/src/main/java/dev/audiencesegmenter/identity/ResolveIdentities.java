package dev.audiencesegmenter.identity;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.grouping.EncodedValues;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.CustomerIdentityCoder;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.JunkIdentifier;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SchemaCoders;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PCollectionViews;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Unifies customer identities: normalizes the identifiers of every event and profile (see
 * {@link IdentifierNormalizer}), links every pair of identifiers that appear on one record,
 * transitively ({@link ConnectedComponents}), and gives each resulting customer an id.
 *
 * <pre>{@code
 * ResolveIdentities.Result resolved =
 *     ResolveIdentities.inputs(events, profiles)
 *         .apply(ResolveIdentities.create().withDefaultRegion("GB"));
 * resolved.getEvents();      // KV(customer id, event with normalized identifiers)
 * resolved.getIdentities();  // one row per normalized identifier
 * }</pre>
 *
 * <p>Identifiers that must not link (placeholders, blocked values, values with too large a
 * fan-out, values that would break a per-customer limit; see {@link IdentityRules}) are left
 * out of linking and listed in {@link Result#getJunkIdentifiers()}; a record is kept by its
 * highest-priority usable identifier. A customer that only a chain of records put over a
 * limit is split by dropping its weakest conflicting links ({@link SplitOverLimitCustomers}),
 * each listed there too.
 *
 * <p>A customer's id is {@code "c-"} followed by the first 16 hex digits of the SHA-256 of
 * its smallest identifier written {@code type:value} (for example {@code email:ann@x.com}):
 * the same identifiers give the same id on every run and runner. Given the previous run's
 * identities ({@link #PREVIOUS_IDENTITIES}), ids are carried over instead, and merges and
 * splits are reported ({@link StableCustomerIds}).
 *
 * <p>A record none of whose identifiers is valid after normalization (say, only a malformed
 * phone number), or usable for linking, cannot belong to anyone: it goes to {@link
 * Result#getDeadLetters()}. Every record in comes out once, keyed by its customer, or as a
 * dead letter.
 *
 * <p>Batch: one graph over all records, so every input must be in the global window.
 */
@AutoValue
public abstract class ResolveIdentities extends PTransform<PCollectionTuple,
    ResolveIdentities.Result> {

  public static final TupleTag<CustomerEvent> EVENTS = new TupleTag<>("events") {};
  public static final TupleTag<ProfileAttributes> PROFILES = new TupleTag<>("profiles") {};
  /**
   * Instead of {@link #EVENTS}: events with their readers' rejects in band (a reader's {@code
   * withDeadLettersInBand()}); for {@link #withoutKeyedRecords()}, whose output carries them on.
   */
  public static final TupleTag<Checked<CustomerEvent>> CHECKED_EVENTS =
      new TupleTag<>("checkedEvents") {};
  /** Instead of {@link #PROFILES}: profiles with their readers' rejects in band. */
  public static final TupleTag<Checked<ProfileAttributes>> CHECKED_PROFILES =
      new TupleTag<>("checkedProfiles") {};
  /** Optional: the previous run's identities, to keep customer ids stable. */
  public static final TupleTag<CustomerIdentity> PREVIOUS_IDENTITIES =
      new TupleTag<>("previousIdentities") {};

  public abstract String getDefaultRegion();

  public abstract int getMaxRounds();

  public abstract int getBuckets();

  public abstract IdentityRules getRules();

  public abstract int getMaxLinksToSplit();

  /** Whether the graph is resolved on one worker (the default) or in distributed rounds. */
  public abstract boolean getGraphOnOneWorker();

  public abstract long getMaxIdentifiersOnOneWorker();

  /** Whether records leave keyed by customer (the default) or normalized with the lookup. */
  public abstract boolean getKeyedRecords();

  abstract Builder toBuilder();

  public static ResolveIdentities create() {
    return new AutoValue_ResolveIdentities.Builder()
        .setDefaultRegion("US")
        .setMaxRounds(ConnectedComponents.DEFAULT_MAX_ROUNDS)
        .setBuckets(ConnectedComponents.DEFAULT_BUCKETS)
        .setRules(IdentityRules.defaults())
        .setMaxLinksToSplit(DEFAULT_MAX_LINKS_TO_SPLIT)
        .setGraphOnOneWorker(true)
        .setMaxIdentifiersOnOneWorker(DEFAULT_MAX_IDENTIFIERS_ON_ONE_WORKER)
        .setKeyedRecords(true)
        .build();
  }

  /**
   * For flows that key records themselves, in the step that also sends them on: the result
   * then holds the normalized records with every reject in band ({@link
   * Result#getNormalizedEvents}, {@link Result#getNormalizedProfiles}; {@link Checked}) and the
   * resolved graph's {@link CustomerLookup} as a side input ({@link Result#getLookup}), instead
   * of keyed records and dead letters; keying finds the records none of whose identifiers can
   * link ({@link CustomerLookup#ownerOf}). Every step on the records' way has one output, so a
   * runner ships them once to the graph and once onwards. Takes {@link #CHECKED_EVENTS} too.
   * Needs the one-worker graph.
   */
  public ResolveIdentities withoutKeyedRecords() {
    return toBuilder().setKeyedRecords(false).build();
  }

  /** Default of {@link #withMaxIdentifiersOnOneWorker}. */
  public static final long DEFAULT_MAX_IDENTIFIERS_ON_ONE_WORKER = 50_000_000L;

  /**
   * Resolves the graph in distributed rounds ({@link ConnectedComponents}): no worker holds the
   * graph, at the cost of shuffling every link twice per round. For graphs with more
   * identifiers than a worker can hold (see {@link #withMaxIdentifiersOnOneWorker}).
   */
  public ResolveIdentities withDistributedGraph() {
    return toBuilder().setGraphOnOneWorker(false).build();
  }

  /**
   * The most distinct identifiers the default strategy resolves on one worker (default
   * 50,000,000; the compact graph needs roughly 100 bytes per identifier): a larger graph fails
   * the run with a message pointing to {@link #withDistributedGraph}.
   */
  public ResolveIdentities withMaxIdentifiersOnOneWorker(long maxIdentifiers) {
    if (maxIdentifiers < 1) {
      throw new IllegalArgumentException("maxIdentifiersOnOneWorker must be at least 1, got "
          + maxIdentifiers);
    }
    return toBuilder().setMaxIdentifiersOnOneWorker(maxIdentifiers).build();
  }

  /** The step named in the dead letters of records none of whose identifiers can link. */
  public static final String LINK_STEP = LinkRecordFn.STEP;

  /** Default of {@link #withMaxLinksToSplit}. */
  public static final int DEFAULT_MAX_LINKS_TO_SPLIT = 100_000;

  /**
   * The largest customer, in distinct links, that is split when a chain of records gave it
   * more identifiers of a type than the type's limit (default 100,000). Such a customer's links
   * are replayed on one worker (see {@link SplitOverLimitCustomers}); a larger one is left
   * merged and counted in {@code customers_over_limit_too_large}.
   */
  public ResolveIdentities withMaxLinksToSplit(int maxLinks) {
    if (maxLinks < 1) {
      throw new IllegalArgumentException("maxLinksToSplit must be at least 1, got " + maxLinks);
    }
    return toBuilder().setMaxLinksToSplit(maxLinks).build();
  }

  /**
   * Identifier priorities and limits, junk rules and email provider rules (default: {@link
   * IdentityRules#defaults()}). Their blocked values are read in this transform's region
   * ({@link #withDefaultRegion}), as the data is.
   */
  public ResolveIdentities withRules(IdentityRules rules) {
    if (rules == null) {
      throw new IllegalArgumentException("rules must not be null");
    }
    return toBuilder().setRules(rules.withDefaultRegion(getDefaultRegion())).build();
  }

  /**
   * Region for phone numbers written without a country code (ISO 3166, default "US"), in the
   * data and in the rules' blocked values.
   */
  public ResolveIdentities withDefaultRegion(String region) {
    IdentifierNormalizer.create(region); // validates, naming the bad value
    return toBuilder().setDefaultRegion(region).setRules(getRules().withDefaultRegion(region))
        .build();
  }

  /** Upper bound of linking rounds; see {@link ConnectedComponents}. */
  public ResolveIdentities withMaxRounds(int maxRounds) {
    ConnectedComponents.create().withMaxRounds(maxRounds); // validates
    return toBuilder().setMaxRounds(maxRounds).build();
  }

  /**
   * Number of hash buckets the identity graph is spread over in each linking step (default
   * 64): a worker holds about 1/buckets of the identifiers at a time. Raise it for very large
   * graphs.
   */
  public ResolveIdentities withBuckets(int buckets) {
    ConnectedComponents.create().withBuckets(buckets); // validates
    return toBuilder().setBuckets(buckets).build();
  }

  /** The input tuple: events, and optionally profiles ({@code null} for none). */
  public static PCollectionTuple inputs(
      PCollection<CustomerEvent> events, @Nullable PCollection<ProfileAttributes> profiles) {
    PCollectionTuple tuple = PCollectionTuple.of(EVENTS, events);
    return profiles == null ? tuple : tuple.and(PROFILES, profiles);
  }

  /** As {@link #inputs}, with the previous run's identities to keep customer ids stable. */
  public static PCollectionTuple inputs(PCollection<CustomerEvent> events,
      @Nullable PCollection<ProfileAttributes> profiles,
      PCollection<CustomerIdentity> previousIdentities) {
    return inputs(events, profiles).and(PREVIOUS_IDENTITIES, previousIdentities);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDefaultRegion(String region);

    abstract Builder setMaxRounds(int maxRounds);

    abstract Builder setBuckets(int buckets);

    abstract Builder setRules(IdentityRules rules);

    abstract Builder setMaxLinksToSplit(int maxLinks);

    abstract Builder setGraphOnOneWorker(boolean oneWorker);

    abstract Builder setMaxIdentifiersOnOneWorker(long maxIdentifiers);

    abstract Builder setKeyedRecords(boolean keyed);

    abstract ResolveIdentities build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("defaultRegion", getDefaultRegion()))
        .add(DisplayData.item("priorities", String.join(",", getRules().getPriorities())))
        .add(DisplayData.item("maxFanOut", getRules().getMaxFanOut()))
        .add(DisplayData.item("graphOnOneWorker", getGraphOnOneWorker()))
        .add(DisplayData.item("maxIdentifiersOnOneWorker", getMaxIdentifiersOnOneWorker()))
        .add(DisplayData.item("maxRounds", getMaxRounds()))
        .add(DisplayData.item("buckets", getBuckets()));
  }

  @Override
  public Result expand(PCollectionTuple input) {
    boolean checkedInput = input.has(CHECKED_EVENTS) || input.has(CHECKED_PROFILES);
    if (input.has(EVENTS) == input.has(CHECKED_EVENTS)) {
      throw new IllegalArgumentException("ResolveIdentities needs events under either "
          + "ResolveIdentities.EVENTS (use inputs(..)) or CHECKED_EVENTS, not both");
    }
    if (input.has(PROFILES) && input.has(CHECKED_PROFILES)) {
      throw new IllegalArgumentException("profiles under PROFILES or CHECKED_PROFILES, not both");
    }
    if (checkedInput && getKeyedRecords()) {
      throw new IllegalArgumentException("records with their rejects in band (CHECKED_EVENTS, "
          + "CHECKED_PROFILES) need withoutKeyedRecords(), whose output carries the rejects on");
    }
    // One graph over all records: a graph per window is not what this transform computes (the
    // streaming job keeps its graph in state instead).
    input.getAll().forEach((tag, records) -> {
      if (!(records.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
        throw new IllegalArgumentException("ResolveIdentities resolves one graph over all its "
            + "records: its input '" + tag.getId() + "' must be in the global window, got "
            + records.getWindowingStrategy().getWindowFn());
      }
    });
    Pipeline pipeline = input.getPipeline();
    IdentifierNormalizer normalizer = IdentifierNormalizer.create(getDefaultRegion(),
        getRules().getEmailProviderRules());
    PCollection<CustomerEvent> events = input.has(EVENTS) ? input.get(EVENTS) : null;
    PCollection<ProfileAttributes> profiles = input.has(PROFILES)
        ? input.get(PROFILES)
        : pipeline.apply("NoProfiles", Create.empty(SchemaCoders.of(pipeline,
            ProfileAttributes.class)));

    TupleTag<CustomerEvent> eventsTag = new TupleTag<>("events") {};
    TupleTag<ProfileAttributes> profilesTag = new TupleTag<>("profiles") {};
    if (!getKeyedRecords() && !getGraphOnOneWorker()) {
      throw new IllegalArgumentException("withoutKeyedRecords() needs the one-worker graph: "
          + "with withDistributedGraph() there is no lookup to key records with");
    }
    if (getGraphOnOneWorker()) {
      return expandOnOneWorker(input, events, profiles, normalizer, eventsTag, profilesTag);
    }
    PCollectionTuple normalizedEvents = normalize("NormalizeEvents", events, normalizer,
        new EventIdentifiers(), CustomerEvent.class, eventsTag);
    PCollectionTuple normalizedProfiles = normalize("NormalizeProfiles", profiles, normalizer,
        new ProfileIdentifiers(), ProfileAttributes.class, profilesTag);

    PCollection<KV<String, JunkIdentifier>> junk =
        PCollectionList.of(normalizedEvents.get(PAIRS))
            .and(normalizedProfiles.get(PAIRS))
            .apply("AllPairs", Flatten.pCollections())
            .apply("FindJunkIdentifiers", new FindJunkIdentifiers(getRules(), getBuckets()));
    PCollectionView<Map<String, JunkIdentifier>> junkView = junk.apply("JunkView",
        View.asMap());

    TupleTag<KV<String, CustomerEvent>> keyedEventsTag = new TupleTag<>("keyedEvents") {};
    TupleTag<KV<String, ProfileAttributes>> keyedProfilesTag =
        new TupleTag<>("keyedProfiles") {};
    PCollectionTuple linkedEvents = link("LinkEvents", normalizedEvents.get(eventsTag)
        .setCoder(events.getCoder()), new EventIdentifiers(),
        toRowFunction(pipeline, CustomerEvent.class), junkView, keyedEventsTag);
    PCollectionTuple linkedProfiles = link("LinkProfiles", normalizedProfiles.get(profilesTag)
        .setCoder(profiles.getCoder()), new ProfileIdentifiers(),
        toRowFunction(pipeline, ProfileAttributes.class), junkView, keyedProfilesTag);

    PCollection<KV<String, String>> edges = PCollectionList.of(linkedEvents.get(EDGES))
        .and(linkedProfiles.get(EDGES))
        .apply("AllLinks", Flatten.pCollections());
    PCollection<KV<String, String>> components = edges
        .apply("LinkIdentifiers", ConnectedComponents.create().withMaxRounds(getMaxRounds())
            .withBuckets(getBuckets()));
    // Without any per-type limit nothing can be over one: the three joins are left out.
    boolean limits = getRules().getPriorities().stream()
        .anyMatch(type -> getRules().limit(type) != null);
    PCollection<KV<String, String>> splitLabels = components;
    PCollection<KV<String, JunkIdentifier>> droppedLinks = pipeline.apply("NoDroppedLinks",
        Create.empty(KvCoder.of(StringUtf8Coder.of(), SchemaCoders.of(pipeline,
            JunkIdentifier.class))));
    if (limits) {
      PCollectionTuple split = PCollectionTuple.of(SplitOverLimitCustomers.LABELS, components)
          .and(SplitOverLimitCustomers.LINKS, edges)
          .apply("SplitOverLimitCustomers", new SplitOverLimitCustomers(getRules(),
              getMaxLinksToSplit()));
      splitLabels = split.get(SplitOverLimitCustomers.LABELS);
      droppedLinks = split.get(SplitOverLimitCustomers.DROPPED);
    }
    PCollection<KV<String, String>> labels = splitLabels
        .apply("CountCustomers", ParDo.of(new CountCustomers()))
        .setCoder(keyedCoder(StringUtf8Coder.of()));

    PCollection<KV<String, String>> customerIds;
    PCollection<IdentityChange> changes;
    if (input.has(PREVIOUS_IDENTITIES)) {
      PCollectionTuple stable = labels.apply("StableCustomerIds",
          new StableCustomerIds(input.get(PREVIOUS_IDENTITIES), edges));
      customerIds = stable.get(StableCustomerIds.IDS);
      changes = stable.get(StableCustomerIds.CHANGES);
    } else {
      customerIds = labels.apply("CustomerIds", MapElements
          .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
          .via(kv -> KV.of(kv.getKey(), CustomerIds.fromSmallestNode(kv.getValue()))));
      changes = pipeline.apply("NoChanges", Create.empty(SchemaCoders.of(pipeline,
          IdentityChange.class)));
    }
    PCollection<CustomerIdentity> identities = customerIds.apply("Identities",
        MapElements.into(TypeDescriptor.of(CustomerIdentity.class))
            .via(kv -> {
              String[] node = IdentifierNode.split(kv.getKey());
              return CustomerIdentity.create(kv.getValue(), node[0], node[1]);
            }))
        .setCoder(SchemaCoders.of(pipeline, CustomerIdentity.class));
    identities.apply("CheckLimits", new CountCustomersOverLimit(getRules()));

    PCollection<KV<String, CustomerEvent>> keyedEvents = linkedEvents.get(keyedEventsTag).apply(
        "AttachCustomerIdToEvents", new AttachCustomerIds<>(customerIds, events.getCoder(),
            getBuckets()));
    PCollection<KV<String, ProfileAttributes>> keyedProfiles =
        linkedProfiles.get(keyedProfilesTag).apply("AttachCustomerIdToProfiles",
            new AttachCustomerIds<>(customerIds, profiles.getCoder(), getBuckets()));
    PCollection<DeadLetter> deadLetters = PCollectionList.of(normalizedEvents.get(DEAD_LETTERS))
        .and(normalizedProfiles.get(DEAD_LETTERS))
        .and(linkedEvents.get(DEAD_LETTERS))
        .and(linkedProfiles.get(DEAD_LETTERS))
        .apply("DeadLetters", Flatten.pCollections());
    PCollection<JunkIdentifier> junkRows = PCollectionList.of(junk)
        .and(droppedLinks)
        .apply("JunkAndDroppedLinks", Flatten.pCollections())
        .apply("JunkRows", Values.create())
        .setCoder(SchemaCoders.of(pipeline, JunkIdentifier.class));
    return new Result(pipeline, identities, keyedEvents, keyedProfiles, deadLetters, junkRows,
        changes, null, null, null);
  }

  /**
   * The default strategy: every record's identifier set goes to one worker, which resolves the
   * graph in memory ({@link CompactIdentityResolver}) and broadcasts a compact lookup; each
   * record is then keyed by its owner's customer where it is.
   */
  private Result expandOnOneWorker(PCollectionTuple input, PCollection<CustomerEvent> events,
      PCollection<ProfileAttributes> profiles, IdentifierNormalizer normalizer,
      TupleTag<CustomerEvent> eventsTag, TupleTag<ProfileAttributes> profilesTag) {
    Pipeline pipeline = input.getPipeline();
    org.apache.beam.sdk.transforms.SerializableFunction<CustomerEvent, org.apache.beam.sdk.values
        .Row> eventRows = toRowFunction(pipeline, CustomerEvent.class);
    org.apache.beam.sdk.transforms.SerializableFunction<ProfileAttributes, org.apache.beam.sdk
        .values.Row> profileRows = toRowFunction(pipeline, ProfileAttributes.class);
    // The sets travel encoded (GraphInput.toOneWorker): the Flatten before the gathering then
    // copies bytes.
    KvCoder<Integer, byte[]> graphCoder = KvCoder.of(org.apache.beam.sdk.coders.VarIntCoder.of(),
        ByteArrayCoder.of());

    // Normalized records, and every record's identifier set for the graph.
    PCollectionTuple normalizedEvents = null;
    PCollectionTuple normalizedProfiles = null;
    PCollection<Checked<CustomerEvent>> checkedEvents = null;
    PCollection<Checked<ProfileAttributes>> checkedProfiles = null;
    PCollectionList<KV<Integer, byte[]>> graphInputs;
    if (getKeyedRecords()) {
      normalizedEvents = normalizeForGraph("NormalizeEvents", events, normalizer,
          new EventIdentifiers(), eventRows, eventsTag,
          dev.audiencesegmenter.model.CustomerEventCoder.of());
      normalizedProfiles = normalizeForGraph("NormalizeProfiles", profiles, normalizer,
          new ProfileIdentifiers(), profileRows, profilesTag,
          dev.audiencesegmenter.model.ProfileAttributesCoder.of());
      graphInputs = PCollectionList
          .of(toOneWorker("EventIdentifierSets", normalizedEvents.get(SETS), graphCoder))
          .and(toOneWorker("ProfileIdentifierSets", normalizedProfiles.get(SETS), graphCoder));
    } else {
      // Rejects travel with the records, and each step has one output: the normalized stream
      // is shipped once to the graph and once to whoever keys the records, nothing more.
      checkedEvents = checked(input, CHECKED_EVENTS, events, "CheckedEvents")
          .apply("NormalizeEvents", ParDo.of(new NormalizeCheckedFn<>(normalizer,
              new EventIdentifiers(), eventRows)))
          .setCoder(Checked.Coder.of(dev.audiencesegmenter.model.CustomerEventCoder.of()));
      checkedProfiles = checked(input, CHECKED_PROFILES, profiles, "CheckedProfiles")
          .apply("NormalizeProfiles", ParDo.of(new NormalizeCheckedFn<>(normalizer,
              new ProfileIdentifiers(), profileRows)))
          .setCoder(Checked.Coder.of(dev.audiencesegmenter.model.ProfileAttributesCoder.of()));
      graphInputs = PCollectionList
          .of(checkedEvents.apply("EventIdentifierSets",
              ParDo.of(new IdentifierSetsFn<>(new EventIdentifiers()))).setCoder(graphCoder))
          .and(checkedProfiles.apply("ProfileIdentifierSets",
              ParDo.of(new IdentifierSetsFn<>(new ProfileIdentifiers()))).setCoder(graphCoder));
    }
    if (input.has(PREVIOUS_IDENTITIES)) {
      graphInputs = graphInputs.and(input.get(PREVIOUS_IDENTITIES)
          .apply("PreviousIdentities", MapElements.into(TypeDescriptors.kvs(
              TypeDescriptors.integers(), TypeDescriptor.of(byte[].class)))
              .via(row -> GraphInput.toOneWorker(GraphInput.previous(row))))
          .setCoder(graphCoder));
    }

    // The whole graph on one worker.
    TupleTag<byte[]> lookupTag = new TupleTag<>("lookup") {};
    TupleTag<byte[]> identitiesTag = new TupleTag<>("identities") {};
    TupleTag<JunkIdentifier> junkTag = new TupleTag<>("junk") {};
    TupleTag<IdentityChange> changesTag = new TupleTag<>("changes") {};
    PCollectionTuple resolved = graphInputs
        .apply("AllIdentifierSets", Flatten.pCollections())
        .apply("GatherGraph", org.apache.beam.sdk.transforms.GroupByKey.create())
        .apply("ResolveGraph", ParDo.of(new ResolveOnOneWorkerFn(getRules(), getMaxLinksToSplit(),
                getMaxIdentifiersOnOneWorker(), lookupTag, identitiesTag, junkTag, changesTag))
            .withOutputTags(lookupTag, TupleTagList.of(identitiesTag).and(junkTag)
                .and(changesTag)));
    // The lookup and the identity rows leave the step as bytes, decoded by the one reader of
    // each (EncodedValues): on Flink each of the step's outputs is read by a task of its own,
    // which decodes every output's elements.
    PCollectionView<CustomerLookup> lookup = broadcast("LookupView",
        resolved.get(lookupTag).setCoder(ByteArrayCoder.of())
            .apply("DecodeLookup", EncodedValues.decoded(CustomerLookupCoder.of())));
    PCollection<CustomerIdentity> identities = SchemaCoders.withSchema("IdentitiesWithSchema",
        resolved.get(identitiesTag).setCoder(ByteArrayCoder.of())
            .apply("DecodeIdentities", EncodedValues.decoded(CustomerIdentityCoder.of())),
        SchemaCoders.of(pipeline, CustomerIdentity.class));
    PCollection<JunkIdentifier> junk = resolved.get(junkTag)
        .setCoder(SchemaCoders.of(pipeline, JunkIdentifier.class));
    PCollection<IdentityChange> changes = resolved.get(changesTag)
        .setCoder(SchemaCoders.of(pipeline, IdentityChange.class));

    if (!getKeyedRecords()) {
      return new Result(pipeline, identities, null, null,
          pipeline.apply("NoDeadLettersHere", Create.empty(SchemaCoders.of(pipeline,
              DeadLetter.class))), junk, changes, checkedEvents, checkedProfiles, lookup);
    }
    TupleTag<KV<String, CustomerEvent>> keyedEventsTag = new TupleTag<>("keyedEvents") {};
    TupleTag<KV<String, ProfileAttributes>> keyedProfilesTag =
        new TupleTag<>("keyedProfiles") {};
    PCollectionTuple linkedEvents = normalizedEvents.get(eventsTag).apply("LinkEvents",
        ParDo.of(new KeyByOwnerFn<>(new EventIdentifiers(), eventRows, lookup, DEAD_LETTERS))
            .withSideInputs(lookup)
            .withOutputTags(keyedEventsTag, TupleTagList.of(DEAD_LETTERS)));
    PCollectionTuple linkedProfiles = normalizedProfiles.get(profilesTag).apply("LinkProfiles",
        ParDo.of(new KeyByOwnerFn<>(new ProfileIdentifiers(), profileRows, lookup,
                DEAD_LETTERS))
            .withSideInputs(lookup)
            .withOutputTags(keyedProfilesTag, TupleTagList.of(DEAD_LETTERS)));
    PCollection<KV<String, CustomerEvent>> keyedEvents = linkedEvents.get(keyedEventsTag)
        .setCoder(keyedCoder(dev.audiencesegmenter.model.CustomerEventCoder.of()));
    PCollection<KV<String, ProfileAttributes>> keyedProfiles = linkedProfiles
        .get(keyedProfilesTag)
        .setCoder(keyedCoder(dev.audiencesegmenter.model.ProfileAttributesCoder.of()));
    Coder<DeadLetter> deadLetterCoder = SchemaCoders.of(pipeline, DeadLetter.class);
    PCollection<DeadLetter> deadLetters = PCollectionList
        .of(normalizedEvents.get(DEAD_LETTERS))
        .and(normalizedProfiles.get(DEAD_LETTERS))
        .and(linkedEvents.get(DEAD_LETTERS).setCoder(deadLetterCoder))
        .and(linkedProfiles.get(DEAD_LETTERS).setCoder(deadLetterCoder))
        .apply("DeadLetters", Flatten.pCollections());
    return new Result(pipeline, identities, keyedEvents, keyedProfiles, deadLetters, junk,
        changes, null, null, null);
  }

  private static PCollection<KV<Integer, byte[]>> toOneWorker(String name,
      PCollection<GraphInput> sets, Coder<KV<Integer, byte[]>> coder) {
    return sets.apply(name, MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(),
        TypeDescriptor.of(byte[].class))).via(GraphInput::toOneWorker)).setCoder(coder);
  }

  /** The input's records with their readers' rejects in band, or the plain input wrapped. */
  private static <T> PCollection<Checked<T>> checked(PCollectionTuple input,
      TupleTag<Checked<T>> tag, PCollection<T> plain, String name) {
    if (input.has(tag)) {
      return input.get(tag);
    }
    return plain.apply(name, MapElements.into(new TypeDescriptor<Checked<T>>() {})
        .via(Checked::passed)).setCoder(Checked.Coder.of(plain.getCoder()));
  }

  private static final TupleTag<GraphInput> SETS = new TupleTag<>("identifierSets") {};

  private <T> PCollectionTuple normalizeForGraph(String name, PCollection<T> records,
      IdentifierNormalizer normalizer, NormalizeRecordFn.IdentifierAccess<T> access,
      org.apache.beam.sdk.transforms.SerializableFunction<T, org.apache.beam.sdk.values.Row> toRow,
      TupleTag<T> mainTag, Coder<T> fastCoder) {
    PCollectionTuple out = records.apply(name, ParDo.of(new NormalizeRecordFn<>(normalizer,
            getRules(), access, toRow, mainTag, SETS, DEAD_LETTERS, true))
        .withOutputTags(mainTag, TupleTagList.of(SETS).and(DEAD_LETTERS)));
    out.get(mainTag).setCoder(fastCoder);
    out.get(SETS).setCoder(GraphInput.Coder.of());
    out.get(DEAD_LETTERS).setCoder(SchemaCoders.of(records.getPipeline(), DeadLetter.class));
    return out;
  }

  /**
   * The single lookup as a side input, straight from its collection. View.asSingleton would
   * first combine it globally, which on Flink sorts it as one record: at 10,000,000 events the
   * lookup outgrew a sort buffer ("Record too large").
   */
  private static PCollectionView<CustomerLookup> broadcast(String name,
      PCollection<CustomerLookup> lookups) {
    PCollectionView<CustomerLookup> view = PCollectionViews.singletonView(lookups,
        () -> TypeDescriptor.of(CustomerLookup.class), lookups.getWindowingStrategy(), false,
        null, null);
    lookups.apply(name, View.CreatePCollectionView.of(view));
    return view;
  }

  private static <T> org.apache.beam.sdk.transforms.SerializableFunction<T,
      org.apache.beam.sdk.values.Row> toRowFunction(Pipeline pipeline, Class<T> type) {
    try {
      return pipeline.getSchemaRegistry().getToRowFunction(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("No schema for " + type, e);
    }
  }

  private static final TupleTag<KV<String, String>> PAIRS = new TupleTag<>("pairs") {};
  private static final TupleTag<KV<String, String>> EDGES = new TupleTag<>("links") {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  private <T> PCollectionTuple normalize(String name, PCollection<T> records,
      IdentifierNormalizer normalizer, NormalizeRecordFn.IdentifierAccess<T> access,
      Class<T> type, TupleTag<T> mainTag) {
    // From the registry: the records may travel with a compact coder rather than the schema's.
    PCollectionTuple out = records.apply(name, ParDo.of(new NormalizeRecordFn<>(normalizer,
            getRules(), access, toRowFunction(records.getPipeline(), type), mainTag, PAIRS,
            DEAD_LETTERS))
        .withOutputTags(mainTag, TupleTagList.of(PAIRS).and(DEAD_LETTERS)));
    out.get(mainTag).setCoder(records.getCoder());
    out.get(PAIRS).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    out.get(DEAD_LETTERS).setCoder(SchemaCoders.of(records.getPipeline(), DeadLetter.class));
    return out;
  }

  private <T> PCollectionTuple link(String name, PCollection<T> records,
      NormalizeRecordFn.IdentifierAccess<T> access,
      org.apache.beam.sdk.transforms.SerializableFunction<T, org.apache.beam.sdk.values.Row> toRow,
      PCollectionView<Map<String, JunkIdentifier>> junk, TupleTag<KV<String, T>> mainTag) {
    PCollectionTuple out = records.apply(name, ParDo.of(new LinkRecordFn<>(access, getRules(),
            toRow, junk, mainTag, EDGES, DEAD_LETTERS))
        .withSideInputs(junk)
        .withOutputTags(mainTag, TupleTagList.of(EDGES).and(DEAD_LETTERS)));
    out.get(mainTag).setCoder(keyedCoder(records.getCoder()));
    out.get(EDGES).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    out.get(DEAD_LETTERS).setCoder(SchemaCoders.of(records.getPipeline(), DeadLetter.class));
    return out;
  }

  /** Counts identifiers and customers (a node labelled with itself is its customer's root). */
  private static final class CountCustomers
      extends org.apache.beam.sdk.transforms.DoFn<KV<String, String>, KV<String, String>> {
    private final org.apache.beam.sdk.metrics.Counter identifiers =
        org.apache.beam.sdk.metrics.Metrics.counter(ResolveIdentities.class, "identifiers");
    private final org.apache.beam.sdk.metrics.Counter customers =
        org.apache.beam.sdk.metrics.Metrics.counter(ResolveIdentities.class, "customers");

    @ProcessElement
    public void process(@Element KV<String, String> label,
        OutputReceiver<KV<String, String>> out) {
      identifiers.inc();
      if (label.getKey().equals(label.getValue())) {
        customers.inc();
      }
      out.output(label);
    }
  }

  private static final class EventIdentifiers
      implements NormalizeRecordFn.IdentifierAccess<CustomerEvent> {
    @Override
    public Map<String, String> get(CustomerEvent event) {
      return event.getIdentifiers();
    }

    @Override
    public CustomerEvent with(CustomerEvent event, Map<String, String> identifiers) {
      return event.toBuilder().setIdentifiers(identifiers).build();
    }
  }

  private static final class ProfileIdentifiers
      implements NormalizeRecordFn.IdentifierAccess<ProfileAttributes> {
    @Override
    public Map<String, String> get(ProfileAttributes profile) {
      return profile.getIdentifiers();
    }

    @Override
    public ProfileAttributes with(ProfileAttributes profile, Map<String, String> identifiers) {
      return profile.toBuilder().setIdentifiers(identifiers).build();
    }
  }


  static <T> KvCoder<String, T> keyedCoder(Coder<T> valueCoder) {
    return KvCoder.of(StringUtf8Coder.of(), valueCoder);
  }

  /** What {@link ResolveIdentities} produces. */
  public static final class Result implements POutput {
    private static final TupleTag<CustomerIdentity> IDENTITIES = new TupleTag<>("identities");
    private static final TupleTag<KV<String, CustomerEvent>> KEYED_EVENTS =
        new TupleTag<>("keyedEvents");
    private static final TupleTag<KV<String, ProfileAttributes>> KEYED_PROFILES =
        new TupleTag<>("keyedProfiles");
    private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters");
    private static final TupleTag<JunkIdentifier> JUNK = new TupleTag<>("junk");
    private static final TupleTag<IdentityChange> CHANGES = new TupleTag<>("changes");

    private final Pipeline pipeline;
    private final PCollection<JunkIdentifier> junk;
    private final PCollection<IdentityChange> changes;
    private final PCollection<CustomerIdentity> identities;
    private final @Nullable PCollection<KV<String, CustomerEvent>> events;
    private final @Nullable PCollection<KV<String, ProfileAttributes>> profiles;
    private final PCollection<DeadLetter> deadLetters;
    private final @Nullable PCollection<Checked<CustomerEvent>> normalizedEvents;
    private final @Nullable PCollection<Checked<ProfileAttributes>> normalizedProfiles;
    private final @Nullable PCollectionView<CustomerLookup> lookup;

    Result(Pipeline pipeline, PCollection<CustomerIdentity> identities,
        @Nullable PCollection<KV<String, CustomerEvent>> events,
        @Nullable PCollection<KV<String, ProfileAttributes>> profiles,
        PCollection<DeadLetter> deadLetters, PCollection<JunkIdentifier> junk,
        PCollection<IdentityChange> changes,
        @Nullable PCollection<Checked<CustomerEvent>> normalizedEvents,
        @Nullable PCollection<Checked<ProfileAttributes>> normalizedProfiles,
        @Nullable PCollectionView<CustomerLookup> lookup) {
      this.pipeline = pipeline;
      this.junk = junk;
      this.changes = changes;
      this.identities = identities;
      this.events = events;
      this.profiles = profiles;
      this.deadLetters = deadLetters;
      this.normalizedEvents = normalizedEvents;
      this.normalizedProfiles = normalizedProfiles;
      this.lookup = lookup;
    }

    private static <V> V keyed(@Nullable V value, String what) {
      if (value == null) {
        throw new IllegalStateException(what + " are not keyed: ResolveIdentities was applied "
            + "withoutKeyedRecords(); key them with getLookup()");
      }
      return value;
    }

    private static <V> V unkeyed(@Nullable V value, String what) {
      if (value == null) {
        throw new IllegalStateException(what + " exist only withoutKeyedRecords()");
      }
      return value;
    }

    /**
     * Every event with normalized identifiers, unkeyed ({@code withoutKeyedRecords()}), with
     * every reject in band: the readers' (given CHECKED_EVENTS), and records without a valid
     * identifier. {@link #getDeadLetters()} is then empty.
     */
    public PCollection<Checked<CustomerEvent>> getNormalizedEvents() {
      return unkeyed(normalizedEvents, "normalized events");
    }

    /** As {@link #getNormalizedEvents()}, for profiles. */
    public PCollection<Checked<ProfileAttributes>> getNormalizedProfiles() {
      return unkeyed(normalizedProfiles, "normalized profiles");
    }

    /** The resolved graph, to key records by customer ({@code withoutKeyedRecords()}). */
    public PCollectionView<CustomerLookup> getLookup() {
      return unkeyed(lookup, "the lookup");
    }

    /** One row per distinct normalized identifier: customer_id, id_type, id_value. */
    public PCollection<CustomerIdentity> getIdentities() {
      return identities;
    }

    /** Every event with normalized identifiers, keyed by its customer id. */
    public PCollection<KV<String, CustomerEvent>> getEvents() {
      return keyed(events, "events");
    }

    /** Every profile with normalized identifiers, keyed by its customer id. */
    public PCollection<KV<String, ProfileAttributes>> getProfiles() {
      return keyed(profiles, "profiles");
    }

    /** Identifier values that were not used for linking, and why: {@code junk-identifiers/}. */
    public PCollection<JunkIdentifier> getJunkIdentifiers() {
      return junk;
    }

    /**
     * Merges and splits against the previous run's identities ({@code merges/}); empty without
     * previous identities.
     */
    public PCollection<IdentityChange> getChanges() {
      return changes;
    }

    /** Records left without a valid identifier. */
    public PCollection<DeadLetter> getDeadLetters() {
      return deadLetters;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new java.util.HashMap<>(Map.of(IDENTITIES, identities,
          DEAD_LETTERS, deadLetters, JUNK, junk, CHANGES, changes));
      if (events != null) {
        out.put(KEYED_EVENTS, events);
        out.put(KEYED_PROFILES, profiles);
      } else {
        out.put(new TupleTag<Checked<CustomerEvent>>("normalizedEvents"), normalizedEvents);
        out.put(new TupleTag<Checked<ProfileAttributes>>("normalizedProfiles"),
            normalizedProfiles);
      }
      return out;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
