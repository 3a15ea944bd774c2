package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.JunkIdentifier;
import dev.audiencesegmenter.model.SchemaCoders;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Splits the customers that a chain of records gave more identifiers of a type than its limit
 * allows (an email on user id A's orders, a phone shared by that email and a second email, the
 * second email on user id B's orders): conflicts no single identifier shows, so {@link
 * FindJunkIdentifiers} cannot catch them.
 *
 * <p>Input: the labels {@code KV(node, root)} of {@link ConnectedComponents} and the links it
 * was given. Output ({@link #LABELS}): the same labels, except that the nodes of an
 * over-limit customer are relabelled with the smallest node of their new part; and ({@link
 * #DROPPED}) one row per dropped link, reason {@code limit_conflict}.
 *
 * <p>The rule, deterministic and in the spirit of Segment Unify: the customer's links are
 * replayed strongest first, a link's strength being the priority of its lower-priority end
 * (then the higher end's, then text). A link is kept unless joining its two parts would give
 * the part more identifiers of a limited type than the limit; then it is dropped. So the
 * lowest-priority links that cause the conflict are the ones dropped, and the user ids stay
 * apart.
 *
 * <p>Only over-limit customers are replayed, each on one worker (the only place a component's
 * links are held together, which is why there is a cap): one with more than {@code maxLinks}
 * links is left merged and counted in {@code customers_over_limit_too_large}.
 */
final class SplitOverLimitCustomers
    extends PTransform<PCollectionTuple, PCollectionTuple> {
  static final TupleTag<KV<String, String>> LABELS = new TupleTag<>("labels");
  static final TupleTag<KV<String, String>> LINKS = new TupleTag<>("links");
  static final TupleTag<KV<String, JunkIdentifier>> DROPPED = new TupleTag<>("droppedLinks");
  static final String LIMIT_CONFLICT = "limit_conflict";

  // Static: reusing tag instances across joins, or anonymous tags inside expand(), broke
  // runners before (a Direct runner hang, serialization of the outer transform).
  private static final TupleTag<String> BY_NODE_LABEL = new TupleTag<>("label");
  private static final TupleTag<String> BY_NODE_LINK = new TupleTag<>("linkTo");
  private static final TupleTag<KV<String, String>> BY_ROOT_LINK = new TupleTag<>("rootLink");
  private static final TupleTag<Void> BY_ROOT_OVER = new TupleTag<>("over");
  private static final TupleTag<String> FINAL_LABEL = new TupleTag<>("finalLabel");
  private static final TupleTag<String> FINAL_OVERRIDE = new TupleTag<>("override");
  private static final TupleTag<KV<String, String>> OVERRIDES = new TupleTag<>("overrides");

  private static final KvCoder<String, String> PAIR =
      KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());

  private final IdentityRules rules;
  private final int maxLinks;

  SplitOverLimitCustomers(IdentityRules rules, int maxLinks) {
    this.rules = rules;
    this.maxLinks = maxLinks;
  }

  @Override
  public PCollectionTuple expand(PCollectionTuple input) {
    PCollection<KV<String, String>> labels = input.get(LABELS);
    PCollection<KV<String, String>> links = input.get(LINKS);

    PCollection<KV<String, Void>> overLimitRoots = labels
        .apply("LimitedTypes", ParDo.of(new RootAndLimitedType(rules)))
        .setCoder(PAIR)
        .apply("CountPerRootAndType", Count.perElement())
        .apply("OverLimit", ParDo.of(new OverLimitRoot(rules)))
        .setCoder(PAIR)
        .apply("OncePerRoot", Distinct.create())
        .apply("AsMarker", ParDo.of(new AsMarker()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VoidCoder.of()));

    // Every link keyed by its customer: a join on the link's first node.
    PCollection<KV<String, KV<String, String>>> linksByRoot = KeyedPCollectionTuple
        .of(BY_NODE_LABEL, labels)
        .and(BY_NODE_LINK, links)
        .apply("JoinLinksWithLabels", CoGroupByKey.create())
        .apply("KeyLinksByRoot", ParDo.of(new KeyLinksByRoot()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), PAIR));

    PCollectionTuple replayed = KeyedPCollectionTuple
        .of(BY_ROOT_LINK, linksByRoot)
        .and(BY_ROOT_OVER, overLimitRoots)
        .apply("JoinLinksWithOverLimit", CoGroupByKey.create())
        .apply("ReplayLinks", ParDo.of(new ReplayLinks(rules, maxLinks))
            .withOutputTags(OVERRIDES, TupleTagList.of(DROPPED)));
    PCollection<KV<String, String>> overrides = replayed.get(OVERRIDES).setCoder(PAIR);
    PCollection<KV<String, JunkIdentifier>> dropped = replayed.get(DROPPED)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoders.of(
            input.getPipeline(), JunkIdentifier.class)));

    PCollection<KV<String, String>> relabelled = KeyedPCollectionTuple
        .of(FINAL_LABEL, labels)
        .and(FINAL_OVERRIDE, overrides)
        .apply("JoinOverrides", CoGroupByKey.create())
        .apply("ApplyOverrides", ParDo.of(new ApplyOverrides()))
        .setCoder(PAIR);
    return PCollectionTuple.of(LABELS, relabelled).and(DROPPED, dropped);
  }

  private static final class RootAndLimitedType extends DoFn<KV<String, String>,
      KV<String, String>> {
    private final IdentityRules rules;

    RootAndLimitedType(IdentityRules rules) {
      this.rules = rules;
    }

    @ProcessElement
    public void process(@Element KV<String, String> label,
        OutputReceiver<KV<String, String>> out) {
      String type = IdentifierNode.split(label.getKey())[0];
      if (rules.limit(type) != null) {
        out.output(KV.of(label.getValue(), type));
      }
    }
  }

  private static final class OverLimitRoot extends DoFn<KV<KV<String, String>, Long>,
      KV<String, String>> {
    private final IdentityRules rules;

    OverLimitRoot(IdentityRules rules) {
      this.rules = rules;
    }

    @ProcessElement
    public void process(@Element KV<KV<String, String>, Long> count,
        OutputReceiver<KV<String, String>> out) {
      Integer limit = rules.limit(count.getKey().getValue());
      if (limit != null && count.getValue() > limit) {
        out.output(KV.of(count.getKey().getKey(), ""));
      }
    }
  }

  private static final class AsMarker extends DoFn<KV<String, String>, KV<String, Void>> {
    @ProcessElement
    public void process(@Element KV<String, String> root, OutputReceiver<KV<String, Void>> out) {
      out.output(KV.of(root.getKey(), null));
    }
  }

  private static final class KeyLinksByRoot
      extends DoFn<KV<String, CoGbkResult>, KV<String, KV<String, String>>> {
    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> node,
        OutputReceiver<KV<String, KV<String, String>>> out) {
      String root = node.getValue().getOnly(BY_NODE_LABEL, null);
      if (root == null) {
        return; // cannot happen: every linked node is labelled
      }
      for (String other : node.getValue().getAll(BY_NODE_LINK)) {
        out.output(KV.of(root, KV.of(node.getKey(), other)));
      }
    }
  }

  /** Replays one over-limit customer's links with a limit-aware union-find. */
  private static final class ReplayLinks extends DoFn<KV<String, CoGbkResult>,
      KV<String, String>> {
    private final IdentityRules rules;
    private final int maxLinks;
    private final Counter split = Metrics.counter(ResolveIdentities.class,
        "customers_split_for_limits");
    private final Counter droppedLinks = Metrics.counter(ResolveIdentities.class,
        "links_dropped_for_limits");
    private final Counter tooLarge = Metrics.counter(ResolveIdentities.class,
        "customers_over_limit_too_large");

    ReplayLinks(IdentityRules rules, int maxLinks) {
      this.rules = rules;
      this.maxLinks = maxLinks;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> customer, MultiOutputReceiver out) {
      if (!customer.getValue().getAll(BY_ROOT_OVER).iterator().hasNext()) {
        return; // within limits: nothing to do, and its links are never read
      }
      Iterable<KV<String, String>> links = customer.getValue().getAll(BY_ROOT_LINK);
      int dropped = replay(rules, maxLinks, links,
          (node, label) -> out.get(OVERRIDES).output(KV.of(node, label)),
          (node, row) -> out.get(DROPPED).output(KV.of(node, row)));
      if (dropped < 0) {
        tooLarge.inc();
      } else if (dropped > 0) {
        split.inc();
        droppedLinks.inc(dropped);
      }
    }
  }

  /**
   * Replays one over-limit customer's links with a limit-aware union-find: emits every node's
   * new label (the smallest node of its part) and a row per dropped link. Returns the number of
   * links dropped, or -1 when the customer has more than {@code maxLinks} distinct links (then
   * nothing is emitted and it stays merged).
   */
  static int replay(IdentityRules rules, int maxLinks, Iterable<KV<String, String>> links,
      BiConsumer<String, String> labels, BiConsumer<String, JunkIdentifier> dropped) {
    TreeSet<String> nodes = new TreeSet<>();
    TreeSet<List<String>> unique = new TreeSet<>(Comparator.comparing((List<String> l) ->
        l.get(0)).thenComparing(l -> l.get(1)));
    for (KV<String, String> link : links) {
      nodes.add(link.getKey());
      nodes.add(link.getValue());
      if (!link.getKey().equals(link.getValue())) {
        String a = link.getKey().compareTo(link.getValue()) < 0 ? link.getKey()
            : link.getValue();
        String b = a.equals(link.getKey()) ? link.getValue() : link.getKey();
        unique.add(List.of(a, b));
      }
      if (unique.size() > maxLinks) {
        return -1;
      }
    }
    List<List<String>> ordered = new ArrayList<>(unique);
    ordered.sort((x, y) -> byStrength(rules, x, y));

    LimitedUnionFind parts = new LimitedUnionFind(rules, nodes);
    int droppedCount = 0;
    for (List<String> link : ordered) {
      String conflict = parts.unionUnlessOverLimit(link.get(0), link.get(1));
      if (conflict != null) {
        droppedCount++;
        String weak = weaker(rules, link.get(0), link.get(1));
        String strong = weak.equals(link.get(0)) ? link.get(1) : link.get(0);
        String[] node = IdentifierNode.split(weak);
        String[] reason = conflict.split("\u0000", 3);
        dropped.accept(weak, JunkIdentifier.create(node[0], node[1],
            LIMIT_CONFLICT, Long.parseLong(reason[1]), reason[0],
            "link to " + strong + " dropped: it would give one customer "
                + reason[1] + " " + reason[0] + "; limit " + reason[2]));
      }
    }
    Map<String, String> smallest = new HashMap<>();
    for (String n : nodes) { // ascending: the first node seen of a part is its smallest
      smallest.putIfAbsent(parts.find(n), n);
    }
    for (String n : nodes) {
      labels.accept(n, smallest.get(parts.find(n)));
    }
    return droppedCount;
  }

  private static int byStrength(IdentityRules rules, List<String> x, List<String> y) {
    int weak = rules.compareTypes(type(weaker(rules, x.get(0), x.get(1))),
        type(weaker(rules, y.get(0), y.get(1))));
    if (weak != 0) {
      return weak;
    }
    String sx = stronger(rules, x.get(0), x.get(1));
    String sy = stronger(rules, y.get(0), y.get(1));
    int strong = rules.compareTypes(type(sx), type(sy));
    if (strong != 0) {
      return strong;
    }
    int first = x.get(0).compareTo(y.get(0));
    return first != 0 ? first : x.get(1).compareTo(y.get(1));
  }

  private static String weaker(IdentityRules rules, String a, String b) {
    int c = rules.compareTypes(type(a), type(b));
    return c > 0 || (c == 0 && a.compareTo(b) > 0) ? a : b;
  }

  private static String stronger(IdentityRules rules, String a, String b) {
    return weaker(rules, a, b).equals(a) ? b : a;
  }

  private static String type(String node) {
    return IdentifierNode.split(node)[0];
  }

  private static final class ApplyOverrides
      extends DoFn<KV<String, CoGbkResult>, KV<String, String>> {
    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> node,
        OutputReceiver<KV<String, String>> out) {
      String label = node.getValue().getOnly(FINAL_LABEL, null);
      if (label == null) {
        return;
      }
      String override = node.getValue().getOnly(FINAL_OVERRIDE, null);
      out.output(KV.of(node.getKey(), override != null ? override : label));
    }
  }
}
