package dev.audiencesegmenter.identity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Distinct customer ids by dense index, in ascending String order of the ids. An id of the
 * usual form, {@code "c-"} and 16 lower-case hex digits ({@link CustomerIds}), is held as the
 * 64-bit number those digits write; any other (a previous run's id from an older version, say)
 * as its String.
 */
final class CustomerIdTable {
  /** The hex digits' value for ids of the usual form; unused where {@link #others} has one. */
  final long[] hex;
  /** Ids not of the usual form, else null; null when there is none at all. */
  final String[] others;

  CustomerIdTable(long[] hex, String[] others) {
    this.hex = hex;
    this.others = others;
  }

  int size() {
    return hex.length;
  }

  String id(int index) {
    if (others != null && others[index] != null) {
      return others[index];
    }
    return format(hex[index]);
  }

  static String format(long hex) {
    char[] out = new char[18];
    out[0] = 'c';
    out[1] = '-';
    for (int i = 17; i >= 2; i--) {
      out[i] = Character.forDigit((int) (hex & 15), 16);
      hex >>>= 4;
    }
    return new String(out);
  }

  /** Whether {@code id} is {@code "c-"} and 16 lower-case hex digits. */
  static boolean isUsualForm(String id) {
    if (id.length() != 18 || id.charAt(0) != 'c' || id.charAt(1) != '-') {
      return false;
    }
    for (int i = 2; i < 18; i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  static long parse(String usualForm) {
    return Long.parseUnsignedLong(usualForm.substring(2), 16);
  }

  /** {@link CustomerIds#fromSmallestNode} as numbers, with one reused digest. */
  static final class Hasher {
    private final MessageDigest sha;

    Hasher() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required of every JVM", e);
      }
    }

    /** The id of the customer whose smallest node is {@code node} of {@code nodes}. */
    long ofNode(NodeTable nodes, int node) {
      sha.reset();
      nodes.digest(sha, node);
      return first8(sha.digest());
    }

    /** The id {@code CustomerIds.fromSmallestNode(text)}. */
    long ofText(String text) {
      sha.reset();
      return first8(sha.digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static long first8(byte[] h) {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return v;
    }
  }

  /** Collects ids, each distinct id once; {@link #build} sorts them and renumbers. */
  static final class Builder {
    private long[] keys = new long[1 << 10];
    private int[] values = new int[1 << 10];
    private boolean[] used = new boolean[1 << 10];
    private int mask = keys.length - 1;
    private long[] hexList = new long[1 << 10];
    private int count;
    private final Map<String, Integer> otherIds = new HashMap<>();
    /** Per provisional index: the other id, or null for a usual one. */
    private final Map<Integer, String> otherByIndex = new HashMap<>();

    int count() {
      return count;
    }

    /** The provisional index of a usual-form id. */
    int addHex(long id) {
      for (int s = mix(id) & mask; ; s = (s + 1) & mask) {
        if (!used[s]) {
          used[s] = true;
          keys[s] = id;
          values[s] = count;
          if (count == hexList.length) {
            hexList = Arrays.copyOf(hexList, count * 2);
          }
          hexList[count] = id;
          int index = count++;
          if (2 * count > keys.length) {
            grow();
          }
          return index;
        }
        if (keys[s] == id) {
          return values[s];
        }
      }
    }

    /** The provisional index of any id. */
    int add(String id) {
      if (isUsualForm(id)) {
        return addHex(parse(id));
      }
      Integer known = otherIds.get(id);
      if (known != null) {
        return known;
      }
      int index = count++;
      if (index == hexList.length) {
        hexList = Arrays.copyOf(hexList, index * 2);
      }
      otherIds.put(id, index);
      otherByIndex.put(index, id);
      return index;
    }

    private static int mix(long v) {
      v *= 0x9E3779B97F4A7C15L;
      return (int) (v ^ (v >>> 32));
    }

    private void grow() {
      long[] oldKeys = keys;
      int[] oldValues = values;
      boolean[] oldUsed = used;
      keys = new long[oldKeys.length * 2];
      values = new int[oldKeys.length * 2];
      used = new boolean[oldKeys.length * 2];
      mask = keys.length - 1;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldUsed[i]) {
          int s = mix(oldKeys[i]) & mask;
          while (used[s]) {
            s = (s + 1) & mask;
          }
          used[s] = true;
          keys[s] = oldKeys[i];
          values[s] = oldValues[i];
        }
      }
    }

    private int indexOfHex(long id) {
      for (int s = mix(id) & mask; ; s = (s + 1) & mask) {
        if (keys[s] == id && used[s]) {
          return values[s];
        }
      }
    }

    /**
     * The table in ascending id order, and in {@code renumber} (of length {@link #count()})
     * each provisional index's final one.
     */
    CustomerIdTable build(int[] renumber) {
      // Usual ids: "c-" + fixed-width lower-case hex sorts as the unsigned numbers.
      int hexCount = count - otherIds.size();
      long[] sortedHex = new long[hexCount];
      int k = 0;
      for (int i = 0; i < count; i++) {
        if (!otherByIndex.containsKey(i)) {
          sortedHex[k++] = hexList[i] ^ Long.MIN_VALUE;
        }
      }
      Arrays.sort(sortedHex);
      for (int i = 0; i < hexCount; i++) {
        sortedHex[i] ^= Long.MIN_VALUE;
      }
      String[] sortedOthers = otherIds.keySet().toArray(new String[0]);
      Arrays.sort(sortedOthers);
      long[] hex = new long[count];
      String[] others = sortedOthers.length == 0 ? null : new String[count];
      int h = 0;
      int o = 0;
      for (int out = 0; out < count; out++) {
        boolean takeHex;
        if (h == hexCount) {
          takeHex = false;
        } else if (o == sortedOthers.length) {
          takeHex = true;
        } else {
          takeHex = format(sortedHex[h]).compareTo(sortedOthers[o]) < 0;
        }
        if (takeHex) {
          hex[out] = sortedHex[h];
          renumber[indexOfHex(sortedHex[h])] = out;
          h++;
        } else {
          others[out] = sortedOthers[o];
          renumber[otherIds.get(sortedOthers[o])] = out;
          o++;
        }
      }
      return new CustomerIdTable(hex, others);
    }
  }
}
