package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.IdentityChange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link StableCustomerIds} over the compact graph, rule for rule: weights of previous ids per
 * customer, claims (ties: the smaller root node), kept id per customer (ties: the smaller id),
 * merges, splits with {@code "split:" + root}, and each merge explained by the smallest
 * crossing edge {@code linking \0 linked_to} over all star links of linkable records.
 */
final class CompactStableIds {
  private static final String MERGE_REASON =
      "identifiers of both previous customers are now linked";
  private static final String SPLIT_REASON =
      "identifiers that were one customer are no longer linked; this part holds fewer of "
          + "them and gets a new id";

  private CompactStableIds() {}

  /**
   * Assigns a provisional customer index ({@code ids}) to every root ({@code label[n] == n})
   * in {@code customerOfRoot}; returns the changes and counts kept / merged / split ids in
   * {@code counters}.
   *
   * @param previous per node: 1 + index of its previous id in {@code previousIds}, 0 for none
   * @param usable per node: whether it is labelled (a usable identifier of some record)
   * @param centers per record: its star centre (smallest usable node), -1 when unlinkable
   */
  static List<IdentityChange> assign(NodeTable nodes, boolean[] usable, int[] label,
      int[] previous, List<String> previousIds, RecordTable records, int[] centers,
      JunkAware junk, CustomerIdTable.Builder ids, CustomerIdTable.Hasher hasher,
      int[] customerOfRoot, ResolutionCounters counters) {
    int n = nodes.size();
    // (root, previous id) of every labelled node with a previous id, sorted: runs are weights.
    int pairs = 0;
    for (int node = 0; node < n; node++) {
      if (usable[node] && previous[node] > 0) {
        pairs++;
      }
    }
    long[] keys = new long[pairs];
    int k = 0;
    for (int node = 0; node < n; node++) {
      if (usable[node] && previous[node] > 0) {
        keys[k++] = ((long) label[node] << 32) | (previous[node] - 1);
      }
    }
    Arrays.sort(keys);
    int[] rootOf = new int[pairs];
    int[] idOf = new int[pairs];
    int[] weight = new int[pairs];
    int triples = 0;
    for (int i = 0; i < pairs; ) {
      int j = i;
      while (j < pairs && keys[j] == keys[i]) {
        j++;
      }
      rootOf[triples] = (int) (keys[i] >>> 32);
      idOf[triples] = (int) keys[i];
      weight[triples] = j - i;
      triples++;
      i = j;
    }
    keys = null;

    // Claims: each previous id goes to the root holding most of it (ties: the smaller root).
    int[] claim = new int[previousIds.size()];
    Arrays.fill(claim, -1);
    for (int t = 0; t < triples; t++) {
      int id = idOf[t];
      int best = claim[id];
      if (best < 0 || weight[t] > weight[best]
          || (weight[t] == weight[best] && nodes.compare(rootOf[t], rootOf[best]) < 0)) {
        claim[id] = t;
      }
    }

    // Decide per root (triples are sorted by root).
    List<IdentityChange> changes = new ArrayList<>();
    List<Integer> mergedIds = new ArrayList<>();
    List<Integer> mergeChange = new ArrayList<>();
    for (int i = 0; i < triples; ) {
      int root = rootOf[i];
      int j = i;
      int kept = -1;
      int keptWeight = -1;
      while (j < triples && rootOf[j] == root) {
        if (claim[idOf[j]] == j && (weight[j] > keptWeight || (weight[j] == keptWeight
            && previousIds.get(idOf[j]).compareTo(previousIds.get(kept)) < 0))) {
          kept = idOf[j];
          keptWeight = weight[j];
        }
        j++;
      }
      if (kept >= 0) {
        counters.customerIdsKept++;
        String keptId = previousIds.get(kept);
        for (int t = i; t < j; t++) {
          if (claim[idOf[t]] == t && idOf[t] != kept) {
            counters.customersMerged++;
            mergedIds.add(idOf[t]);
            mergeChange.add(changes.size());
            changes.add(IdentityChange.create(IdentityChange.MERGE, keptId,
                previousIds.get(idOf[t]), "", "", MERGE_REASON));
          }
        }
        customerOfRoot[root] = ids.add(keptId);
      } else {
        long newId = hasher.ofText("split:" + nodes.node(root));
        String newIdText = CustomerIdTable.format(newId);
        for (int t = i; t < j; t++) {
          counters.customersSplit++;
          changes.add(IdentityChange.create(IdentityChange.SPLIT,
              previousIds.get(idOf[t]), newIdText, "", "", SPLIT_REASON));
        }
        customerOfRoot[root] = ids.addHex(newId);
      }
      i = j;
    }
    if (!mergedIds.isEmpty()) {
      explainMerges(nodes, previous, records, centers, junk, mergedIds, mergeChange, changes,
          previousIds.size());
    }
    return changes;
  }

  /** Whether a node is usable on its records. */
  interface JunkAware {
    boolean usable(int node);
  }

  /**
   * Per merged (absorbed) previous id: the smallest {@code x \0 y} over star links {x, y} of
   * linkable records whose ends have different previous ids, x holding that id.
   */
  private static void explainMerges(NodeTable nodes, int[] previous, RecordTable records,
      int[] centers, JunkAware junk, List<Integer> mergedIds, List<Integer> mergeChange,
      List<IdentityChange> changes, int previousCount) {
    int[] wanted = new int[previousCount];
    Arrays.fill(wanted, -1);
    for (int i = 0; i < mergedIds.size(); i++) {
      wanted[mergedIds.get(i)] = i;
    }
    int[] bestX = new int[mergedIds.size()];
    int[] bestY = new int[mergedIds.size()];
    Arrays.fill(bestX, -1);
    int[] recNodes = records.nodesArray();
    for (int r = 0; r < records.count(); r++) {
      int c = centers[r];
      if (c < 0) {
        continue;
      }
      int pc = previous[c] - 1;
      for (int j = records.start(r), end = records.end(r); j < end; j++) {
        int m = recNodes[j];
        if (m == c || !junk.usable(m)) {
          continue;
        }
        int pm = previous[m] - 1;
        if (pc == pm) {
          continue;
        }
        if (pc >= 0 && wanted[pc] >= 0) {
          offer(nodes, wanted[pc], c, m, bestX, bestY);
        }
        if (pm >= 0 && wanted[pm] >= 0) {
          offer(nodes, wanted[pm], m, c, bestX, bestY);
        }
      }
    }
    for (int i = 0; i < mergedIds.size(); i++) {
      if (bestX[i] < 0) {
        continue;
      }
      int at = mergeChange.get(i);
      IdentityChange c = changes.get(at);
      String x = nodes.node(bestX[i]);
      String y = nodes.node(bestY[i]);
      changes.set(at, IdentityChange.create(c.getChange(), c.getKeptId(), c.getOtherId(), x, y,
          "a record links " + x + " with " + y));
    }
  }

  private static void offer(NodeTable nodes, int slot, int x, int y, int[] bestX,
      int[] bestY) {
    if (bestX[slot] < 0 || crossingBefore(nodes, x, y, bestX[slot], bestY[slot])) {
      bestX[slot] = x;
      bestY[slot] = y;
    }
  }

  /** Whether {@code x + "\0" + y} sorts before {@code bx + "\0" + by}. */
  private static boolean crossingBefore(NodeTable nodes, int x, int y, int bx, int by) {
    if (nodes.valueHasNul(x) || nodes.valueHasNul(bx)) { // never in real data: compare text
      return (nodes.node(x) + '\u0000' + nodes.node(y))
          .compareTo(nodes.node(bx) + '\u0000' + nodes.node(by)) < 0;
    }
    int c = nodes.compare(x, bx);
    return c != 0 ? c < 0 : nodes.compare(y, by) < 0;
  }
}
