package dev.audiencesegmenter.identity;

import java.util.Arrays;

/**
 * Distinct records as sets of node ids, in compressed sparse rows: record {@code r}'s nodes
 * are {@code nodes[start(r) .. start(r + 1))}, ascending by id. A record added twice is
 * stored once (identity resolution depends on the set of distinct records only).
 */
final class RecordTable {
  private int[] starts = new int[1 << 10];
  private int[] nodes = new int[1 << 12];
  private int count;
  private int nodeCount;
  /** Open addressing: record id + 1, 0 for empty. */
  private int[] slots = new int[1 << 11];
  private int slotMask = slots.length - 1;

  int count() {
    return count;
  }

  int start(int record) {
    return starts[record];
  }

  int end(int record) {
    return starts[record + 1];
  }

  int node(int i) {
    return nodes[i];
  }

  int[] nodesArray() {
    return nodes;
  }

  int totalNodes() {
    return nodeCount;
  }

  /** Adds the record of {@code ids[0..n)} (sorted here, distinct); returns its id. */
  int add(int[] ids, int n) {
    if (n > 16) {
      Arrays.sort(ids, 0, n); // a wide record: not an insertion sort, n² in its size
    } else {
      for (int i = 1; i < n; i++) { // insertion sort: records hold a handful of identifiers
        int v = ids[i];
        int j = i - 1;
        while (j >= 0 && ids[j] > v) {
          ids[j + 1] = ids[j];
          j--;
        }
        ids[j + 1] = v;
      }
    }
    int h = hash(ids, 0, n);
    for (int s = h & slotMask; ; s = (s + 1) & slotMask) {
      int r = slots[s] - 1;
      if (r < 0) {
        return append(ids, n, s);
      }
      if (Arrays.equals(nodes, starts[r], starts[r + 1], ids, 0, n)) {
        return r;
      }
    }
  }

  private int append(int[] ids, int n, int slot) {
    if (count + 2 > starts.length) {
      starts = Arrays.copyOf(starts, starts.length + (starts.length >> 1));
    }
    if (nodeCount + n > nodes.length) {
      nodes = Arrays.copyOf(nodes, Math.max(nodeCount + n, nodes.length + (nodes.length >> 1)));
    }
    System.arraycopy(ids, 0, nodes, nodeCount, n);
    int r = count;
    starts[r] = nodeCount;
    nodeCount += n;
    starts[r + 1] = nodeCount;
    count++;
    slots[slot] = r + 1;
    if (2 * count > slots.length) {
      slots = new int[slots.length * 2];
      slotMask = slots.length - 1;
      for (int i = 0; i < count; i++) {
        int s = hash(nodes, starts[i], starts[i + 1] - starts[i]) & slotMask;
        while (slots[s] != 0) {
          s = (s + 1) & slotMask;
        }
        slots[s] = i + 1;
      }
    }
    return r;
  }

  private static int hash(int[] a, int from, int n) {
    long h = 0x9E3779B97F4A7C15L;
    for (int i = from; i < from + n; i++) {
      h = (h ^ a[i]) * 0xff51afd7ed558ccdL;
    }
    h ^= h >>> 32;
    h *= 0xc4ceb9fe1a85ec53L;
    return (int) (h ^ (h >>> 29));
  }

  /** Drops the de-duplication table and spare capacity once no record will be added. */
  void freeze() {
    slots = null;
    starts = Arrays.copyOf(starts, count + 1);
    nodes = Arrays.copyOf(nodes, nodeCount);
  }

  /** Frees everything: the records are not read again. */
  void release() {
    slots = null;
    starts = null;
    nodes = null;
  }
}
