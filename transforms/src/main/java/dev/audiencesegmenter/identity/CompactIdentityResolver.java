package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.KV;

/**
 * {@link ResolveIdentities}' identity graph resolved in memory on one machine, exactly: the
 * same junk rows, links, limit splits, customer ids (stable ones too, given the previous run's
 * identities), changes and counters, from the normalized identifier maps of the records.
 *
 * <pre>{@code
 * CompactIdentityResolver resolver = CompactIdentityResolver.create(rules);
 * for (Map<String, String> ids : normalizedIdentifierMaps) {   // duplicates are fine
 *   resolver.addRecord(ids);
 * }
 * previousIdentities.forEach(resolver::addPreviousIdentity);   // optional
 * CompactResolution result = resolver.resolve();
 * result.lookup().ownerOf(ids);   // per record, on any worker
 * }</pre>
 *
 * <p>Compact: nodes are int ids over a byte arena ({@link NodeTable}), records and node
 * adjacency are compressed sparse rows, the union-find is an int array. Strings are built only
 * for the few nodes a rule needs as text (junk, limit trims, over-limit customers, one per
 * customer for its id). Not thread-safe; {@link #resolve} once.
 */
public final class CompactIdentityResolver {
  private final IdentityRules rules;
  private int maxLinksToSplit = ResolveIdentities.DEFAULT_MAX_LINKS_TO_SPLIT;
  private NodeFingerprint fingerprint = NodeFingerprint.full();

  private final NodeTable nodes = new NodeTable();
  private final RecordTable records = new RecordTable();
  private int[] scratch = new int[16];

  /** Per node: 1 + index of its previous id in {@link #previousIds}; 0 for none. */
  private int[] previous;
  private final List<String> previousIds = new ArrayList<>();
  private final Map<String, Integer> previousIndex = new HashMap<>();
  private boolean resolved;
  /** Record entries the junk rules read (for tests: linear in the records' sizes). */
  long junkVisits;
  /** Records larger than this are analysed as wide ones (tests lower it to cover that path). */
  int wideRecords = CompactJunkFinder.WIDE;

  private CompactIdentityResolver(IdentityRules rules) {
    this.rules = rules;
  }

  public static CompactIdentityResolver create(IdentityRules rules) {
    if (rules == null) {
      throw new IllegalArgumentException("rules must not be null");
    }
    return new CompactIdentityResolver(rules);
  }

  /** As {@link ResolveIdentities#withMaxLinksToSplit} (default 100,000). */
  public CompactIdentityResolver withMaxLinksToSplit(int maxLinks) {
    if (maxLinks < 1) {
      throw new IllegalArgumentException("maxLinksToSplit must be at least 1, got " + maxLinks);
    }
    this.maxLinksToSplit = maxLinks;
    return this;
  }

  /** The fingerprint the lookup keys identifiers by (default {@link NodeFingerprint#full()}). */
  public CompactIdentityResolver withLookupFingerprint(NodeFingerprint fingerprint) {
    this.fingerprint = fingerprint;
    return this;
  }

  /**
   * Adds a record's normalized identifiers, type to value, as {@code
   * NormalizeRecordFn.normalized} returns them (normalized types have no ':'). A map given
   * again changes nothing; an empty one is ignored.
   */
  public void addRecord(Map<String, String> normalizedIdentifiers) {
    checkOpen();
    int n = normalizedIdentifiers.size();
    if (n == 0) {
      return;
    }
    if (scratch.length < n) {
      scratch = new int[Math.max(n, 2 * scratch.length)];
    }
    int i = 0;
    for (Map.Entry<String, String> id : normalizedIdentifiers.entrySet()) {
      scratch[i++] = nodes.intern(nodes.typeId(id.getKey()), id.getValue());
    }
    records.add(scratch, n);
  }

  /** Adds a row of the previous run's identities, to keep customer ids stable. */
  public void addPreviousIdentity(CustomerIdentity row) {
    checkOpen();
    // Joined by node text, as StableCustomerIds does: split the text at its first ':'.
    String type = row.getIdType();
    String value = row.getIdValue();
    if (type.indexOf(':') >= 0) {
      String[] split = IdentifierNode.split(IdentifierNode.of(type, value));
      type = split[0];
      value = split[1];
    }
    int node = nodes.intern(nodes.typeId(type), value);
    String id = row.getCustomerId();
    if (previous == null) {
      previous = new int[Math.max(16, nodes.size())];
    }
    if (id.isEmpty()) {
      // No id. (StableCustomerIds reads "" as no id too, but with another id on the same
      // node the outcome there depends on the order the runner delivers them in.)
      return;
    }
    if (node >= previous.length) {
      previous = Arrays.copyOf(previous, Math.max(node + 1, previous.length * 3 / 2));
    }
    Integer index = previousIndex.get(id);
    if (index == null) {
      index = previousIds.size();
      previousIds.add(id);
      previousIndex.put(id, index);
    }
    // A node had one id; should a hand-edited file give it several, the smallest counts.
    int known = previous[node] - 1;
    if (known < 0 || id.compareTo(previousIds.get(known)) < 0) {
      previous[node] = index + 1;
    }
  }

  public void addPreviousIdentities(Iterable<CustomerIdentity> rows) {
    rows.forEach(this::addPreviousIdentity);
  }

  /** Distinct identifier nodes seen so far (with those only in previous identities). */
  public int nodeCount() {
    return nodes.size();
  }

  /** Distinct records seen so far. */
  public int recordCount() {
    return records.count();
  }

  private void checkOpen() {
    if (resolved) {
      throw new IllegalStateException("already resolved");
    }
  }

  /** Resolves the graph. Once: the resolver's memory is reused for the result. */
  public CompactResolution resolve() {
    checkOpen();
    resolved = true;
    scratch = null;
    records.freeze();
    nodes.freezeTypeOrder();
    int n = nodes.size();
    ResolutionCounters counters = new ResolutionCounters();

    // 1. Node -> records, then junk, as FindJunkIdentifiers.
    int[] nodeRecordStart = new int[n + 1];
    int[] recNodes = records.nodesArray();
    int total = records.totalNodes();
    for (int i = 0; i < total; i++) {
      nodeRecordStart[recNodes[i] + 1]++;
    }
    for (int i = 0; i < n; i++) {
      nodeRecordStart[i + 1] += nodeRecordStart[i];
    }
    int[] nodeRecords = new int[total];
    int[] cursor = Arrays.copyOf(nodeRecordStart, n);
    for (int r = 0; r < records.count(); r++) {
      for (int j = records.start(r); j < records.end(r); j++) {
        nodeRecords[cursor[recNodes[j]]++] = r;
      }
    }
    cursor = null;
    CompactJunkFinder junk = new CompactJunkFinder(nodes, records, nodeRecordStart,
        nodeRecords, rules, wideRecords);
    junk.run();
    junkVisits = junk.visits;
    List<JunkIdentifier> junkRows = new ArrayList<>(junk.rows);
    counters.identifiersJunk = junk.rows.size();
    counters.identifiersPlaceholder = junk.placeholders;
    byte[] reasonCode = junk.reasonCode;
    boolean[] inRecords = new boolean[n];
    for (int i = 0; i < n; i++) {
      inRecords[i] = nodeRecordStart[i + 1] > nodeRecordStart[i];
    }
    nodeRecordStart = null;
    nodeRecords = null;
    boolean[] usable = new boolean[n];
    for (int i = 0; i < n; i++) {
      usable[i] = inRecords[i] && reasonCode[i] == 0;
    }

    // 2. Link every record's usable nodes: a star around the smallest.
    int[] centers = new int[records.count()];
    int[] parent = new int[n];
    byte[] rank = new byte[n];
    for (int i = 0; i < n; i++) {
      parent[i] = i;
    }
    for (int r = 0; r < records.count(); r++) {
      int center = -1;
      for (int j = records.start(r); j < records.end(r); j++) {
        int m = recNodes[j];
        if (usable[m] && (center < 0 || nodes.compare(m, center) < 0)) {
          center = m;
        }
      }
      centers[r] = center;
      if (center >= 0) {
        for (int j = records.start(r); j < records.end(r); j++) {
          int m = recNodes[j];
          if (usable[m] && m != center) {
            union(parent, rank, center, m);
          }
        }
      }
    }
    rank = null;
    // Each component is labelled with its smallest node.
    int[] smallest = new int[n];
    Arrays.fill(smallest, -1);
    for (int i = 0; i < n; i++) {
      if (usable[i]) {
        int root = find(parent, i);
        if (smallest[root] < 0 || nodes.compare(i, smallest[root]) < 0) {
          smallest[root] = i;
        }
      }
    }
    int[] label = new int[n];
    Arrays.fill(label, -1);
    for (int i = 0; i < n; i++) {
      if (usable[i]) {
        label[i] = smallest[find(parent, i)];
      }
    }
    parent = null;
    int[] work = smallest; // reused below as per-node scratch

    // 3. Split the customers over a per-type limit, as SplitOverLimitCustomers.
    splitOverLimit(usable, label, centers, work, junkRows, counters);

    for (int i = 0; i < n; i++) {
      if (usable[i]) {
        counters.identifiers++;
        if (label[i] == i) {
          counters.customers++;
        }
      }
    }

    // 4. Customer ids.
    CustomerIdTable.Builder ids = new CustomerIdTable.Builder();
    CustomerIdTable.Hasher hasher = new CustomerIdTable.Hasher();
    int[] customerOfRoot = work;
    Arrays.fill(customerOfRoot, -1);
    List<IdentityChange> changes = new ArrayList<>();
    if (previous != null) {
      int[] prev = Arrays.copyOf(previous, n);
      previous = null;
      changes = CompactStableIds.assign(nodes, usable, label, prev, previousIds, records,
          centers, node -> usable[node], ids, hasher, customerOfRoot, counters);
    }
    for (int i = 0; i < n; i++) {
      if (usable[i] && label[i] == i && customerOfRoot[i] < 0) {
        customerOfRoot[i] = ids.addHex(hasher.ofNode(nodes, i));
      }
    }
    int[] renumber = new int[ids.count()];
    CustomerIdTable idTable = ids.build(renumber);
    int[] customer = label; // label is no longer needed once each node has its customer
    for (int i = 0; i < n; i++) {
      customer[i] = usable[i] ? renumber[customerOfRoot[label[i]]] : -1;
    }
    work = null;
    customerOfRoot = null;

    // 5. Customers still over a limit, by customer id and type (CountCustomersOverLimit).
    countCustomersOverLimit(usable, customer, idTable.size(), counters);

    // 6. The lookup.
    CustomerLookup lookup = buildLookup(inRecords, reasonCode, customer, idTable);
    nodes.dropIndex();
    records.release();
    return new CompactResolution(nodes, usable, customer, idTable, junkRows, changes, counters,
        lookup);
  }

  private static int find(int[] parent, int x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }

  private static void union(int[] parent, byte[] rank, int a, int b) {
    int ra = find(parent, a);
    int rb = find(parent, b);
    if (ra == rb) {
      return;
    }
    if (rank[ra] < rank[rb]) {
      parent[ra] = rb;
    } else if (rank[ra] > rank[rb]) {
      parent[rb] = ra;
    } else {
      parent[rb] = ra;
      rank[ra]++;
    }
  }

  /**
   * Finds the customers holding more nodes of a limited type than its limit, and replays their
   * links with {@link SplitOverLimitCustomers#replay}, as text; relabels their nodes.
   */
  private void splitOverLimit(boolean[] usable, int[] label, int[] centers, int[] counts,
      List<JunkIdentifier> junkRows, ResolutionCounters counters) {
    int n = nodes.size();
    boolean[] over = null;
    List<Integer> overRoots = new ArrayList<>();
    for (int t = 0; t < nodes.typeCount(); t++) {
      Integer limit = rules.limit(nodes.typeName(t));
      if (limit == null) {
        continue;
      }
      Arrays.fill(counts, 0);
      for (int i = 0; i < n; i++) {
        if (usable[i] && nodes.type(i) == t && ++counts[label[i]] == limit + 1) {
          if (over == null) {
            over = new boolean[n];
          }
          if (!over[label[i]]) {
            over[label[i]] = true;
            overRoots.add(label[i]);
          }
        }
      }
    }
    if (over == null) {
      return;
    }
    // The over-limit customers' records, by customer.
    Map<Integer, List<Integer>> recordsByRoot = new HashMap<>();
    for (int r = 0; r < records.count(); r++) {
      if (centers[r] >= 0 && over[label[centers[r]]]) {
        recordsByRoot.computeIfAbsent(label[centers[r]], x -> new ArrayList<>()).add(r);
      }
    }
    int[] recNodes = records.nodesArray();
    for (int root : overRoots) {
      // Distinct links first, by node ids: a customer too large to split is never spelled out.
      List<Integer> recs = recordsByRoot.get(root);
      int pairs = 0;
      for (int r : recs) {
        pairs += records.end(r) - records.start(r);
      }
      long[] links = new long[pairs];
      int k = 0;
      for (int r : recs) {
        int c = centers[r];
        for (int j = records.start(r); j < records.end(r); j++) {
          int m = recNodes[j];
          if (usable[m] && m != c) {
            links[k++] = ((long) Math.min(c, m) << 32) | Math.max(c, m);
          }
        }
      }
      Arrays.sort(links, 0, k);
      int distinct = 0;
      for (int i = 0; i < k; i++) {
        if (i == 0 || links[i] != links[i - 1]) {
          links[distinct++] = links[i];
        }
      }
      if (distinct > maxLinksToSplit) {
        counters.customersOverLimitTooLarge++;
        continue;
      }
      Map<Integer, String> text = new HashMap<>();
      Map<String, Integer> byText = new HashMap<>();
      List<KV<String, String>> textLinks = new ArrayList<>(distinct);
      for (int i = 0; i < distinct; i++) {
        int a = (int) (links[i] >>> 32);
        int b = (int) links[i];
        textLinks.add(KV.of(text(a, text, byText), text(b, text, byText)));
      }
      int dropped = SplitOverLimitCustomers.replay(rules, maxLinksToSplit, textLinks,
          (node, newLabel) -> label[byText.get(node)] = byText.get(newLabel),
          (node, row) -> junkRows.add(row));
      if (dropped < 0) {
        counters.customersOverLimitTooLarge++;
      } else if (dropped > 0) {
        counters.customersSplitForLimits++;
        counters.linksDroppedForLimits += dropped;
      }
    }
  }

  private String text(int node, Map<Integer, String> text, Map<String, Integer> byText) {
    String s = text.get(node);
    if (s == null) {
      s = nodes.node(node);
      text.put(node, s);
      byText.put(s, node);
    }
    return s;
  }

  private void countCustomersOverLimit(boolean[] usable, int[] customer, int customers,
      ResolutionCounters counters) {
    int[] counts = null;
    for (int t = 0; t < nodes.typeCount(); t++) {
      Integer limit = rules.limit(nodes.typeName(t));
      if (limit == null) {
        continue;
      }
      if (counts == null) {
        counts = new int[customers];
      } else {
        Arrays.fill(counts, 0);
      }
      for (int i = 0; i < nodes.size(); i++) {
        if (usable[i] && nodes.type(i) == t && ++counts[customer[i]] == limit + 1) {
          counters.customersOverLimit++;
        }
      }
    }
  }

  private CustomerLookup buildLookup(boolean[] inRecords, byte[] reasonCode, int[] customer,
      CustomerIdTable idTable) {
    int n = nodes.size();
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (inRecords[i]) {
        count++;
      }
    }
    long[] keys = new long[count];
    int[] values = new int[count];
    int[] firstNode = new int[count];
    // Fingerprint -> entry, to find collisions.
    int capacity = Integer.highestOneBit(Math.max(4, count * 3 / 2)) * 2;
    int mask = capacity - 1;
    int[] slots = new int[capacity];
    Map<String, Integer> colliding = new HashMap<>();
    int entries = 0;
    for (int i = 0; i < n; i++) {
      if (!inRecords[i]) {
        continue;
      }
      long key = fingerprint.fromFull(nodes.hash(i));
      int value = reasonCode[i] == 0 ? customer[i] : -reasonCode[i];
      long h = key * 0x9E3779B97F4A7C15L;
      int s = (int) (h ^ (h >>> 32)) & mask;
      while (slots[s] != 0 && keys[slots[s] - 1] != key) {
        s = (s + 1) & mask;
      }
      if (slots[s] == 0) {
        keys[entries] = key;
        values[entries] = value;
        firstNode[entries] = i;
        slots[s] = ++entries;
      } else {
        int e = slots[s] - 1;
        if (values[e] != CustomerLookup.COLLIDING) {
          colliding.put(nodes.node(firstNode[e]), values[e]);
          values[e] = CustomerLookup.COLLIDING;
        }
        colliding.put(nodes.node(i), value);
      }
    }
    String[] types = new String[nodes.typeCount()];
    for (int t = 0; t < types.length; t++) {
      types[t] = nodes.typeName(t);
    }
    Arrays.sort(types, rules::compareTypes);
    return new CustomerLookup(fingerprint, types, keys, values, entries, colliding, idTable);
  }
}
