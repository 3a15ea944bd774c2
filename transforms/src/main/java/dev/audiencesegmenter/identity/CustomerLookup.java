package dev.audiencesegmenter.identity;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Which customer a record belongs to, for workers: built by {@link CompactIdentityResolver}
 * on one machine and broadcast (a side input, coded by {@link CustomerLookupCoder}), then
 * queried once per record with the record's normalized identifiers ({@link #ownerOf}).
 *
 * <p>The answer is today's rule exactly ({@code LinkRecordFn}): a record belongs to the
 * customer of its owner, its highest-priority usable identifier (priority by {@link
 * IdentityRules#compareTypes}); a record none of whose identifiers is usable has no customer,
 * and its dead-letter reason names each refused identifier and why.
 *
 * <p>Compact: one 64-bit {@link NodeFingerprint} and one int per identifier (the dense index
 * of its customer, or the junk reason), customer ids as 64-bit numbers where they have the
 * usual form ({@link CustomerIdTable}). Two identifiers whose fingerprints collide (found when
 * the lookup is built) are kept by their full text in a small side table, so every answer is
 * exact. An identifier that was not given to the resolver is refused with an exception (unless
 * its fingerprint happens to equal a known one's: query only records that were resolved).
 */
public final class CustomerLookup {
  /** Junk reasons by code: value {@code -1 - code} in the table. */
  static final List<String> REASONS = List.of(FindJunkIdentifiers.PLACEHOLDER,
      FindJunkIdentifiers.BLOCKED, FindJunkIdentifiers.FAN_OUT, FindJunkIdentifiers.OVER_LIMIT);
  static final int EMPTY = Integer.MIN_VALUE;
  static final int COLLIDING = Integer.MIN_VALUE + 1;

  private final NodeFingerprint fingerprint;
  /** Identifier types, highest priority first. */
  private final String[] types;
  private final Map<String, Integer> typeRank = new HashMap<>();
  /**
   * Open addressing, one slot of 3 ints per identifier side by side (one memory access per
   * probe): the fingerprint's high and low halves, and the value: a customer index, {@code -1 -
   * reason code} for junk, {@link #COLLIDING}, or {@link #EMPTY}. At most 70% full.
   */
  private final int[] table;
  private final int capacity;
  private final int entries;
  /** Node text to value, for nodes whose fingerprint collides with another node's. */
  private final Map<String, Integer> colliding;
  private final CustomerIdTable ids;

  /** The owner of one record: its customer, or why it has none. */
  public record Owner(int customer, @Nullable String customerId, int junkIdentifiers,
      @Nullable String deadLetterReason) {
    /** Whether the record belongs to a customer (else it is a dead letter). */
    public boolean linked() {
      return customer >= 0;
    }
  }

  CustomerLookup(NodeFingerprint fingerprint, String[] types, long[] entryKeys,
      int[] entryValues, int entryCount, Map<String, Integer> colliding, CustomerIdTable ids) {
    this.fingerprint = fingerprint;
    this.types = types;
    for (int i = 0; i < types.length; i++) {
      typeRank.put(types[i], i);
    }
    this.capacity = (int) Math.min(Integer.MAX_VALUE / 3, Math.max(4L,
        (long) entryCount * 10 / 7 + 1));
    this.table = new int[3 * capacity];
    for (int s = 0; s < capacity; s++) {
      table[3 * s + 2] = EMPTY;
    }
    this.entries = entryCount;
    for (int i = 0; i < entryCount; i++) {
      long key = entryKeys[i];
      int s = slot(key);
      while (table[3 * s + 2] != EMPTY) {
        if (key(s) == key) {
          throw new IllegalArgumentException("fingerprint listed twice: " + key);
        }
        s = next(s);
      }
      table[3 * s] = (int) (key >>> 32);
      table[3 * s + 1] = (int) key;
      table[3 * s + 2] = entryValues[i];
    }
    this.colliding = colliding;
    this.ids = ids;
  }

  /** Slot in [0, capacity): the mixed key's high 32 bits scaled (Lemire's range reduction). */
  private int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (((h >>> 32) * capacity) >>> 32);
  }

  private int next(int s) {
    return s + 1 == capacity ? 0 : s + 1;
  }

  private long key(int s) {
    return ((long) table[3 * s] << 32) | (table[3 * s + 1] & 0xffffffffL);
  }

  /** The owner of a record with these normalized identifiers (type to value). */
  public Owner ownerOf(Map<String, String> identifiers) {
    int bestRank = Integer.MAX_VALUE;
    int customer = -1;
    int junk = 0;
    for (Map.Entry<String, String> id : identifiers.entrySet()) {
      int v = value(id.getKey(), id.getValue());
      if (v < 0) {
        junk++;
        continue;
      }
      int rank = typeRank.get(id.getKey());
      if (rank < bestRank) {
        bestRank = rank;
        customer = v;
      }
    }
    if (customer >= 0) {
      return new Owner(customer, ids.id(customer), junk, null);
    }
    TreeSet<String> why = new TreeSet<>();
    for (Map.Entry<String, String> id : identifiers.entrySet()) {
      why.add(id.getKey() + " (" + REASONS.get(-1 - value(id.getKey(), id.getValue())) + ")");
    }
    return new Owner(-1, null, junk,
        new LinkRecordFn.Link(new TreeSet<>(), null, why).deadLetterReason());
  }

  /** The customer index of one identifier, or -1 when it is junk. */
  public int customerOf(String type, String value) {
    int v = value(type, value);
    return v < 0 ? -1 : v;
  }

  /** The junk reason of one identifier ({@code placeholder}, ...), or null when usable. */
  public @Nullable String junkReason(String type, String value) {
    int v = value(type, value);
    return v < 0 ? REASONS.get(-1 - v) : null;
  }

  private int value(String type, String value) {
    long key = fingerprint.of(type, value);
    for (int s = slot(key); ; s = next(s)) {
      int v = table[3 * s + 2];
      if (v == EMPTY) {
        throw unknown(type);
      }
      if (key(s) == key) {
        if (v != COLLIDING) {
          return v;
        }
        Integer exact = colliding.get(IdentifierNode.of(type, value));
        if (exact == null) {
          throw unknown(type);
        }
        return exact;
      }
    }
  }

  private static IllegalArgumentException unknown(String type) {
    // The value is personal data: not in the message.
    return new IllegalArgumentException("an identifier of type '" + type
        + "' was not given to the resolver that built this lookup");
  }

  /** The id of the customer with dense index {@code index}. */
  public String customerId(int index) {
    return ids.id(index);
  }

  /** Number of customers; their indexes are 0 to this, in ascending order of their ids. */
  public int customerCount() {
    return ids.size();
  }

  /** Number of identifiers (usable or junk) known. */
  public int identifierCount() {
    return entries + colliding.size() - collidingFingerprints();
  }

  /** Identifiers kept by their full text because their fingerprint collides. */
  public int collidingIdentifiers() {
    return colliding.size();
  }

  private int collidingFingerprints() {
    int n = 0;
    for (int s = 0; s < capacity; s++) {
      if (table[3 * s + 2] == COLLIDING) {
        n++;
      }
    }
    return n;
  }

  NodeFingerprint fingerprint() {
    return fingerprint;
  }

  String[] types() {
    return types;
  }

  CustomerIdTable ids() {
    return ids;
  }

  Map<String, Integer> colliding() {
    return colliding;
  }

  int entryCount() {
    return entries;
  }

  /** The entries (fingerprint, value) in ascending fingerprint order: the canonical form. */
  void sortedEntries(long[] outKeys, int[] outValues) {
    int n = 0;
    for (int s = 0; s < capacity; s++) {
      if (table[3 * s + 2] != EMPTY) {
        outKeys[n++] = key(s);
      }
    }
    Arrays.sort(outKeys, 0, n);
    for (int i = 0; i < n; i++) {
      long key = outKeys[i];
      int s = slot(key);
      while (key(s) != key || table[3 * s + 2] == EMPTY) {
        s = next(s);
      }
      outValues[i] = table[3 * s + 2];
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CustomerLookup other)) {
      return false;
    }
    if (!fingerprint.equals(other.fingerprint) || !Arrays.equals(types, other.types)
        || entries != other.entries || !colliding.equals(other.colliding)
        || !Arrays.equals(ids.hex, other.ids.hex) || !Arrays.equals(ids.others, other.ids.others)) {
      return false;
    }
    long[] k1 = new long[entries];
    int[] v1 = new int[entries];
    long[] k2 = new long[entries];
    int[] v2 = new int[entries];
    sortedEntries(k1, v1);
    other.sortedEntries(k2, v2);
    return Arrays.equals(k1, k2) && Arrays.equals(v1, v2);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fingerprint, Arrays.hashCode(types), entries, ids.size());
  }

  @Override
  public String toString() {
    return "CustomerLookup{identifiers=" + identifierCount() + ", customers=" + ids.size()
        + ", colliding=" + colliding.size() + ", " + fingerprint + "}";
  }
}
