package dev.audiencesegmenter.features;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A bounded count of distinct strings (products, features): it keeps the {@link #CAP} smallest
 * 63-bit hashes of the values seen, never the values.
 *
 * <p>Up to {@code CAP} distinct values the count is exact (barring a 64-bit hash collision).
 * Past the cap it is the k-minimum-values estimate {@code (CAP - 1) / u}, {@code u} the
 * {@code CAP}-th smallest hash as a fraction of the hash range (relative standard error about
 * {@code 1 / sqrt(CAP - 2)}, 6% for 256). Because what is kept is always "the CAP smallest
 * hashes of everything seen" and "were there more", the result does not depend on the order
 * values are added or partial results merged.
 */
final class BoundedDistinct {
  static final int CAP = 256;

  private long[] hashes = new long[0]; // sorted ascending, distinct, at most CAP
  private boolean overflowed;

  void add(String value) {
    insert(hash(value));
  }

  void mergeFrom(BoundedDistinct other) {
    overflowed |= other.overflowed;
    for (long h : other.hashes) {
      insert(h);
    }
  }

  private void insert(long h) {
    int at = Arrays.binarySearch(hashes, h);
    if (at >= 0) {
      return;
    }
    int pos = -at - 1;
    if (hashes.length == CAP) {
      overflowed = true;
      if (pos == CAP) {
        return; // larger than every kept hash
      }
      System.arraycopy(hashes, pos, hashes, pos + 1, CAP - pos - 1);
      hashes[pos] = h;
      return;
    }
    long[] grown = new long[hashes.length + 1];
    System.arraycopy(hashes, 0, grown, 0, pos);
    grown[pos] = h;
    System.arraycopy(hashes, pos, grown, pos + 1, hashes.length - pos);
    hashes = grown;
  }

  /** True when more than {@link #CAP} distinct values were seen: {@link #count()} estimates. */
  boolean overflowed() {
    return overflowed;
  }

  /** Exact up to {@link #CAP}, estimated beyond (never less than CAP + 1). */
  long count() {
    if (!overflowed) {
      return hashes.length;
    }
    double u = (hashes[CAP - 1] + 1.0) / 0x1p63;
    return Math.max(CAP + 1L, Math.round((CAP - 1) / u));
  }

  /** FNV-1a over UTF-8, then the SplitMix64 finalizer for well-spread bits; 63 bits. */
  static long hash(String value) {
    long h = 0xcbf29ce484222325L;
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
    h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
    h = h ^ (h >>> 31);
    return h >>> 1;
  }

  void encode(DataOutputStream out) throws IOException {
    out.writeBoolean(overflowed);
    out.writeShort(hashes.length);
    for (long h : hashes) {
      out.writeLong(h);
    }
  }

  static BoundedDistinct decode(DataInputStream in) throws IOException {
    BoundedDistinct d = new BoundedDistinct();
    d.overflowed = in.readBoolean();
    d.hashes = new long[in.readShort()];
    for (int i = 0; i < d.hashes.length; i++) {
      d.hashes[i] = in.readLong();
    }
    return d;
  }
}
