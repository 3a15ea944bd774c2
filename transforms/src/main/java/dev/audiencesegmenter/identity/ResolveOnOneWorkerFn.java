package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.grouping.EncodedValues;
import dev.audiencesegmenter.model.CustomerIdentityCoder;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.Map;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Resolves the whole identity graph on this worker ({@link CompactIdentityResolver}): reads
 * every record's identifiers (and the previous run's identities), emits the lookup that keys
 * records by customer, and the identities, junk and change rows. Fails, naming the setting,
 * when the graph has more identifiers than one worker is allowed to hold.
 */
final class ResolveOnOneWorkerFn extends DoFn<KV<Integer, Iterable<byte[]>>, byte[]> {
  private final IdentityRules rules;
  private final int maxLinksToSplit;
  private final long maxIdentifiers;
  private final TupleTag<byte[]> lookupTag;
  private final TupleTag<byte[]> identitiesTag;
  private final TupleTag<JunkIdentifier> junkTag;
  private final TupleTag<IdentityChange> changesTag;

  ResolveOnOneWorkerFn(IdentityRules rules, int maxLinksToSplit, long maxIdentifiers,
      TupleTag<byte[]> lookupTag, TupleTag<byte[]> identitiesTag, TupleTag<JunkIdentifier> junkTag,
      TupleTag<IdentityChange> changesTag) {
    this.rules = rules;
    this.maxLinksToSplit = maxLinksToSplit;
    this.maxIdentifiers = maxIdentifiers;
    this.lookupTag = lookupTag;
    this.identitiesTag = identitiesTag;
    this.junkTag = junkTag;
    this.changesTag = changesTag;
  }

  @ProcessElement
  public void process(@Element KV<Integer, Iterable<byte[]>> graph,
      MultiOutputReceiver out) {
    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules)
        .withMaxLinksToSplit(maxLinksToSplit);
    for (GraphInput in : GraphInput.decodeAll(graph.getValue())) {
      if (in.identifiers != null) {
        resolver.addRecord(in.identifiers);
        if (resolver.nodeCount() > maxIdentifiers) {
          throw new IllegalStateException("The identity graph has more than " + maxIdentifiers
              + " distinct identifiers, the most ResolveIdentities holds on one worker "
              + "(withMaxIdentifiersOnOneWorker; --maxIdentifiersOnOneWorker). Resolve it with "
              + "distributed rounds instead (withDistributedGraph(); "
              + "--identityGraph=distributed), or raise the limit on workers with more memory.");
        }
      } else {
        resolver.addPreviousIdentity(in.previous);
      }
    }
    CompactResolution resolution = resolver.resolve();
    for (Map.Entry<String, Long> counter : resolution.counters().asMap().entrySet()) {
      Metrics.counter(ResolveIdentities.class, counter.getKey()).inc(counter.getValue());
    }
    // The lookup and the identity rows leave as bytes (EncodedValues): on Flink each output is
    // read by a task of its own that decodes the elements of all four.
    resolution.forEachIdentity(row -> out.get(identitiesTag).output(
        EncodedValues.encode(CustomerIdentityCoder.of(), row)));
    resolution.junk().forEach(row -> out.get(junkTag).output(row));
    resolution.changes().forEach(row -> out.get(changesTag).output(row));
    out.get(lookupTag).output(EncodedValues.encode(CustomerLookupCoder.of(),
        resolution.lookup()));
  }
}
