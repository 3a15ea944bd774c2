package dev.audiencesegmenter.io.activation;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.rails.ChangeLimits;
import dev.audiencesegmenter.io.rails.GuardExits;
import dev.audiencesegmenter.io.sink.BuildContactUpdates;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import dev.audiencesegmenter.model.DeadLetter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Segments to platforms in one {@code apply}: from the pipeline's identities, features, events
 * and memberships ({@link BuildContactUpdates#inputs}), one {@link ContactUpdate} per customer,
 * then for each destination the whole delta-sync chain: read its {@link SyncStateStore}, keep
 * what changed since the last sync ({@link DeltaSync}, with the platform's consent rules), hold
 * back exits beyond the {@link ChangeLimits} ({@link GuardExits}), send
 * ({@link SendContactUpdates}), and commit the new state after the send (not after a dry run,
 * a sink given {@code withDryRunDirectory}).
 *
 * <pre>{@code
 * ActivateSegments.Result activated =
 *     BuildContactUpdates.inputs(identities, features, keyedEvents, memberships)
 *         .apply("Activate", ActivateSegments.create()
 *             .withFeatureColumns(List.of("monetary_total", "frequency"))
 *             .to(HubSpotConnector.create(Credential.fromEnvironment("HUBSPOT_TOKEN")).sink(),
 *                 SyncStateStore.folder("gs://my-bucket/sync-state/hubspot/"))
 *             .withLimits(ChangeLimits.defaults()));
 * activated.getDeadLetters();          // what the platforms refused, and why
 * activated.getRefused("hubspot");     // exits held back by the limits, one JSON line each
 * }</pre>
 */
@AutoValue
public abstract class ActivateSegments
    extends PTransform<PCollectionTuple, ActivateSegments.Result> {

  /** A platform's sink, where its sync state lives, and what it receives. */
  @AutoValue
  abstract static class Destination implements java.io.Serializable {
    abstract SendContactUpdates getSink();

    abstract SyncStateStore getStore();

    abstract Routing getRouting();

    String vendor() {
      return getSink().getConnector().vendor();
    }
  }

  abstract BuildContactUpdates getContactUpdates();

  abstract List<Destination> getDestinations();

  public abstract ChangeLimits getLimits();

  public abstract boolean getFullResync();

  abstract @Nullable String getRunId();

  abstract Builder toBuilder();

  /** No destination yet; add them with {@link #to}. */
  public static ActivateSegments create() {
    return new AutoValue_ActivateSegments.Builder()
        .setContactUpdates(BuildContactUpdates.create()).setDestinations(List.of())
        .setLimits(ChangeLimits.defaults()).setFullResync(false).build();
  }

  /** Sends to {@code sink}, with its sync state in {@code store}; one per platform. */
  public ActivateSegments to(SendContactUpdates sink, SyncStateStore store) {
    return to(sink, store, Routing.all());
  }

  /**
   * Sends to {@code sink} what {@code routing} says (which segments, add-only or mirrored, to
   * members only or everyone), with its sync state in {@code store}; one per platform.
   */
  public ActivateSegments to(SendContactUpdates sink, SyncStateStore store, Routing routing) {
    if (routing == null) {
      throw new IllegalArgumentException("ActivateSegments.to needs a routing, got null");
    }
    if (sink == null || store == null) {
      throw new IllegalArgumentException("ActivateSegments.to needs a sink and a sync state "
          + "store, got " + sink + " and " + store);
    }
    String vendor = sink.getConnector().vendor();
    for (Destination destination : getDestinations()) {
      if (destination.vendor().equals(vendor)) {
        throw new IllegalArgumentException("ActivateSegments: " + vendor + " is already a "
            + "destination");
      }
    }
    List<Destination> destinations = new ArrayList<>(getDestinations());
    destinations.add(new AutoValue_ActivateSegments_Destination(sink, store, routing));
    return toBuilder().setDestinations(List.copyOf(destinations)).build();
  }

  /** Feature columns every contact carries as fields (see {@link BuildContactUpdates}). */
  public ActivateSegments withFeatureColumns(List<String> columns) {
    return toBuilder().setContactUpdates(getContactUpdates().withFeatureColumns(columns))
        .build();
  }

  /** Hash buckets of customers in the per-customer joins; at least 1. */
  public ActivateSegments withBuckets(int buckets) {
    return toBuilder().setContactUpdates(getContactUpdates().withBuckets(buckets)).build();
  }

  /** The rails on exits and removals (default {@link ChangeLimits#defaults()}). */
  public ActivateSegments withLimits(ChangeLimits limits) {
    if (limits == null) {
      throw new IllegalArgumentException("ActivateSegments needs change limits, got null");
    }
    return toBuilder().setLimits(limits).build();
  }

  /** Sends every customer again, as if the sync state were empty (entries still count). */
  public ActivateSegments withFullResync(boolean fullResync) {
    return toBuilder().setFullResync(fullResync).build();
  }

  /** The id of this run's rows in a database store (default: a random id per expansion). */
  public ActivateSegments withRunId(String runId) {
    if (runId == null || runId.isBlank()) {
      throw new IllegalArgumentException("ActivateSegments: the run id must not be blank, got '"
          + runId + "'");
    }
    return toBuilder().setRunId(runId).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setContactUpdates(BuildContactUpdates build);

    abstract Builder setDestinations(List<Destination> destinations);

    abstract Builder setLimits(ChangeLimits limits);

    abstract Builder setFullResync(boolean fullResync);

    abstract Builder setRunId(String runId);

    abstract ActivateSegments build();
  }

  @Override
  public Result expand(PCollectionTuple input) {
    if (getDestinations().isEmpty()) {
      throw new IllegalStateException("ActivateSegments needs at least one destination: "
          + "to(sink, store)");
    }
    Pipeline pipeline = input.getPipeline();
    int buckets = getContactUpdates().getBuckets();
    String runId = getRunId() != null ? getRunId() : UUID.randomUUID().toString();
    PCollection<ContactUpdate> updates = input.apply("BuildContactUpdates",
        getContactUpdates());
    PCollectionList<DeadLetter> deadLetters = PCollectionList.empty(pipeline);
    PCollectionList<String> syncLogs = PCollectionList.empty(pipeline);
    Map<String, PCollection<String>> refused = new LinkedHashMap<>();
    for (Destination destination : getDestinations()) {
      SendContactUpdates sink = destination.getSink();
      String vendor = destination.vendor();
      String step = "Activate " + vendor + "/";
      PCollection<SyncStateEntry> previous = pipeline.apply(step + "ReadSyncState",
          destination.getStore().read());
      Routing routing = destination.getRouting();
      PCollection<ContactUpdate> routed = routing.getSegments() == null ? updates
          : updates.apply(step + "KeepRoutedSegments",
              ParDo.of(new Routing.KeepRoutedSegments(routing.getSegments())))
              .setCoder(updates.getCoder());
      DeltaSync.Result delta = DeltaSync.inputs(routed, previous).apply(step + "DeltaSync",
          DeltaSync.create().withFullResync(getFullResync()).withBuckets(buckets)
              .withEveryone(routing.getEveryone())
              .withConsentRules(sink.getConnector().handlesWithdrawals())
              .withSmsWithdrawals(sink.getConnector().handlesSmsWithdrawals())
              .withPushWithdrawals(sink.getConnector().handlesPushWithdrawals()));
      PCollection<ContactUpdate> changes = routing.getAddOnlySegments().isEmpty()
          ? delta.getChanges()
          : delta.getChanges().apply(step + "KeepAddOnlyMembers",
              ParDo.of(new Routing.KeepAddOnlyMembers(routing.getAddOnlySegments())))
              .setCoder(updates.getCoder());
      // exits only within the limits; held-back customers keep their state
      GuardExits.Result guarded = GuardExits
          .inputs(changes, previous, delta.getNewState())
          .apply(step + "GuardExits", GuardExits.of(vendor, getLimits()).withBuckets(buckets)
              .withWithdrawals(sink.getConnector().handlesWithdrawals()));
      SendContactUpdates.Result sent = guarded.getChanges().apply(step + "Send", sink);
      if (sink.getDryRunDirectory() == null) {
        SyncState.commitInputs(guarded.getNewState(), previous, sent)
            .apply(step + "CommitSyncState", destination.getStore().commit(runId));
      }
      deadLetters = deadLetters.and(sent.getDeadLetters());
      refused.put(vendor, guarded.getRefused());
      syncLogs = syncLogs.and(PCollectionTuple.of(SyncLog.SENT_CHANGES, guarded.getChanges())
          .and(SyncLog.FAILED_KEYS, sent.getFailedKeys())
          .and(SyncLog.DEAD_LETTERS, sent.getDeadLetters())
          .and(SyncLog.SKIPPED_FOR_CONSENT, delta.getSkippedForConsent())
          .apply(step + "SyncLog", new SyncLog(vendor, sink.getDryRunDirectory() != null)));
    }
    return new Result(pipeline, deadLetters.apply("ActivationDeadLetters",
        Flatten.pCollections()), refused,
        syncLogs.apply("ActivationSyncLogs", Flatten.pCollections()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    StringBuilder destinations = new StringBuilder();
    for (Destination destination : getDestinations()) {
      destinations.append(destinations.length() == 0 ? "" : ", ").append(destination.vendor())
          .append(" (state: ").append(destination.getStore().describe()).append("; ")
          .append(destination.getRouting().describe()).append(')');
    }
    builder.add(DisplayData.item("destinations", destinations.toString()))
        .add(DisplayData.item("featureColumns",
            String.join(",", getContactUpdates().getFeatureColumns())))
        .add(DisplayData.item("maxCustomerDrop", getLimits().getMaxCustomerDrop()))
        .add(DisplayData.item("maxExitShare", getLimits().getMaxExitShare()))
        .add(DisplayData.item("allowLargeChanges", getLimits().getAllowLargeChanges()))
        .add(DisplayData.item("fullResync", getFullResync()));
  }

  /** The platforms' dead letters, and per platform the exits held back by the limits. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<DeadLetter> deadLetters;
    private final Map<String, PCollection<String>> refused;
    private final PCollection<String> syncLogs;

    Result(Pipeline pipeline, PCollection<DeadLetter> deadLetters,
        Map<String, PCollection<String>> refused, PCollection<String> syncLogs) {
      this.pipeline = pipeline;
      this.deadLetters = deadLetters;
      this.refused = refused;
      this.syncLogs = syncLogs;
    }

    /**
     * The run's sync log: one JSON line per destination with the customers added, updated,
     * removed, unsubscribed, rejected and skipped for consent, and the most frequent
     * rejection reasons (see {@link SyncLog}).
     */
    public PCollection<String> getSyncLogs() {
      return syncLogs;
    }

    /** Every record a platform rejected (or that could not be sent), with the reason. */
    public PCollection<DeadLetter> getDeadLetters() {
      return deadLetters;
    }

    /**
     * One JSON line per customer whose exits {@code vendor}'s limits held back (no email or
     * phone); empty unless that sync was refused.
     */
    public PCollection<String> getRefused(String vendor) {
      PCollection<String> lines = refused.get(vendor);
      if (lines == null) {
        throw new IllegalArgumentException("No destination '" + vendor + "'; destinations: "
            + String.join(", ", refused.keySet()));
      }
      return lines;
    }

    /** The destinations' platform names, in the order they were added. */
    public List<String> getVendors() {
      return List.copyOf(refused.keySet());
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new LinkedHashMap<>();
      out.put(new TupleTag<DeadLetter>("deadLetters"), deadLetters);
      out.put(new TupleTag<String>("syncLogs"), syncLogs);
      refused.forEach((vendor, lines) -> out.put(new TupleTag<String>("refused-" + vendor),
          lines));
      return out;
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }
}
