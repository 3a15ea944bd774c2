package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.SchemaCoders;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Carries customer ids over from the previous run's {@code identities/}, so a customer keeps
 * its id while its identifiers still resolve to it.
 *
 * <p>The rule, applied to every component (customer) of this run: the weight of a previous id
 * in a component is how many of its previous identifiers the component holds.
 *
 * <ol>
 *   <li>A previous id is claimed by the component holding most of its identifiers (ties: the
 *       component with the smallest identifier).
 *   <li>A component that claims previous ids keeps the heaviest (ties: the smallest id); the
 *       others it claims were merged into it, each recorded as a {@code merge} with an
 *       identifier of the absorbed customer that now links to another.
 *   <li>A component that holds previous identifiers but claims no id broke away from a
 *       customer: it gets a new id, {@code c-} and the hash of {@code split:} and its smallest
 *       identifier, recorded as a {@code split}.
 *   <li>A component without previous identifiers is new and gets the usual id of its
 *       smallest identifier.
 * </ol>
 *
 * <p>Input: {@code KV(node, smallest node of its component)}. Output: {@code KV(node, customer
 * id)} under {@link #IDS} and the changes under {@link #CHANGES}. The join of nodes with their
 * component's id is keyed by component; its values are streamed, never held together.
 */
final class StableCustomerIds
    extends PTransform<PCollection<KV<String, String>>, PCollectionTuple> {
  static final TupleTag<KV<String, String>> IDS = new TupleTag<>("ids") {};
  static final TupleTag<IdentityChange> CHANGES = new TupleTag<>("changes") {};
  private static final TupleTag<KV<String, String>> ASSIGNED = new TupleTag<>("assigned") {};

  private static final char SEP = '\u0000';
  private static final KvCoder<String, String> PAIR =
      KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());

  private final PCollection<CustomerIdentity> previous;
  private final PCollection<KV<String, String>> edges;

  /** {@code edges}: this run's links, to explain merges. */
  StableCustomerIds(PCollection<CustomerIdentity> previous,
      PCollection<KV<String, String>> edges) {
    this.previous = previous;
    this.edges = edges;
  }

  @Override
  public PCollectionTuple expand(PCollection<KV<String, String>> labels) {
    PCollection<KV<String, String>> previousIds = previous
        .apply("PreviousByNode", ParDo.of(new PreviousByNode()))
        .setCoder(PAIR);

    // node -> (root, previous id or "")
    TupleTag<String> rootTag = new TupleTag<>();
    TupleTag<String> prevTag = new TupleTag<>();
    PCollection<KV<String, String>> nodeInfo = KeyedPCollectionTuple.of(rootTag, labels)
        .and(prevTag, previousIds)
        .apply("JoinPrevious", CoGroupByKey.create())
        .apply("NodeInfo", ParDo.of(new NodeInfo(rootTag, prevTag)))
        .setCoder(PAIR);

    // previous id -> (root, weight), claimed by the heaviest root
    PCollection<KV<String, KV<String, Long>>> weights = nodeInfo
        .apply("RootAndPrevious", ParDo.of(new RootAndPrevious()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("Weights", Sum.longsPerKey())
        .apply("ByPreviousId", ParDo.of(new ByPreviousId()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(),
            VarLongCoder.of())));
    PCollection<KV<String, String>> claims = weights
        .apply("GroupByPreviousId", GroupByKey.create())
        .apply("Claim", ParDo.of(new Claim()))
        .setCoder(PAIR);

    PCollectionTuple decided = claims
        .apply("GroupByRoot", GroupByKey.create())
        .apply("Decide", ParDo.of(new Decide(ASSIGNED))
            .withOutputTags(ASSIGNED, TupleTagList.of(CHANGES)));
    PCollection<KV<String, String>> assigned = decided.get(ASSIGNED).setCoder(PAIR);
    PCollection<IdentityChange> changes = decided.get(CHANGES)
        .setCoder(SchemaCoders.of(labels.getPipeline(), IdentityChange.class));

    TupleTag<String> nodeTag = new TupleTag<>();
    TupleTag<String> idTag = new TupleTag<>();
    PCollection<KV<String, String>> ids = KeyedPCollectionTuple
        .of(nodeTag, labels.apply("NodesByRoot", ParDo.of(new Swap())).setCoder(PAIR))
        .and(idTag, assigned)
        .apply("JoinRootIds", CoGroupByKey.create())
        .apply("IdPerNode", ParDo.of(new IdPerNode(nodeTag, idTag)))
        .setCoder(PAIR);

    return PCollectionTuple.of(IDS, ids)
        .and(CHANGES, explainMerges(changes, nodeInfo));
  }

  /** Fills each merge's linking identifier from an edge that leaves the absorbed customer. */
  private PCollection<IdentityChange> explainMerges(PCollection<IdentityChange> changes,
      PCollection<KV<String, String>> nodeInfo) {
    TupleTag<String> edgeTag = new TupleTag<>();
    TupleTag<String> infoTag = new TupleTag<>();
    PCollection<KV<String, String>> halfJoined = KeyedPCollectionTuple
        .of(edgeTag, edges)
        .and(infoTag, nodeInfo)
        .apply("EdgesJoinFirst", CoGroupByKey.create())
        .apply("FirstEndpoint", ParDo.of(new Endpoint(edgeTag, infoTag)))
        .setCoder(PAIR);
    TupleTag<String> halfTag = new TupleTag<>();
    TupleTag<String> otherInfoTag = new TupleTag<>();
    PCollection<KV<String, String>> crossings = KeyedPCollectionTuple
        .of(halfTag, halfJoined)
        .and(otherInfoTag, nodeInfo)
        .apply("EdgesJoinSecond", CoGroupByKey.create())
        .apply("Crossings", ParDo.of(new Crossings(halfTag, otherInfoTag)))
        .setCoder(PAIR)
        .apply("FirstCrossing", Combine.perKey(new Smaller()));
    TupleTag<IdentityChange> changeTag = new TupleTag<>();
    TupleTag<String> crossingTag = new TupleTag<>();
    return KeyedPCollectionTuple
        .of(changeTag, changes.apply("ByOtherId", ParDo.of(new ByOtherId()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), changes.getCoder())))
        .and(crossingTag, crossings)
        .apply("JoinCrossings", CoGroupByKey.create())
        .apply("Explain", ParDo.of(new Explain(changeTag, crossingTag)))
        .setCoder(changes.getCoder());
  }

  private static final class PreviousByNode extends DoFn<CustomerIdentity, KV<String, String>> {
    @ProcessElement
    public void process(@Element CustomerIdentity id, OutputReceiver<KV<String, String>> out) {
      out.output(KV.of(IdentifierNode.of(id.getIdType(), id.getIdValue()), id.getCustomerId()));
    }
  }

  private static final class NodeInfo extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final TupleTag<String> rootTag;
    private final TupleTag<String> prevTag;

    NodeInfo(TupleTag<String> rootTag, TupleTag<String> prevTag) {
      this.rootTag = rootTag;
      this.prevTag = prevTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<KV<String, String>> out) {
      String root = in.getValue().getOnly(rootTag, null);
      if (root == null) {
        return; // an identifier of the previous run that is gone (or junk) now
      }
      // A node had one id; should a hand-edited file give it several, the smallest counts.
      String prev = "";
      for (String p : in.getValue().getAll(prevTag)) {
        prev = prev.isEmpty() || p.compareTo(prev) < 0 ? p : prev;
      }
      out.output(KV.of(in.getKey(), root + SEP + prev));
    }
  }

  private static final class RootAndPrevious extends DoFn<KV<String, String>, KV<String, Long>> {
    @ProcessElement
    public void process(@Element KV<String, String> info, OutputReceiver<KV<String, Long>> out) {
      if (!info.getValue().endsWith(String.valueOf(SEP))) {
        out.output(KV.of(info.getValue(), 1L)); // root \0 previous id
      }
    }
  }

  private static final class ByPreviousId
      extends DoFn<KV<String, Long>, KV<String, KV<String, Long>>> {
    @ProcessElement
    public void process(@Element KV<String, Long> w,
        OutputReceiver<KV<String, KV<String, Long>>> out) {
      int sep = w.getKey().indexOf(SEP);
      out.output(KV.of(w.getKey().substring(sep + 1),
          KV.of(w.getKey().substring(0, sep), w.getValue())));
    }
  }

  /**
   * Per previous id: {@code KV(root, "claim" \0 id \0 weight)} for the heaviest root and
   * {@code KV(root, "lost" \0 id)} for every other.
   */
  private static final class Claim
      extends DoFn<KV<String, Iterable<KV<String, Long>>>, KV<String, String>> {
    @ProcessElement
    public void process(@Element KV<String, Iterable<KV<String, Long>>> in,
        OutputReceiver<KV<String, String>> out) {
      KV<String, Long> best = null;
      List<String> roots = new ArrayList<>();
      for (KV<String, Long> rw : in.getValue()) {
        roots.add(rw.getKey());
        if (best == null || rw.getValue() > best.getValue()
            || (rw.getValue().equals(best.getValue()) && rw.getKey().compareTo(best.getKey()) < 0)) {
          best = rw;
        }
      }
      for (String root : roots) {
        out.output(root.equals(best.getKey())
            ? KV.of(root, "claim" + SEP + in.getKey() + SEP + best.getValue())
            : KV.of(root, "lost" + SEP + in.getKey()));
      }
    }
  }

  private static final class Decide extends DoFn<KV<String, Iterable<String>>, KV<String,
      String>> {
    private final TupleTag<KV<String, String>> assignedTag;
    private final Counter merges = Metrics.counter(ResolveIdentities.class, "customers_merged");
    private final Counter splits = Metrics.counter(ResolveIdentities.class, "customers_split");
    private final Counter kept = Metrics.counter(ResolveIdentities.class, "customer_ids_kept");

    Decide(TupleTag<KV<String, String>> assignedTag) {
      this.assignedTag = assignedTag;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<String>> in, MultiOutputReceiver out) {
      String root = in.getKey();
      String keptId = null;
      long keptWeight = -1;
      List<String> claimed = new ArrayList<>();
      List<String> lost = new ArrayList<>();
      for (String entry : in.getValue()) {
        String[] parts = entry.split(String.valueOf(SEP));
        if (parts[0].equals("claim")) {
          claimed.add(parts[1]);
          long weight = Long.parseLong(parts[2]);
          if (weight > keptWeight || (weight == keptWeight && parts[1].compareTo(keptId) < 0)) {
            keptId = parts[1];
            keptWeight = weight;
          }
        } else {
          lost.add(parts[1]);
        }
      }
      if (keptId != null) {
        kept.inc();
        for (String other : claimed) {
          if (!other.equals(keptId)) {
            merges.inc();
            out.get(CHANGES).output(IdentityChange.create(IdentityChange.MERGE, keptId, other,
                "", "", "identifiers of both previous customers are now linked"));
          }
        }
        out.get(assignedTag).output(KV.of(root, keptId));
        return;
      }
      String newId = CustomerIds.fromSmallestNode("split:" + root);
      for (String from : lost) {
        splits.inc();
        out.get(CHANGES).output(IdentityChange.create(IdentityChange.SPLIT, from, newId, "", "",
            "identifiers that were one customer are no longer linked; this part holds fewer of "
                + "them and gets a new id"));
      }
      out.get(assignedTag).output(KV.of(root, newId));
    }
  }

  private static final class Swap extends DoFn<KV<String, String>, KV<String, String>> {
    @ProcessElement
    public void process(@Element KV<String, String> kv, OutputReceiver<KV<String, String>> out) {
      out.output(KV.of(kv.getValue(), kv.getKey()));
    }
  }

  private static final class IdPerNode extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final TupleTag<String> nodeTag;
    private final TupleTag<String> idTag;

    IdPerNode(TupleTag<String> nodeTag, TupleTag<String> idTag) {
      this.nodeTag = nodeTag;
      this.idTag = idTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<KV<String, String>> out) {
      String id = in.getValue().getOnly(idTag, null);
      if (id == null) {
        id = CustomerIds.fromSmallestNode(in.getKey()); // a new customer
      }
      for (String node : in.getValue().getAll(nodeTag)) {
        out.output(KV.of(node, id));
      }
    }
  }

  /** Edge (a, b) joined with a's info: {@code KV(b, a \0 a's previous id)}. */
  private static final class Endpoint extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final TupleTag<String> edgeTag;
    private final TupleTag<String> infoTag;

    Endpoint(TupleTag<String> edgeTag, TupleTag<String> infoTag) {
      this.edgeTag = edgeTag;
      this.infoTag = infoTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<KV<String, String>> out) {
      String info = in.getValue().getOnly(infoTag, null);
      if (info == null) {
        return;
      }
      String prev = info.substring(info.indexOf(SEP) + 1);
      for (String b : in.getValue().getAll(edgeTag)) {
        if (!b.equals(in.getKey())) {
          out.output(KV.of(b, in.getKey() + SEP + prev));
        }
      }
    }
  }

  /**
   * Edge endpoints with different previous ids: {@code KV(previous id, its node \0 the other
   * node)} for each side that had one.
   */
  private static final class Crossings extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    private final TupleTag<String> edgeTag;
    private final TupleTag<String> infoTag;

    Crossings(TupleTag<String> edgeTag, TupleTag<String> infoTag) {
      this.edgeTag = edgeTag;
      this.infoTag = infoTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<KV<String, String>> out) {
      String info = in.getValue().getOnly(infoTag, null);
      if (info == null) {
        return;
      }
      String b = in.getKey();
      String prevB = info.substring(info.indexOf(SEP) + 1);
      for (String aAndPrev : in.getValue().getAll(edgeTag)) {
        int sep = aAndPrev.indexOf(SEP);
        String a = aAndPrev.substring(0, sep);
        String prevA = aAndPrev.substring(sep + 1);
        if (prevA.equals(prevB)) {
          continue;
        }
        if (!prevA.isEmpty()) {
          out.output(KV.of(prevA, a + SEP + b));
        }
        if (!prevB.isEmpty()) {
          out.output(KV.of(prevB, b + SEP + a));
        }
      }
    }
  }

  private static final class Smaller implements
      org.apache.beam.sdk.transforms.SerializableBiFunction<String, String, String> {
    @Override
    public String apply(String a, String b) {
      return a.compareTo(b) <= 0 ? a : b;
    }
  }

  private static final class ByOtherId extends DoFn<IdentityChange, KV<String, IdentityChange>> {
    @ProcessElement
    public void process(@Element IdentityChange c,
        OutputReceiver<KV<String, IdentityChange>> out) {
      out.output(KV.of(c.getOtherId(), c));
    }
  }

  private static final class Explain extends DoFn<KV<String, CoGbkResult>, IdentityChange> {
    private final TupleTag<IdentityChange> changeTag;
    private final TupleTag<String> crossingTag;

    Explain(TupleTag<IdentityChange> changeTag, TupleTag<String> crossingTag) {
      this.changeTag = changeTag;
      this.crossingTag = crossingTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in, OutputReceiver<IdentityChange> out) {
      String crossing = in.getValue().getOnly(crossingTag, null);
      for (IdentityChange c : in.getValue().getAll(changeTag)) {
        if (crossing != null && c.getChange().equals(IdentityChange.MERGE)) {
          int sep = crossing.indexOf(SEP);
          out.output(IdentityChange.create(c.getChange(), c.getKeptId(), c.getOtherId(),
              crossing.substring(0, sep), crossing.substring(sep + 1),
              "a record links " + crossing.substring(0, sep) + " with "
                  + crossing.substring(sep + 1)));
        } else {
          out.output(c);
        }
      }
    }
  }
}
