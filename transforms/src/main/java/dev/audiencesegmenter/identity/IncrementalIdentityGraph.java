package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.IdentityChange;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Identity resolution one record at a time, for streaming: a union-find over identifier nodes
 * kept in a {@link Store} (Beam state in the streaming job). Linking a record's identifiers
 * may join customers that were apart: the joined customer's id is, as in batch, derived from
 * its smallest identifier ({@link CustomerIds}), so the ids after a stream equal the ids of a
 * batch run over the same records (without batch-only rules: fan-out and per-type limits need
 * the whole graph).
 *
 * <p>Events are stored downstream under an <em>anchor</em>: the customer id their customer had
 * when they arrived, which never changes. A component remembers its anchors, so that when its
 * id changes, every anchor can be told where its events now belong ({@link Redirect}).
 */
public final class IncrementalIdentityGraph {
  /** Where the graph lives. */
  public interface Store {
    /** The node's parent; the node itself for a root; null for a node never seen. */
    @Nullable String parent(String node);

    void setParent(String node, String parent);

    @Nullable Component component(String root);

    void putComponent(String root, Component component);

    void removeComponent(String root);
  }

  /** A connected component (a customer): its smallest node and the anchors of its events. */
  public record Component(String smallestNode, List<String> anchors) implements Serializable {
    public Component {
      anchors = List.copyOf(anchors);
    }

    public String customerId() {
      return CustomerIds.fromSmallestNode(smallestNode);
    }
  }

  /** The anchor's events now belong to {@code customerId}. */
  public record Redirect(String anchor, String customerId) {}

  /**
   * The outcome of linking one record: its customer id, the anchors to redirect, and one
   * {@code merge} change per earlier customer whose id ended (merged into this one, or renamed
   * because a smaller identifier joined).
   */
  public record Linked(String customerId, List<Redirect> redirects,
      List<IdentityChange> merges) {}

  private final Store store;

  public IncrementalIdentityGraph(Store store) {
    this.store = store;
  }

  /** The usable nodes ({@code type:value}) of a record's normalized identifiers. */
  public static List<String> nodes(Map<String, String> normalized, IdentityRules rules) {
    List<String> nodes = new ArrayList<>();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(normalized).entrySet()) {
      String node = IdentifierNode.of(e.getKey(), e.getValue());
      if (e.getKey().indexOf(':') < 0 && !rules.isListedJunk(node)) {
        nodes.add(node);
      }
    }
    return nodes;
  }

  /** Links the nodes of one record (at least one) and returns its customer. */
  public Linked link(Collection<String> nodes) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a record needs at least one identifier node");
    }
    // root -> (component, the record's node found in it)
    Map<String, Component> components = new LinkedHashMap<>();
    Map<String, String> nodeIn = new LinkedHashMap<>();
    for (String node : new TreeSet<>(nodes)) {
      String root = find(node);
      if (root == null) {
        store.setParent(node, node);
        store.putComponent(node, new Component(node, List.of()));
        root = node;
      }
      if (!components.containsKey(root)) {
        components.put(root, store.component(root));
        nodeIn.put(root, node);
      }
    }
    String kept = null;
    for (Map.Entry<String, Component> e : components.entrySet()) {
      if (kept == null
          || e.getValue().smallestNode().compareTo(components.get(kept).smallestNode()) < 0) {
        kept = e.getKey();
      }
    }
    Component keptComponent = components.get(kept);
    String customerId = keptComponent.customerId();
    TreeSet<String> anchors = new TreeSet<>();
    List<Redirect> redirects = new ArrayList<>();
    List<IdentityChange> merges = new ArrayList<>();
    for (Map.Entry<String, Component> e : components.entrySet()) {
      Component c = e.getValue();
      anchors.addAll(c.anchors());
      if (!e.getKey().equals(kept)) {
        store.setParent(e.getKey(), kept);
        store.removeComponent(e.getKey());
      }
      String oldId = c.customerId();
      if (!c.anchors().isEmpty() && !oldId.equals(customerId)) {
        for (String anchor : c.anchors()) {
          redirects.add(new Redirect(anchor, customerId));
        }
        merges.add(IdentityChange.create(IdentityChange.MERGE, customerId, oldId,
            nodeIn.get(e.getKey()), nodeIn.get(kept), "linked by a streamed record"));
      }
    }
    anchors.add(customerId);
    store.putComponent(kept, new Component(keptComponent.smallestNode(),
        new ArrayList<>(anchors)));
    return new Linked(customerId, redirects, merges);
  }

  /** The root of {@code node}, compressing its path; null for a node never seen. */
  private @Nullable String find(String node) {
    String parent = store.parent(node);
    if (parent == null) {
      return null;
    }
    String root = node;
    while (!parent.equals(root)) {
      root = parent;
      parent = store.parent(root);
    }
    String current = node;
    while (!current.equals(root)) {
      String next = store.parent(current);
      if (!next.equals(root)) {
        store.setParent(current, root);
      }
      current = next;
    }
    return root;
  }
}
