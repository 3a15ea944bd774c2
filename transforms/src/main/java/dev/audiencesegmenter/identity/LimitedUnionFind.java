package dev.audiencesegmenter.identity;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * A union-find over identifier nodes that refuses a union whose part would hold more
 * identifiers of a limited type than {@link IdentityRules#limit} allows. In memory, for one
 * customer at a time (see {@link SplitOverLimitCustomers}).
 */
final class LimitedUnionFind {
  private final IdentityRules rules;
  private final Map<String, String> parent = new HashMap<>();
  private final Map<String, Map<String, Integer>> limitedCounts = new HashMap<>();

  LimitedUnionFind(IdentityRules rules, Collection<String> nodes) {
    this.rules = rules;
    for (String node : nodes) {
      parent.put(node, node);
      String type = IdentifierNode.split(node)[0];
      if (rules.limit(type) != null) {
        Map<String, Integer> counts = new HashMap<>();
        counts.put(type, 1);
        limitedCounts.put(node, counts);
      }
    }
  }

  String find(String node) {
    String root = node;
    while (!parent.get(root).equals(root)) {
      root = parent.get(root);
    }
    while (!node.equals(root)) { // path compression
      String next = parent.get(node);
      parent.put(node, root);
      node = next;
    }
    return root;
  }

  /**
   * Joins the parts of {@code a} and {@code b}, or, when that would break a limit, leaves them
   * apart and returns {@code "type\0count\0limit"} of the first broken limit (types in priority
   * order). Null when joined or already together.
   */
  String unionUnlessOverLimit(String a, String b) {
    String ra = find(a);
    String rb = find(b);
    if (ra.equals(rb)) {
      return null;
    }
    Map<String, Integer> ca = limitedCounts.getOrDefault(ra, Map.of());
    Map<String, Integer> cb = limitedCounts.getOrDefault(rb, Map.of());
    String broken = null;
    for (String type : rules.getPriorities()) {
      Integer limit = rules.limit(type);
      int together = ca.getOrDefault(type, 0) + cb.getOrDefault(type, 0);
      if (limit != null && together > limit) {
        broken = type + '\u0000' + together + '\u0000' + limit;
        break;
      }
    }
    if (broken != null) {
      return broken;
    }
    // Deterministic: the root that sorts first survives.
    String keep = ra.compareTo(rb) < 0 ? ra : rb;
    String gone = keep.equals(ra) ? rb : ra;
    parent.put(gone, keep);
    Map<String, Integer> merged = new HashMap<>(limitedCounts.getOrDefault(keep, Map.of()));
    limitedCounts.getOrDefault(gone, Map.of()).forEach((t, n) -> merged.merge(t, n,
        Integer::sum));
    limitedCounts.remove(gone);
    if (!merged.isEmpty()) {
      limitedCounts.put(keep, merged);
    }
    return null;
  }
}
