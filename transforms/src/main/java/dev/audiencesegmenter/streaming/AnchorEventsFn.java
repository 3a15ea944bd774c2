package dev.audiencesegmenter.streaming;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Keeps the events of one anchor (the id a customer had when they arrived; see
 * {@link dev.audiencesegmenter.identity.IncrementalIdentityGraph}) and forwards each to the
 * customer the anchor belongs to now. When a merge redirects the anchor, all its events are
 * sent again to the new customer: this is how a merged customer's state is combined without a
 * cycle in the graph. An event older than the anchor's newest event by more than the allowed
 * lateness is dead-lettered.
 */
final class AnchorEventsFn extends DoFn<KV<String, CustomerUpdate>, KV<String, CustomerUpdate>> {
  static final String STEP = "SegmentContinuously/Anchor";

  private final long allowedLatenessMillis;
  private final SerializableFunction<CustomerEvent, Row> toRow;
  private final TupleTag<KV<String, CustomerUpdate>> forwarded;
  private final TupleTag<DeadLetter> deadLetters;
  private final Counter late = Metrics.counter(SegmentContinuously.class, "events_too_late");
  private final Counter replayed = Metrics.counter(SegmentContinuously.class,
      "events_replayed_after_merge");

  @StateId("events")
  private final StateSpec<BagState<CustomerEvent>> eventsSpec;

  @StateId("target")
  private final StateSpec<ValueState<String>> targetSpec = StateSpecs.value(StringUtf8Coder.of());

  @StateId("redirectSequence")
  private final StateSpec<ValueState<Long>> sequenceSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("newest")
  private final StateSpec<ValueState<Long>> newestSpec = StateSpecs.value(VarLongCoder.of());

  AnchorEventsFn(long allowedLatenessMillis, Coder<CustomerEvent> eventCoder,
      SerializableFunction<CustomerEvent, Row> toRow,
      TupleTag<KV<String, CustomerUpdate>> forwarded, TupleTag<DeadLetter> deadLetters) {
    this.allowedLatenessMillis = allowedLatenessMillis;
    this.eventsSpec = StateSpecs.bag(eventCoder);
    this.toRow = toRow;
    this.forwarded = forwarded;
    this.deadLetters = deadLetters;
  }

  @ProcessElement
  public void process(@Element KV<String, CustomerUpdate> element,
      @StateId("events") BagState<CustomerEvent> events,
      @StateId("target") ValueState<String> target,
      @StateId("redirectSequence") ValueState<Long> redirectSequence,
      @StateId("newest") ValueState<Long> newest, MultiOutputReceiver out) {
    CustomerUpdate update = element.getValue();
    String current = target.read();
    if (current == null) {
      current = element.getKey();
    }
    if (update.getRedirectTo() != null) {
      Long applied = redirectSequence.read();
      if ((applied != null && applied >= update.getSequence())
          || update.getRedirectTo().equals(current)) {
        return; // an older redirect delivered late, or no change
      }
      redirectSequence.write(update.getSequence());
      target.write(update.getRedirectTo());
      for (CustomerEvent event : events.read()) {
        replayed.inc();
        out.get(forwarded).output(KV.of(update.getRedirectTo(), CustomerUpdate.event(event)));
      }
      return;
    }
    CustomerEvent event = update.getEvent();
    long time = event.getEventTime().getMillis();
    Long newestTime = newest.read();
    if (newestTime != null && time < newestTime - allowedLatenessMillis) {
      late.inc();
      out.get(deadLetters).output(DeadLetter.create(STEP, "event more than "
          + allowedLatenessMillis / 1000 + " s older than the newest event of its customer",
          JsonLines.toJson(toRow.apply(event))));
      return;
    }
    if (newestTime == null || time > newestTime) {
      newest.write(time);
    }
    events.add(event);
    out.get(forwarded).output(KV.of(current, update));
  }
}
