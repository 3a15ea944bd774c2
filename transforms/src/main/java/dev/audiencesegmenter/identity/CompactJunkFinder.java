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
  /**
   * Records with more identifiers than this are wide: their nodes are analysed by group, so
   * that the work stays linear in a record's size. Below it, each node walks its records.
   */
  static final int WIDE = 64;

  private final NodeTable nodes;
  private final RecordTable records;
  private final int[] nodeRecordStart;
  private final int[] nodeRecords;
  private final IdentityRules rules;
  private final int cap;
  private final int[] limits;
  private final int wide;

  /** Per node: BLOCKED and PLACEHOLDER bits (listed junk). */
  private byte[] listed;
  private int[] stamp;
  private int epoch;

  /** Per node: 0 when usable, else 1 + index in {@link CustomerLookup#REASONS}. */
  byte[] reasonCode;
  final List<JunkIdentifier> rows = new ArrayList<>();
  long placeholders;
  /** Record entries read while counting neighbours: what this costs, for tests. */
  long visits;

  CompactJunkFinder(NodeTable nodes, RecordTable records, int[] nodeRecordStart,
      int[] nodeRecords, IdentityRules rules, int wide) {
    this.wide = wide;
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
    typeStamp = new int[nodes.typeCount()];
    Arrays.fill(typeStamp, -1);

    Map<Integer, String> own = new HashMap<>();
    List<int[]> trimPairs = new ArrayList<>();
    List<String> trimReasons = new ArrayList<>();
    int[] counts = new int[nodes.typeCount()];
    int[] touched = new int[nodes.typeCount()];
    // Nodes on a wide record: one analysis per distinct list of records (see WideGroup).
    int[] groupOf = new int[n];
    Arrays.fill(groupOf, -1);
    List<WideGroup> groups = new ArrayList<>();
    Map<RecordList, Integer> groupIndex = new HashMap<>();
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
      if (onWideRecord(node)) {
        RecordList key = new RecordList(nodeRecordStart[node], nodeRecordStart[node + 1]);
        Integer g = groupIndex.get(key);
        if (g == null) {
          g = groups.size();
          groups.add(analyse(key.from, key.to));
          groupIndex.put(key, g);
        }
        groupOf[node] = g;
        WideGroup group = groups.get(g);
        for (int c = 0; c < group.types.length; c++) {
          applyRules(node, group.types[c], group.values[c], group.byText[c], own, trimPairs,
              trimReasons);
        }
        continue;
      }
      int types = countNeighbours(node, counts, touched);
      for (int k = 0; k < types; k++) {
        int t = touched[k];
        int count = counts[t];
        counts[t] = 0;
        if (fires(t, count)) {
          fire(node, t, count, own, trimPairs, trimReasons);
        }
      }
    }
    groupIndex = null;

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
      KV<String, Long> largest = null;
      if (groupOf[node] >= 0) {
        largest = groups.get(groupOf[node]).largestFor(node);
      } else {
        int types = countNeighbours(node, counts, touched);
        for (int k = 0; k < types; k++) {
          int t = touched[k];
          KV<String, Long> here = KV.of(nodes.typeName(t), (long) counts[t]);
          counts[t] = 0;
          largest = largest == null ? here : FindJunkIdentifiers.largerFanOut(largest, here);
        }
      }
      if (largest == null) {
        largest = KV.of("", 0L);
      }
      rows.add(FindJunkIdentifiers.junkRow(nodes.node(node), reasonAndDetail, largest.getKey(),
          largest.getValue()));
    }
    stamp = null;
    typeStamp = null;
    listed = null;
    wideRecords.clear();
    diffs.clear();
  }

  /** Whether {@code count} distinct neighbours of type {@code t} break a rule. */
  private boolean fires(int t, int count) {
    return count > rules.getMaxFanOut() || (limits[t] >= 0 && count > limits[t]);
  }

  private boolean onWideRecord(int node) {
    for (int i = nodeRecordStart[node]; i < nodeRecordStart[node + 1]; i++) {
      int r = nodeRecords[i];
      if (records.end(r) - records.start(r) > wide) {
        return true;
      }
    }
    return false;
  }

  /** A slice of {@link #nodeRecords}: the (ascending) records of a node, compared by content. */
  private final class RecordList {
    final int from;
    final int to;
    private final int hash;

    RecordList(int from, int to) {
      this.from = from;
      this.to = to;
      int h = 1;
      for (int i = from; i < to; i++) {
        h = 31 * h + nodeRecords[i];
      }
      this.hash = h;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof RecordList other && Arrays.equals(nodeRecords, from, to, nodeRecords,
          other.from, other.to);
    }
  }

  /**
   * What the rules need of the nodes that share one list of records, a wide one among them:
   * the other types whose distinct values break a rule, with those values as the rules see
   * them; and the largest fan-out. A node of the list sees the same neighbours as the others
   * but itself, and no other value of its own type (each record holds one per type), so these
   * hold for each of them; {@link #largestFor} leaves the node's own type out.
   */
  private final class WideGroup {
    int[] types;
    CappedDistinctFn.Values[] values;
    Map<String, Integer>[] byText;
    /** A type with two or more values, the most (ties: first by name); -1 when none. */
    int bestType = -1;
    int bestCount;
    /** Otherwise every type has one value: the two first by name, -1 when fewer. */
    int first = -1;
    int second = -1;

    KV<String, Long> largestFor(int node) {
      if (bestType >= 0) {
        return KV.of(nodes.typeName(bestType), (long) bestCount);
      }
      int own = nodes.type(node);
      int t = first != own ? first : second;
      return t < 0 ? null : KV.of(nodes.typeName(t), 1L);
    }

    void offerByName(int t) {
      if (t < 0 || t == first || t == second) {
        return;
      }
      if (first < 0 || byName(t, first) < 0) {
        second = first;
        first = t;
      } else if (second < 0 || byName(t, second) < 0) {
        second = t;
      }
    }
  }

  private int byName(int a, int b) {
    return nodes.typeName(a).compareTo(nodes.typeName(b));
  }

  /**
   * A wide record as the base of a group: its non-listed node of each type, and its two
   * first non-listed types by name. Built once per record.
   */
  private final class WideRecord {
    final Map<Integer, Integer> nodeOfType = new HashMap<>();
    final WideGroup names = new WideGroup();

    WideRecord(int r) {
      int[] recNodes = records.nodesArray();
      visits += records.end(r) - records.start(r);
      for (int j = records.start(r); j < records.end(r); j++) {
        int m = recNodes[j];
        if (listed[m] == 0) {
          nodeOfType.put(nodes.type(m), m);
          names.offerByName(nodes.type(m));
        }
      }
    }

    int valueOf(int type) {
      Integer m = nodeOfType.get(type);
      return m == null ? -1 : m;
    }
  }

  private final Map<Integer, WideRecord> wideRecords = new HashMap<>();
  /** Differences between two wide records, by (base, other). */
  private final Map<Long, int[]> diffs = new HashMap<>();
  private int[] typeStamp;

  /**
   * The non-listed nodes of record {@code r} that the base does not hold: the values a node
   * on both sees besides the base's. Kept when {@code r} is wide, so that a wide record is read
   * once per base it differs from, not once per node they share.
   */
  private int[] diff(int base, WideRecord b, int r) {
    boolean keep = records.end(r) - records.start(r) > wide;
    long key = ((long) base << 32) | r;
    if (keep) {
      int[] known = diffs.get(key);
      if (known != null) {
        return known;
      }
    }
    int[] recNodes = records.nodesArray();
    visits += records.end(r) - records.start(r);
    int[] out = new int[records.end(r) - records.start(r)];
    int k = 0;
    for (int j = records.start(r); j < records.end(r); j++) {
      int m = recNodes[j];
      if (listed[m] == 0 && b.valueOf(nodes.type(m)) != m) {
        out[k++] = m;
      }
    }
    out = Arrays.copyOf(out, k);
    if (keep) {
      diffs.put(key, out);
    }
    return out;
  }

  /**
   * The group of the records {@code nodeRecords[from..to)}: the distinct non-listed values
   * per type are the base's (the largest record) and those of each other record's difference
   * from it, so no wide record is read for each of its nodes.
   */
  private WideGroup analyse(int from, int to) {
    int base = nodeRecords[from];
    for (int i = from + 1; i < to; i++) {
      int r = nodeRecords[i];
      if (records.end(r) - records.start(r) > records.end(base) - records.start(base)) {
        base = r;
      }
    }
    WideRecord b = wideRecords.computeIfAbsent(base, WideRecord::new);
    int mark = ++epoch;
    List<Integer> touched = new ArrayList<>();
    Map<Integer, Integer> count = new HashMap<>();
    List<Integer> seen = new ArrayList<>();
    for (int i = from; i < to; i++) {
      int r = nodeRecords[i];
      if (r == base) {
        continue;
      }
      for (int v : diff(base, b, r)) {
        int t = nodes.type(v);
        if (typeStamp[t] != mark) {
          typeStamp[t] = mark;
          touched.add(t);
          int bv = b.valueOf(t);
          count.put(t, 0);
          if (bv >= 0) {
            count.put(t, 1);
            seen.add(bv);
          }
        }
        if (stamp[v] != mark) {
          stamp[v] = mark;
          count.merge(t, 1, Integer::sum);
          seen.add(v);
        }
      }
    }
    WideGroup group = new WideGroup();
    List<Integer> firing = new ArrayList<>();
    for (int t : touched) {
      int c = count.get(t);
      if (c >= 2 && (group.bestType < 0 || c > group.bestCount
          || (c == group.bestCount && byName(t, group.bestType) < 0))) {
        group.bestType = t;
        group.bestCount = c;
      }
      if (fires(t, c)) {
        firing.add(t);
      }
    }
    if (group.bestType < 0) {
      group.offerByName(b.names.first);
      group.offerByName(b.names.second);
      touched.forEach(group::offerByName);
    }
    // The values of each firing type, smallest first, as CappedDistinctFn keeps them.
    Map<Integer, List<Integer>> valuesOf = new HashMap<>();
    for (int t : firing) {
      valuesOf.put(t, new ArrayList<>());
    }
    for (int v : seen) {
      List<Integer> list = valuesOf.get(nodes.type(v));
      if (list != null) {
        list.add(v);
      }
    }
    group.types = new int[firing.size()];
    group.values = new CappedDistinctFn.Values[firing.size()];
    @SuppressWarnings("unchecked")
    Map<String, Integer>[] byText = new Map[firing.size()];
    group.byText = byText;
    for (int c = 0; c < firing.size(); c++) {
      int t = firing.get(c);
      List<Integer> list = valuesOf.get(t);
      list.sort(nodes::compareValues);
      int total = count.get(t);
      CappedDistinctFn.Values values = new CappedDistinctFn.Values();
      byText[c] = new HashMap<>();
      for (int i = 0; i < Math.min(total, cap); i++) {
        String text = nodes.node(list.get(i));
        values.values.add(text);
        byText[c].put(text, list.get(i));
      }
      values.overflow = total > cap;
      group.types[c] = t;
      group.values[c] = values;
    }
    return group;
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
      visits += records.end(r) - records.start(r);
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
      visits += records.end(r) - records.start(r);
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
    applyRules(node, type, values, byText, own, trimPairs, trimReasons);
  }

  /** The rules for {@code node} and its distinct neighbours of one other type. */
  private void applyRules(int node, int type, CappedDistinctFn.Values values,
      Map<String, Integer> byText, Map<Integer, String> own, List<int[]> trimPairs,
      List<String> trimReasons) {
    if (type == nodes.type(node)) {
      throw new IllegalStateException("a record holds one identifier per type");
    }
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
