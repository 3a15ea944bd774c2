package dev.audiencesegmenter.features;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts per value (category, device, os) for one customer, for at most {@code cap} distinct
 * values. Exact, and independent of merge order, while a customer has no more than
 * {@code cap} distinct values. Past the cap, the value with the lowest count (ties: the largest
 * name) is folded into {@link #other()}, as in a Misra-Gries summary: totals stay exact, but
 * which values survive, and so the top value, may then depend on the order values arrived in.
 */
final class TopCounts {
  private final int cap;
  private final TreeMap<String, Long> counts = new TreeMap<>();
  private long other;

  TopCounts(int cap) {
    this.cap = cap;
  }

  void add(String value) {
    counts.merge(value, 1L, Long::sum);
    trim();
  }

  void mergeFrom(TopCounts o) {
    o.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
    other += o.other;
    trim();
  }

  private void trim() {
    while (counts.size() > cap) {
      Map.Entry<String, Long> lowest = null;
      for (Map.Entry<String, Long> e : counts.entrySet()) {
        if (lowest == null || e.getValue() <= lowest.getValue()) {
          lowest = e; // entries ascend by name: '<=' picks the largest name among ties
        }
      }
      other += lowest.getValue();
      counts.remove(lowest.getKey());
    }
  }

  /** Every count, folded ones included. */
  long total() {
    long total = other;
    for (long v : counts.values()) {
      total += v;
    }
    return total;
  }

  long other() {
    return other;
  }

  /** Values by count, highest first; ties by name. */
  List<Map.Entry<String, Long>> ranked() {
    List<Map.Entry<String, Long>> ranked = new ArrayList<>(counts.entrySet());
    ranked.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    return ranked;
  }

  /** The most frequent value (ties: the smallest name), or null when empty. */
  String top() {
    return counts.isEmpty() ? null : ranked().get(0).getKey();
  }

  void encode(DataOutputStream out) throws IOException {
    out.writeInt(counts.size());
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeLong(e.getValue());
    }
    out.writeLong(other);
  }

  static TopCounts decode(DataInputStream in, int cap) throws IOException {
    TopCounts t = new TopCounts(cap);
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      t.counts.put(in.readUTF(), in.readLong());
    }
    t.other = in.readLong();
    return t;
  }
}
