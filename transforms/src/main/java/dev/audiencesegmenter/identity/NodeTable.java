package dev.audiencesegmenter.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Interned identifier nodes {@code type:value} as dense int ids, without a String object per
 * node: values live in one byte arena (one byte per char when every char is below U+0100,
 * else two bytes per UTF-16 char), types in a small table. Nodes compare in the order of their
 * text {@code type:value} as a Java String (UTF-16 code units), which is the order every rule
 * of identity resolution uses.
 */
final class NodeTable {
  private static final int ASCII = 0;
  private static final int LATIN1 = 1;
  private static final int UTF16 = 2;

  private final Map<String, Integer> typeIds = new HashMap<>();
  private final List<String> typeNames = new ArrayList<>();
  private final List<byte[]> typeUtf8 = new ArrayList<>();
  private long[] typePrefix = new long[8];
  private int[] typeTextRank = new int[0];

  private byte[] arena = new byte[1 << 12];
  private int arenaSize;
  /**
   * Per node, side by side (one cache line per node on the interning path): the value's start
   * in the arena, its length in chars shifted left 2 or'ed with the encoding, the type, and
   * the low 32 bits of the hash.
   */
  private int[] meta = new int[4 << 10];
  /** {@link NodeFingerprint#full()} of every node. */
  private long[] hash = new long[1 << 10];
  private int size;

  /** Open addressing: node id + 1, 0 for empty. */
  private int[] slots = new int[1 << 11];
  private int slotMask = slots.length - 1;

  int typeCount() {
    return typeNames.size();
  }

  String typeName(int t) {
    return typeNames.get(t);
  }

  /** The id of a type name, added when new. */
  int typeId(String name) {
    Integer id = typeIds.get(name);
    if (id != null) {
      return id;
    }
    int t = typeNames.size();
    if (name.indexOf(':') >= 0) {
      throw new IllegalArgumentException("identifier type '" + name + "' has a ':'; pass "
          + "normalized identifiers (NormalizeRecordFn.normalized drops such types)");
    }
    typeIds.put(name, t);
    typeNames.add(name);
    typeUtf8.add(name.getBytes(StandardCharsets.UTF_8));
    if (t == typePrefix.length) {
      typePrefix = Arrays.copyOf(typePrefix, t * 2);
    }
    typePrefix[t] = NodeFingerprint.prefix(name);
    return t;
  }

  /** The id of a known type name, or -1. */
  int findType(String name) {
    Integer id = typeIds.get(name);
    return id == null ? -1 : id;
  }

  int size() {
    return size;
  }

  int type(int node) {
    return meta[4 * node + 2];
  }

  private int start(int node) {
    return meta[4 * node];
  }

  private int lenEnc(int node) {
    return meta[4 * node + 1];
  }

  long hash(int node) {
    return hash[node];
  }

  int valueLength(int node) {
    return lenEnc(node) >>> 2;
  }

  char valueChar(int node, int i) {
    int enc = lenEnc(node) & 3;
    if (enc == UTF16) {
      int p = start(node) + 2 * i;
      return (char) (((arena[p] & 0xff) << 8) | (arena[p + 1] & 0xff));
    }
    return (char) (arena[start(node) + i] & 0xff);
  }

  /** The node of {@code (type id, value)}, added when new. */
  int intern(int t, String value) {
    long h = NodeFingerprint.finish(NodeFingerprint.chars(typePrefix[t], value));
    int found = find(t, value, h);
    if (found >= 0) {
      return found;
    }
    return add(t, value, h);
  }

  /** The node of {@code (type id, value)}, or -1. */
  int find(int t, String value) {
    return find(t, value, NodeFingerprint.finish(NodeFingerprint.chars(typePrefix[t], value)));
  }

  private int find(int t, String value, long h) {
    for (int s = slot(h); ; s = (s + 1) & slotMask) {
      int id = slots[s] - 1;
      if (id < 0) {
        return -1;
      }
      if (meta[4 * id + 3] == (int) h && meta[4 * id + 2] == t && valueEquals(id, value)) {
        return id;
      }
    }
  }

  private int slot(long h) {
    return (int) (h ^ (h >>> 29)) & slotMask;
  }

  private int add(int t, String value, long h) {
    int n = size;
    if (n == hash.length) {
      int cap = n + (n >> 1);
      meta = Arrays.copyOf(meta, 4 * cap);
      hash = Arrays.copyOf(hash, cap);
    }
    int len = value.length();
    int enc = ASCII;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      if (c >= 0x100) {
        enc = UTF16;
        break;
      }
      if (c >= 0x80) {
        enc = LATIN1;
      }
    }
    if (len > (Integer.MAX_VALUE >> 3)) {
      throw new IllegalArgumentException("identifier value too long: " + len + " chars");
    }
    int bytes = enc == UTF16 ? 2 * len : len;
    ensureArena(bytes);
    int p = arenaSize;
    if (enc == UTF16) {
      for (int i = 0; i < len; i++) {
        char c = value.charAt(i);
        arena[p + 2 * i] = (byte) (c >>> 8);
        arena[p + 2 * i + 1] = (byte) c;
      }
    } else {
      for (int i = 0; i < len; i++) {
        arena[p + i] = (byte) value.charAt(i);
      }
    }
    arenaSize += bytes;
    meta[4 * n] = p;
    meta[4 * n + 1] = (len << 2) | enc;
    meta[4 * n + 2] = t;
    meta[4 * n + 3] = (int) h;
    hash[n] = h;
    size = n + 1;
    if (2 * size > slots.length) {
      rehash();
    } else {
      insertSlot(n);
    }
    return n;
  }

  private void ensureArena(int bytes) {
    long need = (long) arenaSize + bytes;
    if (need > arena.length) {
      long cap = Math.max(need, arena.length + ((long) arena.length >> 1));
      if (cap > Integer.MAX_VALUE - 16) {
        if (need > Integer.MAX_VALUE - 16) {
          throw new IllegalStateException("identifier values exceed 2 GB");
        }
        cap = Integer.MAX_VALUE - 16;
      }
      arena = Arrays.copyOf(arena, (int) cap);
    }
  }

  private void insertSlot(int n) {
    int s = slot(hash[n]);
    while (slots[s] != 0) {
      s = (s + 1) & slotMask;
    }
    slots[s] = n + 1;
  }

  private void rehash() {
    slots = new int[slots.length * 2];
    slotMask = slots.length - 1;
    for (int n = 0; n < size; n++) {
      insertSlot(n);
    }
  }

  private boolean valueEquals(int node, String value) {
    int len = value.length();
    if (valueLength(node) != len) {
      return false;
    }
    int p = start(node);
    if ((lenEnc(node) & 3) == UTF16) {
      for (int i = 0; i < len; i++) {
        char c = (char) (((arena[p + 2 * i] & 0xff) << 8) | (arena[p + 2 * i + 1] & 0xff));
        if (c != value.charAt(i)) {
          return false;
        }
      }
      return true;
    }
    for (int i = 0; i < len; i++) {
      if ((arena[p + i] & 0xff) != value.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The value as a String. */
  String value(int node) {
    int len = valueLength(node);
    int p = start(node);
    if ((lenEnc(node) & 3) != UTF16) {
      return new String(arena, p, len, StandardCharsets.ISO_8859_1);
    }
    char[] chars = new char[len];
    for (int i = 0; i < len; i++) {
      chars[i] = (char) (((arena[p + 2 * i] & 0xff) << 8) | (arena[p + 2 * i + 1] & 0xff));
    }
    return new String(chars);
  }

  /** The node's text {@code type:value}. */
  String node(int node) {
    return IdentifierNode.of(typeNames.get(type(node)), value(node));
  }

  /** Whether the value holds a U+0000 char (the pipeline's separator; never in real data). */
  boolean valueHasNul(int node) {
    for (int i = 0, n = valueLength(node); i < n; i++) {
      if (valueChar(node, i) == 0) {
        return true;
      }
    }
    return false;
  }

  /** Fixes the order of the types seen so far; call before {@link #compare}. */
  void freezeTypeOrder() {
    int n = typeNames.size();
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // Nodes of two types compare as their prefixes "type:" do: a type has no ':', so neither
    // prefix is a prefix of the other and the values never matter.
    Arrays.sort(order, (a, b) -> (typeNames.get(a) + ":").compareTo(typeNames.get(b) + ":"));
    typeTextRank = new int[n];
    for (int i = 0; i < n; i++) {
      typeTextRank[order[i]] = i;
    }
  }

  /** {@code node(a).compareTo(node(b))}'s sign, without building the strings. */
  int compare(int a, int b) {
    if (a == b) {
      return 0;
    }
    int ta = type(a);
    int tb = type(b);
    if (ta != tb) {
      return Integer.compare(typeTextRank[ta], typeTextRank[tb]);
    }
    return compareValues(a, b);
  }

  /** {@code value(a).compareTo(value(b))}'s sign. */
  int compareValues(int a, int b) {
    int ea = lenEnc(a) & 3;
    int eb = lenEnc(b) & 3;
    int la = lenEnc(a) >>> 2;
    int lb = lenEnc(b) >>> 2;
    if (ea != UTF16 && eb != UTF16) {
      int c = Arrays.compareUnsigned(arena, start(a), start(a) + la, arena, start(b),
          start(b) + lb);
      return Integer.signum(c);
    }
    int n = Math.min(la, lb);
    for (int i = 0; i < n; i++) {
      int c = valueChar(a, i) - valueChar(b, i);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(la, lb);
  }

  /** Feeds the UTF-8 bytes of the node's text to {@code digest}. */
  void digest(MessageDigest digest, int node) {
    digest.update(typeUtf8.get(type(node)));
    digest.update((byte) ':');
    if ((lenEnc(node) & 3) == ASCII) {
      digest.update(arena, start(node), valueLength(node));
    } else {
      digest.update(value(node).getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Drops the interning table and the 64-bit hashes once neither {@link #find}, {@link
   * #intern} nor {@link #hash} will be called again: what remains is read-only text.
   */
  void dropIndex() {
    slots = null;
    hash = null;
  }
}
