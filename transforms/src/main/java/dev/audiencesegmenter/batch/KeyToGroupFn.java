package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.grouping.EncodedBatches;
import dev.audiencesegmenter.identity.CustomerLookup;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Keys a normalized event or profile record by its owner's customer (the resolved graph's
 * lookup, a side input) and sends it to that customer's group; a record none of whose
 * identifiers can link goes, as its dead letter, to the extra group {@code groups}, as do the
 * rejects that came along. One output, and records leave as bytes ({@link
 * CustomerRecord#encode}): the Flatten of events and profiles before the grouping then only
 * copies them (see {@link dev.audiencesegmenter.grouping.EncodedValues}). They leave in batches
 * per group ({@link EncodedBatches}), the last ones when the bundle ends, with the earliest
 * timestamp of their records (all in the global window: {@link SegmentCustomers} takes no
 * other).
 */
final class KeyToGroupFn<T> extends DoFn<Checked<T>, KV<Integer, byte[]>> {
  private final PCollectionView<CustomerLookup> lookup;
  private final int groups;
  private final boolean events;
  private final SerializableFunction<T, Row> toRow;

  private final Counter unlinked =
      Metrics.counter(ResolveIdentities.class, "records_only_junk_identifiers");
  private final Counter droppedLinks =
      Metrics.counter(ResolveIdentities.class, "identifiers_dropped_on_records");

  // The lookup, fetched once per bundle: the Flink runner's side input access builds an error
  // message and looks the broadcast set up on every call (2% of the job's time).
  private transient @Nullable CustomerLookup bundleLookup;
  private transient @Nullable EncodedBatches<CustomerRecord> batches;

  KeyToGroupFn(PCollectionView<CustomerLookup> lookup, int groups, boolean events,
      SerializableFunction<T, Row> toRow) {
    this.lookup = lookup;
    this.groups = groups;
    this.events = events;
    this.toRow = toRow;
  }

  @StartBundle
  public void startBundle() {
    bundleLookup = null;
    batches = EncodedBatches.writer(CustomerRecord.Coder.of(), groups + 1);
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) {
    batches.flushBundle(c);
  }

  @ProcessElement
  public void process(ProcessContext c) {
    Checked<T> checked = c.element();
    if (!checked.passed()) {
      output(groups, CustomerRecord.deadLetter(checked.deadLetter()), c);
      return;
    }
    T record = checked.record();
    Map<String, String> ids = events ? ((CustomerEvent) record).getIdentifiers()
        : ((ProfileAttributes) record).getIdentifiers();
    if (bundleLookup == null) {
      bundleLookup = c.sideInput(lookup);
    }
    CustomerLookup.Owner owner = bundleLookup.ownerOf(ids);
    droppedLinks.inc(owner.junkIdentifiers());
    if (!owner.linked()) {
      unlinked.inc();
      output(groups, CustomerRecord.deadLetter(DeadLetter.create(
          ResolveIdentities.LINK_STEP, owner.deadLetterReason(),
          JsonLines.toJson(toRow.apply(record)))), c);
      return;
    }
    String customer = owner.customerId();
    output(Math.floorMod(customer.hashCode(), groups), events
        ? CustomerRecord.event(customer, (CustomerEvent) record)
        : CustomerRecord.profile(customer, (ProfileAttributes) record), c);
  }

  private void output(int group, CustomerRecord record, ProcessContext c) {
    batches.add(group, record, c.timestamp(), c::output);
  }
}
