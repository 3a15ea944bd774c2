package dev.audiencesegmenter.io.rails;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.grouping.CoGroupInBuckets;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rail between {@link DeltaSync} and a platform's sink: applied to the delta's changes,
 * it measures the sync against the previous state ({@link ChangeCounts}: synced customers
 * before and after, memberships held and ending) and asks {@link ChangeLimits}. Within the
 * limits everything passes untouched. When refused (logged at WARN with the counts):
 * <ul>
 *   <li>a customer gone from the input is not sent an exit and keeps its previous state entry;
 *   <li>a customer leaving segments is sent its update with those segments kept (no exit),
 *       and its state records what was sent;
 *   <li>new customers, entries and field changes go out as usual;
 *   <li>each held-back customer is a line of {@link Result#getRefused()}: destination, key,
 *       whether the customer is gone, the segments it would have left (no email or phone).
 * </ul>
 * A withdrawal ({@link #withWithdrawals}) always goes out and is not counted as an exit.
 * Held-back customers keep their old state, so the next run computes their exits again and
 * sends them once it is within the limits (or allowed). Metrics, namespace {@code GuardExits}:
 * syncs_refused, customers_held_back.
 *
 * <pre>{@code
 * GuardExits.Result guarded =
 *     GuardExits.inputs(deltas.getChanges(), previousState, deltas.getNewState())
 *         .apply(GuardExits.of("mailchimp", ChangeLimits.defaults()));
 * guarded.getChanges();  // what may be sent; guarded.getRefused() says what was held back
 * }</pre>
 */
@AutoValue
public abstract class GuardExits extends PTransform<PCollectionTuple, GuardExits.Result> {
  /** The input's changes of the delta ({@link DeltaSync.Result#getChanges()}). */
  public static final TupleTag<ContactUpdate> DELTA_CHANGES = new TupleTag<>() {};
  /** The input's state the delta was computed against. */
  public static final TupleTag<SyncStateEntry> PREVIOUS_STATE = new TupleTag<>() {};
  /** The input's state after the delta ({@link DeltaSync.Result#getNewState()}). */
  public static final TupleTag<SyncStateEntry> NEW_STATE = new TupleTag<>() {};
  private static final Logger LOG = LoggerFactory.getLogger(GuardExits.class);

  public abstract String getDestination();

  public abstract ChangeLimits getLimits();

  /** Whether the platform turns an update without consent into a withdrawal. */
  public abstract boolean getWithdrawals();

  /** Hash buckets of customers in the per-customer join (see {@link CoGroupInBuckets}). */
  public abstract int getBuckets();

  abstract Builder toBuilder();

  /** The rail of {@code destination} (a platform name, used in messages and the listing). */
  public static GuardExits of(String destination, ChangeLimits limits) {
    if (destination == null || destination.isBlank() || limits == null) {
      throw new IllegalArgumentException("GuardExits needs a destination and limits, got '"
          + destination + "' and " + limits);
    }
    return new AutoValue_GuardExits.Builder().setDestination(destination).setLimits(limits)
        .setWithdrawals(false).setBuckets(CoGroupInBuckets.DEFAULT_BUCKETS).build();
  }

  /**
   * The platform {@link dev.audiencesegmenter.io.sink.VendorConnector#handlesWithdrawals()
   * handles withdrawals}: an update without consent is the customer's withdrawal, which always
   * goes out and is not counted as an exit (a withdrawal is the customer's own word, not a sign
   * of lost input).
   */
  public GuardExits withWithdrawals(boolean withdrawals) {
    return toBuilder().setWithdrawals(withdrawals).build();
  }

  /** Hash buckets of customers in the per-customer join; at least 1. */
  public GuardExits withBuckets(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("GuardExits needs at least 1 bucket, got " + buckets);
    }
    return toBuilder().setBuckets(buckets).build();
  }

  /** The input: the delta's changes, the state it was computed against, and its new state. */
  public static PCollectionTuple inputs(PCollection<ContactUpdate> changes,
      PCollection<SyncStateEntry> previous, PCollection<SyncStateEntry> newState) {
    if (changes == null || previous == null || newState == null) {
      throw new IllegalArgumentException("GuardExits needs the delta's changes, the previous "
          + "state and the new state, got " + changes + ", " + previous + " and " + newState);
    }
    return PCollectionTuple.of(DELTA_CHANGES, changes).and(PREVIOUS_STATE, previous)
        .and(NEW_STATE, newState);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDestination(String destination);

    abstract Builder setLimits(ChangeLimits limits);

    abstract Builder setWithdrawals(boolean withdrawals);

    abstract Builder setBuckets(int buckets);

    abstract GuardExits build();
  }

  static final TupleTag<ContactUpdate> CHANGES = new TupleTag<>() {};
  static final TupleTag<SyncStateEntry> STATE = new TupleTag<>() {};
  static final TupleTag<String> REFUSED = new TupleTag<>() {};

  private static final String PREVIOUS_CUSTOMERS = "previous_customers";
  private static final String CURRENT_CUSTOMERS = "current_customers";
  private static final String PREVIOUS_MEMBERSHIPS = "previous_memberships";
  private static final String ENDING_MEMBERSHIPS = "ending_memberships";

  @Override
  public Result expand(PCollectionTuple input) {
    if (!input.has(DELTA_CHANGES) || !input.has(PREVIOUS_STATE) || !input.has(NEW_STATE)) {
      throw new IllegalArgumentException("GuardExits of " + getDestination() + ": the input is "
          + "GuardExits.inputs(changes, previous, newState); got " + input.getAll().keySet());
    }
    PCollection<ContactUpdate> changes = input.get(DELTA_CHANGES);
    Pipeline pipeline = input.getPipeline();
    PCollection<SyncStateEntry> previous = input.get(PREVIOUS_STATE);
    PCollection<SyncStateEntry> next = input.get(NEW_STATE);
    boolean withdrawals = getWithdrawals();

    KvCoder<String, Long> countCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollectionView<Map<String, Long>> counts = PCollectionList
        .of(previous.apply("CountPrevious", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via(entry -> KV.of(PREVIOUS_CUSTOMERS, 1L))).setCoder(countCoder))
        .and(previous.apply("CountHeld", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via(entry -> KV.of(PREVIOUS_MEMBERSHIPS, (long) entry.getSegments().size())))
            .setCoder(countCoder))
        .and(next.apply("CountCurrent", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via(entry -> KV.of(CURRENT_CUSTOMERS, 1L))).setCoder(countCoder))
        .and(changes.apply("CountEnding", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via(change -> KV.of(ENDING_MEMBERSHIPS, change.isWithdrawal(withdrawals)
                ? 0L : (long) change.getSegmentsExited().size()))).setCoder(countCoder))
        .apply("AllCounts", Flatten.pCollections())
        .apply("SumCounts", Sum.longsPerKey())
        .apply("CountsView", View.asMap());
    PCollectionView<Verdict> verdict = pipeline
        .apply("Destination", Create.of(getDestination()).withCoder(StringUtf8Coder.of()))
        .apply("Decide", ParDo.of(new Decide(getLimits(), counts)).withSideInputs(counts))
        .setCoder(SerializableCoder.of(Verdict.class))
        .apply("VerdictView", View.asSingleton());

    TupleTag<ContactUpdate> changeTag = new TupleTag<>("change");
    TupleTag<SyncStateEntry> nextTag = new TupleTag<>("next");
    TupleTag<SyncStateEntry> previousTag = new TupleTag<>("previous");
    PCollectionTuple out = KeyedPCollectionTuple
        .of(changeTag, changes.apply("KeyChanges", WithKeys.of(ContactUpdate::getKey)
                .withKeyType(TypeDescriptors.strings()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), changes.getCoder())))
        .and(nextTag, keyed(next, "KeyNewState"))
        .and(previousTag, keyed(previous, "KeyPreviousState"))
        .apply("JoinByCustomer", CoGroupInBuckets.of(getBuckets()))
        .apply("HoldBackRefusedExits", ParDo.of(new HoldBack(getDestination(),
            getWithdrawals(), verdict,
                changeTag, nextTag, previousTag))
            .withSideInputs(verdict)
            .withOutputTags(CHANGES, TupleTagList.of(STATE).and(REFUSED)));
    out.get(CHANGES).setCoder(changes.getCoder());
    out.get(STATE).setCoder(next.getCoder());
    out.get(REFUSED).setCoder(StringUtf8Coder.of());
    return new Result(pipeline, out.get(CHANGES), out.get(STATE), out.get(REFUSED));
  }

  private static PCollection<KV<String, SyncStateEntry>> keyed(
      PCollection<SyncStateEntry> entries, String name) {
    return entries.apply(name, WithKeys.of(SyncStateEntry::getKey)
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), entries.getCoder()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("destination", getDestination()))
        .add(DisplayData.item("maxCustomerDrop", getLimits().getMaxCustomerDrop()))
        .add(DisplayData.item("maxExitShare", getLimits().getMaxExitShare()))
        .add(DisplayData.item("allowLargeChanges", getLimits().getAllowLargeChanges()))
        .add(DisplayData.item("buckets", getBuckets()));
  }

  /** The changes to send, the state to commit after them, and what was held back. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<ContactUpdate> changes;
    private final PCollection<SyncStateEntry> newState;
    private final PCollection<String> refused;

    Result(Pipeline pipeline, PCollection<ContactUpdate> changes,
        PCollection<SyncStateEntry> newState, PCollection<String> refused) {
      this.pipeline = pipeline;
      this.changes = changes;
      this.newState = newState;
      this.refused = refused;
    }

    public PCollection<ContactUpdate> getChanges() {
      return changes;
    }

    public PCollection<SyncStateEntry> getNewState() {
      return newState;
    }

    /** One JSON line per held-back customer; empty unless the sync was refused. */
    public PCollection<String> getRefused() {
      return refused;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(CHANGES, changes, STATE, newState, REFUSED, refused);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }

  /** One verdict per destination, logged once. */
  private static final class Decide extends DoFn<String, Verdict> {
    private final ChangeLimits limits;
    private final PCollectionView<Map<String, Long>> counts;
    private final Counter refused = Metrics.counter(GuardExits.class, "syncs_refused");

    Decide(ChangeLimits limits, PCollectionView<Map<String, Long>> counts) {
      this.limits = limits;
      this.counts = counts;
    }

    @ProcessElement
    public void process(@Element String destination, ProcessContext context) {
      Map<String, Long> sums = context.sideInput(counts);
      Verdict verdict = limits.check(destination, ChangeCounts.create(
          sums.getOrDefault(PREVIOUS_CUSTOMERS, 0L), sums.getOrDefault(CURRENT_CUSTOMERS, 0L),
          sums.getOrDefault(PREVIOUS_MEMBERSHIPS, 0L),
          sums.getOrDefault(ENDING_MEMBERSHIPS, 0L)));
      if (verdict.isRefused()) {
        refused.inc();
        LOG.warn("Exits refused for {}. {}. Nobody is removed from {} this run; new customers "
            + "and updates are sent, and the customers held back keep their sync state. The "
            + "exits that were not sent are listed in the run's refused/ folder; if the change "
            + "is real, run again with --allowLargeChanges.", destination, verdict.getMessage(),
            destination);
      } else {
        LOG.info("{}", verdict.getMessage());
      }
      context.output(verdict);
    }
  }

  private static final class HoldBack extends DoFn<KV<String, CoGbkResult>, ContactUpdate> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String destination;
    private final boolean withdrawals;
    private final PCollectionView<Verdict> verdict;
    private final TupleTag<ContactUpdate> changeTag;
    private final TupleTag<SyncStateEntry> nextTag;
    private final TupleTag<SyncStateEntry> previousTag;
    private final Counter heldBack = Metrics.counter(GuardExits.class, "customers_held_back");

    HoldBack(String destination, boolean withdrawals, PCollectionView<Verdict> verdict,
        TupleTag<ContactUpdate> changeTag, TupleTag<SyncStateEntry> nextTag,
        TupleTag<SyncStateEntry> previousTag) {
      this.destination = destination;
      this.withdrawals = withdrawals;
      this.verdict = verdict;
      this.changeTag = changeTag;
      this.nextTag = nextTag;
      this.previousTag = previousTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined, ProcessContext context) {
      SyncStateEntry next = first(joined.getValue().getAll(nextTag).iterator());
      SyncStateEntry previous = first(joined.getValue().getAll(previousTag).iterator());
      SyncStateEntry state = next;
      // a customer may have more than one change (its update and an SMS withdrawal)
      for (ContactUpdate change : joined.getValue().getAll(changeTag)) {
        boolean holdBack = !change.getSegmentsExited().isEmpty()
            && !change.isWithdrawal(withdrawals) && context.sideInput(verdict).isRefused();
        if (!holdBack) {
          context.output(change);
          continue;
        }
        heldBack.inc();
        context.output(REFUSED, refusedLine(change.getKey(), next == null,
            change.getSegmentsExited()));
        if (next == null) { // gone from the input: no exit, the old entry stays
          state = previous;
          continue;
        }
        TreeSet<String> kept = new TreeSet<>(change.getSegmentsCurrent());
        kept.addAll(change.getSegmentsExited());
        ContactUpdate keeping = change.toBuilder().setSegmentsCurrent(List.copyOf(kept))
            .setSegmentsExited(List.of()).build();
        String hash = DeltaSync.payloadHash(keeping);
        // what else the sync delivers (an SMS or push withdrawal) is recorded as the delta has it
        state = SyncStateEntry.create(change.getKey(), hash, List.copyOf(kept),
            change.getEmail(), change.getPhone(), next.getWithdrawn(), next.getSmsWithdrawn(),
            next.getPushWithdrawn());
        // nothing but the exit changed: the platform already has this
        if (previous == null || !hash.equals(previous.getPayloadHash())
            || !keeping.getSegmentsEntered().isEmpty()) {
          context.output(keeping);
        }
      }
      if (state != null) {
        context.output(STATE, state);
      }
    }

    private String refusedLine(String key, boolean gone, List<String> exited) {
      ObjectNode line = JSON.createObjectNode();
      line.put("destination", destination);
      line.put("customer_key", key);
      line.put("customer_gone", gone);
      com.fasterxml.jackson.databind.node.ArrayNode segments = line.putArray("segments_exited");
      exited.forEach(segments::add);
      return line.toString();
    }

    private static <T> @Nullable T first(Iterator<T> values) {
      return values.hasNext() ? values.next() : null;
    }
  }
}
