package dev.audiencesegmenter.identity;

import java.io.Serializable;

/**
 * A 64-bit fingerprint of an identifier node, computed over the UTF-16 chars of its text
 * {@code type + ':' + value} without building that string: FNV-1a over the chars, then the
 * MurmurHash3 finalizer. Not cryptographic: {@link CustomerLookup} detects collisions when it
 * is built and stays exact for them.
 *
 * <p>{@link #truncated(int)} keeps only the low bits, which makes collisions common: only for
 * tests of the collision path.
 */
public final class NodeFingerprint implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final long OFFSET = 0xcbf29ce484222325L;
  private static final long PRIME = 0x100000001b3L;
  private static final NodeFingerprint FULL = new NodeFingerprint(64);

  private final int bits;
  private final long mask;

  private NodeFingerprint(int bits) {
    this.bits = bits;
    this.mask = bits == 64 ? -1L : (1L << bits) - 1;
  }

  /** All 64 bits: the default. */
  public static NodeFingerprint full() {
    return FULL;
  }

  /** Only the low {@code bits} (1 to 64) of {@link #full()}: collides on purpose, for tests. */
  public static NodeFingerprint truncated(int bits) {
    if (bits < 1 || bits > 64) {
      throw new IllegalArgumentException("bits must be in [1, 64], got " + bits);
    }
    return bits == 64 ? FULL : new NodeFingerprint(bits);
  }

  public int bits() {
    return bits;
  }

  /** The fingerprint of node {@code type:value}. */
  public long of(String type, String value) {
    return finish(chars(prefix(type), value)) & mask;
  }

  /** The fingerprint of a full 64-bit one ({@link #full()}'s value of the same node). */
  long fromFull(long full) {
    return full & mask;
  }

  /** The hash state after {@code type + ':'}. */
  static long prefix(String type) {
    return step(chars(OFFSET, type), ':');
  }

  static long chars(long h, String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      h = (h ^ s.charAt(i)) * PRIME;
    }
    return h;
  }

  static long step(long h, char c) {
    return (h ^ c) * PRIME;
  }

  /** MurmurHash3's fmix64. */
  static long finish(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeFingerprint f && f.bits == bits;
  }

  @Override
  public int hashCode() {
    return bits;
  }

  @Override
  public String toString() {
    return "NodeFingerprint{bits=" + bits + "}";
  }
}
