package dev.audiencesegmenter.streaming;

import dev.audiencesegmenter.features.FeaturesAtInstant;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.MembershipChange;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.segments.SegmentRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The state of one customer in the streaming job: its events (once each by source and id),
 * its segment memberships, and an event-time timer for the next evaluation. An evaluation at
 * instant T computes the features as of T (events before T) with {@link FeaturesAtInstant},
 * applies the segment rules and emits the features and every membership change.
 *
 * <p>When evaluations happen (all instants on a grid of {@code interval}, so they are
 * reproducible): at the first grid instant after each event; again every {@code every} while
 * the customer's newest event is less than {@code horizon} old, so that conditions on elapsed
 * time ("no purchase in 90 days") change without new events. A late event counts from the
 * grid instant after the latest evaluation. With {@code until} (replaying a finite event set),
 * nothing is evaluated at or after it except one last evaluation as of {@code until}, when the
 * watermark passes until plus the allowed lateness (at the latest when the input ends).
 */
final class EvaluateCustomerFn extends DoFn<KV<String, CustomerUpdate>, CustomerFeatures> {
  private static final char SEP = '\u0001';

  private final FeaturesAtInstant features;
  private final SegmentDefinitions definitions;
  private final Schema schema;
  private final SerializableFunction<CustomerFeatures, Row> toRow;
  private final long interval;
  private final long every;
  private final long horizon;
  private final @Nullable Long until;
  /** When the last evaluation fires: once the watermark passes until and the lateness. */
  private final @Nullable Instant lastFiresAt;
  private final TupleTag<CustomerFeatures> featuresTag;
  private final TupleTag<MembershipChange> changesTag;
  private final Counter evaluations = Metrics.counter(SegmentContinuously.class, "evaluations");
  private final Counter duplicates = Metrics.counter(SegmentContinuously.class,
      "events_duplicate");
  private final Counter afterMerge = Metrics.counter(SegmentContinuously.class,
      "events_for_merged_customer");
  private final Counter changes = Metrics.counter(SegmentContinuously.class,
      "membership_changes");
  private final Counter ruleErrors = Metrics.counter(SegmentContinuously.class,
      "rule_null_or_error");
  private transient SegmentRules rules;

  @StateId("events")
  private final StateSpec<MapState<String, CustomerEvent>> eventsSpec;

  @StateId("members")
  private final StateSpec<ValueState<List<String>>> membersSpec =
      StateSpecs.value(ListCoder.of(StringUtf8Coder.of()));

  @StateId("evaluatedAt")
  private final StateSpec<ValueState<Long>> evaluatedAtSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("newest")
  private final StateSpec<ValueState<Long>> newestSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("next")
  private final StateSpec<ValueState<Long>> nextSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("mergedInto")
  private final StateSpec<ValueState<String>> mergedIntoSpec =
      StateSpecs.value(StringUtf8Coder.of());

  @TimerId("evaluate")
  private final TimerSpec evaluateSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId("last")
  private final TimerSpec lastSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  EvaluateCustomerFn(FeaturesAtInstant features, SegmentDefinitions definitions, Schema schema,
      SerializableFunction<CustomerFeatures, Row> toRow, Coder<CustomerEvent> eventCoder,
      long interval, long every, long horizon, @Nullable Long until, long allowedLateness,
      TupleTag<CustomerFeatures> featuresTag, TupleTag<MembershipChange> changesTag) {
    this.features = features;
    this.definitions = definitions;
    this.schema = schema;
    this.toRow = toRow;
    this.eventsSpec = StateSpecs.map(StringUtf8Coder.of(), eventCoder);
    this.interval = interval;
    this.every = every;
    this.horizon = horizon;
    this.until = until;
    long end = GlobalWindow.INSTANCE.maxTimestamp().getMillis();
    this.lastFiresAt = until == null ? null
        : new Instant(until > end - allowedLateness ? end : until + allowedLateness);
    this.featuresTag = featuresTag;
    this.changesTag = changesTag;
  }

  @Setup
  public void setup() {
    rules = SegmentRules.compile(definitions, schema, (segment, error) -> ruleErrors.inc());
  }

  @ProcessElement
  public void process(@Element KV<String, CustomerUpdate> element, @Timestamp Instant timestamp,
      @StateId("events") MapState<String, CustomerEvent> events,
      @StateId("members") ValueState<List<String>> members,
      @StateId("evaluatedAt") ValueState<Long> evaluatedAt,
      @StateId("newest") ValueState<Long> newest,
      @StateId("next") ValueState<Long> next,
      @StateId("mergedInto") ValueState<String> mergedInto,
      @TimerId("evaluate") Timer evaluate, @TimerId("last") Timer last,
      MultiOutputReceiver out) {
    CustomerUpdate update = element.getValue();
    if (mergedInto.read() != null) {
      // Its events reach the customer it merged into through their anchors.
      afterMerge.inc();
      return;
    }
    if (update.getMergedInto() != null) {
      String cause = MembershipChange.MERGED_INTO + update.getMergedInto();
      for (SegmentMembership member : decode(element.getKey(), members.read())) {
        changes.inc();
        out.get(changesTag).output(
            MembershipChange.create(member, MembershipChange.EXITED, timestamp, cause));
      }
      mergedInto.write(update.getMergedInto());
      events.clear();
      members.clear();
      evaluatedAt.clear();
      newest.clear();
      next.clear();
      evaluate.clear();
      last.clear();
      return;
    }
    CustomerEvent event = update.getEvent();
    String key = event.getSource() + SEP + event.getSourceRecordId();
    if (events.get(key).read() != null) {
      duplicates.inc();
      return;
    }
    events.put(key, event);
    long time = event.getEventTime().getMillis();
    Long newestTime = newest.read();
    if (newestTime == null || time > newestTime) {
      newest.write(time);
    }
    if (until != null && (time >= until || timestamp.getMillis() > until)) {
      return; // after the last evaluation: kept, never counted (as batch ignores it)
    }
    // Not before the element's own time (a replayed event carries the merge's time); a late
    // event counts from the next grid instant after the latest evaluation, so that every
    // evaluation of a customer is at a later instant than the one before.
    if (until != null) {
      last.withOutputTimestamp(new Instant(until)).set(lastFiresAt);
    }
    long at = Math.max(gridAfter(time), gridAfter(timestamp.getMillis() - 1));
    Long evaluated = evaluatedAt.read();
    if (evaluated != null && at <= evaluated) {
      at = gridAfter(evaluated);
    }
    schedule(at, evaluate, last, next);
  }

  @OnTimer("evaluate")
  public void onEvaluate(OnTimerContext context, @Key String customerId,
      @StateId("events") MapState<String, CustomerEvent> events,
      @StateId("members") ValueState<List<String>> members,
      @StateId("evaluatedAt") ValueState<Long> evaluatedAt,
      @StateId("newest") ValueState<Long> newest,
      @StateId("next") ValueState<Long> next,
      @StateId("mergedInto") ValueState<String> mergedInto,
      @TimerId("evaluate") Timer evaluate, @TimerId("last") Timer last,
      MultiOutputReceiver out) {
    next.clear();
    if (mergedInto.read() != null) {
      return;
    }
    Instant at = context.fireTimestamp();
    List<CustomerEvent> all = new ArrayList<>();
    events.values().read().forEach(all::add);
    CustomerFeatures row = evaluate(customerId, all, at, members, evaluatedAt, out);
    long candidate = Long.MAX_VALUE;
    for (CustomerEvent e : all) {
      long t = e.getEventTime().getMillis();
      if (t >= at.getMillis()) {
        candidate = Math.min(candidate, gridAfter(t)); // events not counted yet
      }
    }
    Long newestTime = newest.read();
    long periodic = at.getMillis() + every;
    if (row != null && newestTime != null && periodic <= newestTime + horizon) {
      candidate = Math.min(candidate, periodic);
    }
    if (candidate != Long.MAX_VALUE) {
      schedule(candidate, evaluate, last, next);
    }
  }

  /**
   * The evaluation at until, once the watermark has passed until and the allowed lateness
   * (or the input has ended): late events are in by then.
   */
  @OnTimer("last")
  public void onLast(@Key String customerId,
      @StateId("events") MapState<String, CustomerEvent> events,
      @StateId("members") ValueState<List<String>> members,
      @StateId("evaluatedAt") ValueState<Long> evaluatedAt,
      @StateId("mergedInto") ValueState<String> mergedInto, MultiOutputReceiver out) {
    if (mergedInto.read() != null || until == null) {
      return;
    }
    List<CustomerEvent> all = new ArrayList<>();
    events.values().read().forEach(all::add);
    evaluate(customerId, all, new Instant(until), members, evaluatedAt, out);
  }

  private @Nullable CustomerFeatures evaluate(String customerId, List<CustomerEvent> all,
      Instant at, ValueState<List<String>> members, ValueState<Long> evaluatedAt,
      MultiOutputReceiver out) {
    CustomerFeatures row = features.compute(customerId, all, at);
    if (row != null) {
      evaluations.inc();
      evaluatedAt.write(at.getMillis());
      out.get(featuresTag).outputWithTimestamp(row, at);
      emitChanges(customerId, rules.assign(row, toRow.apply(row)), members, at, out);
    }
    return row;
  }

  private void emitChanges(String customerId, List<SegmentMembership> now,
      ValueState<List<String>> members, Instant at, MultiOutputReceiver out) {
    Map<String, SegmentMembership> before = new LinkedHashMap<>();
    for (SegmentMembership m : decode(customerId, members.read())) {
      before.put(m.getSegment(), m);
    }
    Map<String, SegmentMembership> after = new LinkedHashMap<>();
    for (SegmentMembership m : now) {
      after.put(m.getSegment(), m);
    }
    for (SegmentMembership m : before.values()) {
      if (!m.equals(after.get(m.getSegment()))) {
        changes.inc();
        out.get(changesTag).output(MembershipChange.create(m, MembershipChange.EXITED, at,
            MembershipChange.EVALUATION));
      }
    }
    for (SegmentMembership m : after.values()) {
      if (!m.equals(before.get(m.getSegment()))) {
        changes.inc();
        out.get(changesTag).output(MembershipChange.create(m, MembershipChange.ENTERED, at,
            MembershipChange.EVALUATION));
      }
    }
    if (!before.equals(after)) {
      List<String> encoded = new ArrayList<>();
      for (SegmentMembership m : now) {
        encoded.add(m.getSegment() + SEP + m.getGroup() + SEP + m.getHoldout());
      }
      members.write(encoded);
    }
  }

  private static List<SegmentMembership> decode(String customerId,
      @Nullable List<String> encoded) {
    List<SegmentMembership> members = new ArrayList<>();
    if (encoded != null) {
      for (String m : encoded) {
        String[] parts = m.split(String.valueOf(SEP), -1);
        members.add(SegmentMembership.create(customerId, parts[0], parts[1],
            Boolean.parseBoolean(parts[2])));
      }
    }
    return members;
  }

  /** The first grid instant strictly after {@code time}: the event counts in it. */
  private long gridAfter(long time) {
    return Math.floorDiv(time, interval) * interval + interval;
  }

  /**
   * Sets the evaluation timer to {@code at} unless one is due sooner; at or after until, sets
   * the last evaluation instead: it fires when the input ends and evaluates as of until.
   */
  private void schedule(long at, Timer evaluate, Timer last, ValueState<Long> next) {
    if (until != null && at >= until) {
      last.withOutputTimestamp(new Instant(until)).set(lastFiresAt);
      return;
    }
    Long pending = next.read();
    if (pending == null || at < pending) {
      evaluate.set(new Instant(at));
      next.write(at);
    }
  }
}
