package dev.audiencesegmenter.streaming;

import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.identity.IncrementalIdentityGraph;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.IdentityChange;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The identity step of the streaming job: links each event's identifiers in one
 * {@link IncrementalIdentityGraph} held in state under a single key (the graph must see every
 * record; it holds identifiers only, not events), sends the event to its anchor, tells the
 * anchors of merged customers where their events now belong, and ends the merged customers.
 */
final class LinkIdentitiesFn extends DoFn<KV<Integer, CustomerEvent>, KV<String, CustomerUpdate>> {
  private final IdentityRules rules;
  private final TupleTag<KV<String, CustomerUpdate>> toAnchors;
  private final TupleTag<KV<String, CustomerUpdate>> toCustomers;
  private final TupleTag<IdentityChange> merges;
  private final Counter merged = Metrics.counter(SegmentContinuously.class, "customers_merged");
  private final Counter linked = Metrics.counter(SegmentContinuously.class, "events_linked");

  @StateId("parents")
  private final StateSpec<MapState<String, String>> parentsSpec =
      StateSpecs.map(StringUtf8Coder.of(), StringUtf8Coder.of());

  @StateId("components")
  private final StateSpec<MapState<String, IncrementalIdentityGraph.Component>> componentsSpec =
      StateSpecs.map(StringUtf8Coder.of(), ComponentCoder.of());

  @StateId("sequence")
  private final StateSpec<ValueState<Long>> sequenceSpec = StateSpecs.value(VarLongCoder.of());

  LinkIdentitiesFn(IdentityRules rules, TupleTag<KV<String, CustomerUpdate>> toAnchors,
      TupleTag<KV<String, CustomerUpdate>> toCustomers, TupleTag<IdentityChange> merges) {
    this.rules = rules;
    this.toAnchors = toAnchors;
    this.toCustomers = toCustomers;
    this.merges = merges;
  }

  @ProcessElement
  public void process(@Element KV<Integer, CustomerEvent> element,
      @StateId("parents") MapState<String, String> parents,
      @StateId("components") MapState<String, IncrementalIdentityGraph.Component> components,
      @StateId("sequence") ValueState<Long> sequence, MultiOutputReceiver out) {
    CustomerEvent event = element.getValue();
    List<String> nodes = IncrementalIdentityGraph.nodes(event.getIdentifiers(), rules);
    if (nodes.isEmpty()) {
      return; // only listed placeholders: dead-lettered by NormalizeForStreamingFn already
    }
    IncrementalIdentityGraph.Linked result = new IncrementalIdentityGraph(
        new StateStore(parents, components)).link(nodes);
    linked.inc();
    if (!result.redirects().isEmpty()) {
      Long last = sequence.read();
      long next = (last == null ? 0 : last) + 1;
      sequence.write(next);
      for (IncrementalIdentityGraph.Redirect r : result.redirects()) {
        out.get(toAnchors).output(KV.of(r.anchor(),
            CustomerUpdate.redirect(r.customerId(), next)));
      }
      for (IdentityChange change : result.merges()) {
        merged.inc();
        out.get(merges).output(change);
        out.get(toCustomers).output(KV.of(change.getOtherId(),
            CustomerUpdate.mergedInto(change.getKeptId(), next)));
      }
    }
    out.get(toAnchors).output(KV.of(result.customerId(), CustomerUpdate.event(event)));
  }

  /** The graph in this key's state. */
  private record StateStore(MapState<String, String> parents,
      MapState<String, IncrementalIdentityGraph.Component> components)
      implements IncrementalIdentityGraph.Store {
    @Override
    public @Nullable String parent(String node) {
      return parents.get(node).read();
    }

    @Override
    public void setParent(String node, String parent) {
      parents.put(node, parent);
    }

    @Override
    public IncrementalIdentityGraph.@Nullable Component component(String root) {
      return components.get(root).read();
    }

    @Override
    public void putComponent(String root, IncrementalIdentityGraph.Component component) {
      components.put(root, component);
    }

    @Override
    public void removeComponent(String root) {
      components.remove(root);
    }
  }
}
