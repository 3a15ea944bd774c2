package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.values.KV;

/**
 * {@link FindJunkIdentifiers} over the compact graph: the same rules, applied by the same
 * functions ({@link FindJunkIdentifiers#applyRules}, {@code firstReason}, {@code largerFanOut},
 * {@code junkRow}), to the same co-occurrence counts, computed here by walking each node's
 * records instead of shuffling pairs. Strings are built only where a rule fires.
 *
 * <p>What {@link NormalizeRecordFn#pairs} feeds the rules: for node {@code a}, every other node
 * {@code b} of its records unless {@code b} is listed junk (blocked or a placeholder), grouped
 * by {@code b}'s type and capped at {@link FindJunkIdentifiers#cap} distinct values (the
 * smallest by text). A node's own pair {@code (a, a)} applies the list rules.
 */
final class CompactJunkFinder {
  static final byte BLOCKED = 1;
  static final byte PLACEHOLDER = 2;

  private static final int MAX_PHONE_DIGITS = maxLength(PlaceholderValues.PHONE_DIGITS);

  private final NodeTable nodes;
  private final RecordTable records;
  private final int[] nodeRecordStart;
  private final int[] nodeRecords;
  private final IdentityRules rules;
  private final int cap;
  private final int[] limits;

  /** Per node: BLOCKED and PLACEHOLDER bits (listed junk). */
  private byte[] listed;
  private int[] stamp;
  private int epoch;

  /** Per node: 0 when usable, else 1 + index in {@link CustomerLookup#REASONS}. */
  byte[] reasonCode;
  final List<JunkIdentifier> rows = new ArrayList<>();
  long placeholders;

  CompactJunkFinder(NodeTable nodes, RecordTable records, int[] nodeRecordStart,
      int[] nodeRecords, IdentityRules rules) {
    this.nodes = nodes;
    this.records = records;
    this.nodeRecordStart = nodeRecordStart;
    this.nodeRecords = nodeRecords;
    this.rules = rules;
    this.cap = FindJunkIdentifiers.cap(rules);
    this.limits = new int[nodes.typeCount()];
    for (int t = 0; t < limits.length; t++) {
      Integer limit = rules.limit(nodes.typeName(t));
      limits[t] = limit == null ? -1 : limit;
    }
  }

  private boolean inRecords(int node) {
    return nodeRecordStart[node + 1] > nodeRecordStart[node];
  }

  void run() {
    int n = nodes.size();
    listed = new byte[n];
    markListed();
    stamp = new int[n];
    Arrays.fill(stamp, -1);

    Map<Integer, String> own = new HashMap<>();
    List<int[]> trimPairs = new ArrayList<>();
    List<String> trimReasons = new ArrayList<>();
    int[] counts = new int[nodes.typeCount()];
    int[] touched = new int[nodes.typeCount()];
    for (int node = 0; node < n; node++) {
      if (!inRecords(node)) {
        continue;
      }
      final int source = node;
      if (listed[node] != 0) { // the node's own pair: the list rules
        String text = nodes.node(node);
        FindJunkIdentifiers.applyRules(rules, text, nodes.typeName(nodes.type(node)),
            new CappedDistinctFn.Values(), (x, reason) -> {
              if (reason.startsWith(FindJunkIdentifiers.PLACEHOLDER + '\u0000')) {
                placeholders++;
              }
              own.merge(source, reason, FindJunkIdentifiers::firstReason);
            }, (x, trim) -> {
              throw new IllegalStateException("a node's own pair trims nothing");
            });
      }
      int types = countNeighbours(node, counts, touched);
      for (int k = 0; k < types; k++) {
        int t = touched[k];
        int count = counts[t];
        counts[t] = 0;
        if (count > rules.getMaxFanOut() || (limits[t] >= 0 && count > limits[t])) {
          fire(node, t, count, own, trimPairs, trimReasons);
        }
      }
    }

    // A node that is junk itself imposes no limit on its neighbours.
    Map<Integer, String> reasons = new HashMap<>(own);
    for (int i = 0; i < trimPairs.size(); i++) {
      int[] pair = trimPairs.get(i);
      if (!own.containsKey(pair[0])) {
        reasons.merge(pair[1], trimReasons.get(i), FindJunkIdentifiers::firstReason);
      }
    }

    reasonCode = new byte[n];
    for (Map.Entry<Integer, String> e : reasons.entrySet()) {
      int node = e.getKey();
      String reasonAndDetail = e.getValue();
      String reason = reasonAndDetail.substring(0, reasonAndDetail.indexOf('\u0000'));
      reasonCode[node] = (byte) (1 + CustomerLookup.REASONS.indexOf(reason));
      // Exact fan-out of the excluded node, for the report.
      int types = countNeighbours(node, counts, touched);
      KV<String, Long> largest = null;
      for (int k = 0; k < types; k++) {
        int t = touched[k];
        KV<String, Long> here = KV.of(nodes.typeName(t), (long) counts[t]);
        counts[t] = 0;
        largest = largest == null ? here : FindJunkIdentifiers.largerFanOut(largest, here);
      }
      if (largest == null) {
        largest = KV.of("", 0L);
      }
      rows.add(FindJunkIdentifiers.junkRow(nodes.node(node), reasonAndDetail, largest.getKey(),
          largest.getValue()));
    }
    stamp = null;
    listed = null;
  }

  /**
   * Counts the distinct non-listed neighbours of {@code node} per type into {@code counts};
   * returns how many types it wrote, listed in {@code touched}.
   */
  private int countNeighbours(int node, int[] counts, int[] touched) {
    int mark = ++epoch;
    int[] recNodes = records.nodesArray();
    int types = 0;
    for (int i = nodeRecordStart[node]; i < nodeRecordStart[node + 1]; i++) {
      int r = nodeRecords[i];
      for (int j = records.start(r), end = records.end(r); j < end; j++) {
        int other = recNodes[j];
        if (other == node || listed[other] != 0 || stamp[other] == mark) {
          continue;
        }
        stamp[other] = mark;
        int t = nodes.type(other);
        if (counts[t]++ == 0) {
          touched[types++] = t;
        }
      }
    }
    return types;
  }

  /** A rule fires on (node, other type): the capped distinct values as text, then the rule. */
  private void fire(int node, int type, int count, Map<Integer, String> own,
      List<int[]> trimPairs, List<String> trimReasons) {
    if (type == nodes.type(node)) {
      throw new IllegalStateException("a record holds one identifier per type");
    }
    int mark = ++epoch;
    int[] recNodes = records.nodesArray();
    int keep = Math.min(count, cap);
    int[] heap = new int[keep]; // max-heap of the smallest values seen
    int size = 0;
    for (int i = nodeRecordStart[node]; i < nodeRecordStart[node + 1]; i++) {
      int r = nodeRecords[i];
      for (int j = records.start(r), end = records.end(r); j < end; j++) {
        int other = recNodes[j];
        if (other == node || listed[other] != 0 || stamp[other] == mark
            || nodes.type(other) != type) {
          continue;
        }
        stamp[other] = mark;
        if (size < keep) {
          heap[size] = other;
          siftUp(heap, size++);
        } else if (nodes.compareValues(other, heap[0]) < 0) {
          heap[0] = other;
          siftDown(heap, size);
        }
      }
    }
    CappedDistinctFn.Values values = new CappedDistinctFn.Values();
    Map<String, Integer> byText = new HashMap<>();
    for (int i = 0; i < size; i++) {
      String text = nodes.node(heap[i]);
      values.values.add(text);
      byText.put(text, heap[i]);
    }
    values.overflow = count > cap;
    FindJunkIdentifiers.applyRules(rules, nodes.node(node), nodes.typeName(type), values,
        (x, reason) -> own.merge(node, reason, FindJunkIdentifiers::firstReason),
        (x, trim) -> {
          trimPairs.add(new int[] {node, byText.get(trim.getKey())});
          trimReasons.add(trim.getValue());
        });
  }

  private void siftUp(int[] heap, int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (nodes.compareValues(heap[i], heap[parent]) <= 0) {
        return;
      }
      int t = heap[i];
      heap[i] = heap[parent];
      heap[parent] = t;
      i = parent;
    }
  }

  private void siftDown(int[] heap, int size) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        return;
      }
      int largest = l + 1 < size && nodes.compareValues(heap[l + 1], heap[l]) > 0 ? l + 1 : l;
      if (nodes.compareValues(heap[largest], heap[i]) <= 0) {
        return;
      }
      int t = heap[i];
      heap[i] = heap[largest];
      heap[largest] = t;
      i = largest;
    }
  }

  /** Blocked values (looked up) and placeholders (a cheap test, then the real one). */
  private void markListed() {
    for (String blocked : rules.getBlockedNodes()) {
      String[] typeAndValue = IdentifierNode.split(blocked);
      int t = nodes.findType(typeAndValue[0]);
      int node = t < 0 ? -1 : nodes.find(t, typeAndValue[1]);
      if (node >= 0) {
        listed[node] |= BLOCKED;
      }
    }
    int email = nodes.findType(IdentifierNormalizer.EMAIL);
    int phone = nodes.findType(IdentifierNormalizer.PHONE);
    for (int node = 0; node < nodes.size(); node++) {
      if (inRecords(node) && mayBePlaceholder(nodes, node, email, phone)
          && PlaceholderValues.isPlaceholder(nodes.typeName(nodes.type(node)),
              nodes.value(node))) {
        listed[node] |= PLACEHOLDER;
      }
    }
  }

  /**
   * False only when {@link PlaceholderValues#isPlaceholder} is surely false, tested without
   * building a String: an ASCII value's lower-case form (as {@code toLowerCase(Locale.ROOT)}
   * writes it) is looked up by hash in that class's lists, phone numbers are tested on their
   * digits as that method does (without its regular expression); a non-ASCII value may be one.
   */
  static boolean mayBePlaceholder(NodeTable nodes, int node, int emailType, int phoneType) {
    int len = nodes.valueLength(node);
    int type = nodes.type(node);
    if (type == phoneType && phoneDigitsMayBePlaceholder(nodes, node, len)) {
      return true;
    }
    // ASCII values are lower-cased as toLowerCase(Locale.ROOT) does, and looked up by hash;
    // any other value gets the real test.
    long h = LOWER_SEED;
    int at = -1;
    long local = 0;
    for (int i = 0; i < len; i++) {
      char c = nodes.valueChar(node, i);
      if (c >= 0x80) {
        return true;
      }
      if (c == '@') {
        at = i;
        local = h;
      }
      h = lowerStep(h, c);
    }
    if (Arrays.binarySearch(ANY_TYPE_HASHES, h) >= 0) {
      return true;
    }
    if (type == emailType) {
      return Arrays.binarySearch(EMAIL_HASHES, h) >= 0
          || (at > 0 && Arrays.binarySearch(LOCAL_PART_HASHES, local) >= 0);
    }
    return false;
  }

  private static final long LOWER_SEED = 0x9E3779B97F4A7C15L;
  private static final long[] ANY_TYPE_HASHES = lowerHashes(PlaceholderValues.ANY_TYPE);
  private static final long[] EMAIL_HASHES = lowerHashes(PlaceholderValues.EMAILS);
  private static final long[] LOCAL_PART_HASHES =
      lowerHashes(PlaceholderValues.EMAIL_LOCAL_PARTS);

  private static long lowerStep(long h, char c) {
    if (c >= 'A' && c <= 'Z') {
      c += 'a' - 'A';
    }
    return (h ^ c) * 0x100000001b3L;
  }

  /** Hashes of the listed values as lower-case ASCII; a non-ASCII one hashes its chars. */
  private static long[] lowerHashes(Iterable<String> values) {
    java.util.List<Long> out = new ArrayList<>();
    for (String v : values) {
      long h = LOWER_SEED;
      String lower = v.toLowerCase(Locale.ROOT);
      for (int i = 0; i < lower.length(); i++) {
        h = lowerStep(h, lower.charAt(i));
      }
      out.add(h);
    }
    long[] a = new long[out.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = out.get(i);
    }
    Arrays.sort(a);
    return a;
  }

  /** The phone branch of {@link PlaceholderValues#isPlaceholder}, on the ASCII digits. */
  private static boolean phoneDigitsMayBePlaceholder(NodeTable nodes, int node, int len) {
    char[] digits = new char[len];
    int d = 0;
    for (int i = 0; i < len; i++) {
      char c = nodes.valueChar(node, i);
      if (c >= '0' && c <= '9') {
        digits[d++] = c;
      }
    }
    for (int cc = 1; cc <= 3 && cc < d; cc++) {
      int national = d - cc;
      if (national >= 6 && (sameDigit(digits, cc, d) || (national <= MAX_PHONE_DIGITS
          && PlaceholderValues.PHONE_DIGITS.contains(new String(digits, cc, national))))) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameDigit(char[] digits, int from, int to) {
    for (int i = from + 1; i < to; i++) {
      if (digits[i] != digits[from]) {
        return false;
      }
    }
    return true;
  }

  private static int maxLength(Iterable<String> values) {
    int max = 0;
    for (String v : values) {
      max = Math.max(max, v.length());
    }
    return max;
  }
}
