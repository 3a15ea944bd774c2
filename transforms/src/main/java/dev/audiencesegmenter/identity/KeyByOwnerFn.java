package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Keys each normalized record by its owner's customer, from the resolved graph's lookup (a
 * side input): the owner is the record's highest-priority usable identifier. A record whose
 * identifiers are all junk goes to the dead letters, naming each and why.
 */
final class KeyByOwnerFn<T> extends DoFn<T, KV<String, T>> {
  private final NormalizeRecordFn.IdentifierAccess<T> access;
  private final SerializableFunction<T, Row> toRow;
  private final PCollectionView<CustomerLookup> lookup;
  private final TupleTag<DeadLetter> deadLetterTag;

  private final Counter unlinked =
      Metrics.counter(ResolveIdentities.class, "records_only_junk_identifiers");
  private final Counter droppedLinks =
      Metrics.counter(ResolveIdentities.class, "identifiers_dropped_on_records");

  KeyByOwnerFn(NormalizeRecordFn.IdentifierAccess<T> access, SerializableFunction<T, Row> toRow,
      PCollectionView<CustomerLookup> lookup, TupleTag<DeadLetter> deadLetterTag) {
    this.access = access;
    this.toRow = toRow;
    this.lookup = lookup;
    this.deadLetterTag = deadLetterTag;
  }

  @ProcessElement
  public void process(@Element T record, ProcessContext c) {
    CustomerLookup.Owner owner = c.sideInput(lookup).ownerOf(access.get(record));
    droppedLinks.inc(owner.junkIdentifiers());
    if (!owner.linked()) {
      unlinked.inc();
      c.output(deadLetterTag, DeadLetter.create(LinkRecordFn.STEP, owner.deadLetterReason(),
          JsonLines.toJson(toRow.apply(record))));
      return;
    }
    c.output(KV.of(owner.customerId(), record));
  }
}
