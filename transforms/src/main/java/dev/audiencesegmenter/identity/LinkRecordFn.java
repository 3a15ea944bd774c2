package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Links one normalized record's usable identifiers (those not junk) and keys it for the join
 * with customer ids. Emits the links as a star around the smallest usable node (the fewest
 * edges that connect them all), and the record keyed by its highest-priority usable node: when
 * a link was dropped, that is the identifier that decides whose record it is. A record with no
 * usable identifier goes to the dead letters, naming why each was refused.
 */
class LinkRecordFn<T> extends DoFn<T, KV<String, T>> {
  static final String STEP = "ResolveIdentities/Link";

  private final NormalizeRecordFn.IdentifierAccess<T> access;
  private final IdentityRules rules;
  private final SerializableFunction<T, Row> toRow;
  private final PCollectionView<Map<String, JunkIdentifier>> junk;
  private final TupleTag<KV<String, T>> mainTag;
  private final TupleTag<KV<String, String>> edgesTag;
  private final TupleTag<DeadLetter> deadLetterTag;

  private final Counter unlinked =
      Metrics.counter(ResolveIdentities.class, "records_only_junk_identifiers");
  private final Counter droppedLinks =
      Metrics.counter(ResolveIdentities.class, "identifiers_dropped_on_records");

  LinkRecordFn(NormalizeRecordFn.IdentifierAccess<T> access, IdentityRules rules,
      SerializableFunction<T, Row> toRow, PCollectionView<Map<String, JunkIdentifier>> junk,
      TupleTag<KV<String, T>> mainTag, TupleTag<KV<String, String>> edgesTag,
      TupleTag<DeadLetter> deadLetterTag) {
    this.access = access;
    this.rules = rules;
    this.toRow = toRow;
    this.junk = junk;
    this.mainTag = mainTag;
    this.edgesTag = edgesTag;
    this.deadLetterTag = deadLetterTag;
  }

  @ProcessElement
  public void process(@Element T record, ProcessContext c) {
    Link link = link(access.get(record), c.sideInput(junk), rules);
    droppedLinks.inc(link.why().size());
    if (link.owner() == null) {
      unlinked.inc();
      c.output(deadLetterTag, DeadLetter.create(STEP, link.deadLetterReason(),
          JsonLines.toJson(toRow.apply(record))));
      return;
    }
    link.edges((a, b) -> c.output(edgesTag, KV.of(a, b)));
    c.output(mainTag, KV.of(link.owner(), record));
  }

  /**
   * One record's usable nodes, its owner (the highest-priority usable node; null when none) and
   * why each refused identifier was refused.
   */
  record Link(TreeSet<String> usable, @Nullable String owner, TreeSet<String> why) {
    /** A star around the smallest usable node: the fewest edges that connect them all. */
    void edges(BiConsumer<String, String> out) {
      String smallest = usable.first();
      for (String node : usable) {
        out.accept(smallest, node);
      }
    }

    String deadLetterReason() {
      return "no identifier can be linked: " + String.join(", ", why);
    }
  }

  static Link link(Map<String, String> identifiers, Map<String, JunkIdentifier> refused,
      IdentityRules rules) {
    TreeSet<String> usable = new TreeSet<>();
    TreeSet<String> why = new TreeSet<>();
    String owner = null;
    for (Map.Entry<String, String> id : identifiers.entrySet()) {
      String node = IdentifierNode.of(id.getKey(), id.getValue());
      JunkIdentifier j = refused.get(node);
      if (j != null) {
        why.add(id.getKey() + " (" + j.getReason() + ")");
        continue;
      }
      usable.add(node);
      if (owner == null || higherPriority(rules, node, owner)) {
        owner = node;
      }
    }
    return new Link(usable, owner, why);
  }

  private static boolean higherPriority(IdentityRules rules, String a, String b) {
    String ta = IdentifierNode.split(a)[0];
    String tb = IdentifierNode.split(b)[0];
    int byType = rules.compareTypes(ta, tb);
    return byType < 0 || (byType == 0 && a.compareTo(b) < 0);
  }
}
