package dev.audiencesegmenter.model;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.util.VarInt;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The binary layout shared by the project's hand-written coders: a record is built in a
 * reusable buffer and written as one length-prefixed block, so a coder makes one write and one
 * read call whatever stream a runner hands it (Flink's streams are slow per byte). Varints for
 * integers, UTF-8 for strings (with an ASCII fast path), decimals as scale and unscaled value.
 *
 * <p>Not thread-safe: each coder call uses the buffer of its own thread.
 */
public final class CompactBytes {
  private static final ThreadLocal<CompactBytes> BUFFERS =
      ThreadLocal.withInitial(CompactBytes::new);
  private static final int NULL_LENGTH = 0;

  private byte[] bytes;
  private int length;
  private int position;
  private boolean inUse;

  private CompactBytes() {
    this.bytes = new byte[256];
  }

  /**
   * An empty buffer of the calling thread, to write one record into; {@link #writeTo} releases
   * it. A coder that writes a record inside another's gets a fresh buffer.
   */
  public static CompactBytes writer() {
    CompactBytes b = BUFFERS.get();
    if (b.inUse) {
      b = new CompactBytes();
    }
    b.inUse = true;
    b.length = 0;
    if (b.bytes.length > 1 << 20) {
      b.bytes = new byte[256]; // do not keep one huge record's buffer forever
    }
    return b;
  }

  /** Reads one block written by {@link #writeTo} from {@code in}. */
  public static CompactBytes readFrom(InputStream in) throws IOException {
    int n = VarInt.decodeInt(in);
    CompactBytes b = new CompactBytes(n);
    int read = 0;
    while (read < n) {
      int r = in.read(b.bytes, read, n - read);
      if (r < 0) {
        throw new EOFException("record cut short: " + read + " of " + n + " bytes");
      }
      read += r;
    }
    b.length = n;
    return b;
  }

  private CompactBytes(int size) {
    this.bytes = new byte[size];
  }

  /** Writes the buffer as one block, its length then its bytes, and releases it. */
  public void writeTo(OutputStream out) throws IOException {
    try {
      VarInt.encode(length, out);
      out.write(bytes, 0, length);
    } finally {
      inUse = false;
    }
  }

  private void ensure(int more) {
    if (length + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
    }
  }

  public CompactBytes putByte(int b) {
    ensure(1);
    bytes[length++] = (byte) b;
    return this;
  }

  public CompactBytes putBoolean(boolean b) {
    return putByte(b ? 1 : 0);
  }

  /** Unsigned varint of a value that may be negative: zig-zag. */
  public CompactBytes putLong(long v) {
    return putVarLong((v << 1) ^ (v >> 63));
  }

  public CompactBytes putInt(int v) {
    return putLong(v);
  }

  private CompactBytes putVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      bytes[length++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    bytes[length++] = (byte) v;
    return this;
  }

  public CompactBytes putDouble(double d) {
    long bits = Double.doubleToRawLongBits(d);
    ensure(8);
    for (int i = 0; i < 8; i++) {
      bytes[length++] = (byte) (bits >>> (8 * i));
    }
    return this;
  }

  /** A string or null: its UTF-8 length plus one (0 for null), then the bytes. */
  public CompactBytes putString(@Nullable String s) {
    if (s == null) {
      return putVarLong(NULL_LENGTH);
    }
    // The JDK's encoder copies ASCII text with vectorized checks.
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    putVarLong(utf8.length + 1L);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, bytes, length, utf8.length);
    length += utf8.length;
    return this;
  }

  /** A decimal or null: a presence byte, the scale, then the unscaled value. */
  public CompactBytes putDecimal(@Nullable BigDecimal d) {
    if (d == null) {
      return putByte(0);
    }
    BigInteger unscaled = d.unscaledValue();
    if (unscaled.bitLength() < 63) {
      putByte(1).putInt(d.scale()).putLong(unscaled.longValueExact());
    } else {
      byte[] big = unscaled.toByteArray();
      putByte(2).putInt(d.scale()).putVarLong(big.length);
      ensure(big.length);
      System.arraycopy(big, 0, bytes, length, big.length);
      length += big.length;
    }
    return this;
  }

  /** A map in key order (so equal maps give equal bytes), its size first. */
  public CompactBytes putStringMap(Map<String, String> map) {
    if (!(map instanceof java.util.SortedMap) && map.size() > 1) {
      map = new TreeMap<>(map);
    }
    putVarLong(map.size());
    for (Map.Entry<String, String> e : map.entrySet()) {
      putString(e.getKey());
      putString(e.getValue());
    }
    return this;
  }

  public CompactBytes putBooleanMap(Map<String, Boolean> map) {
    if (!(map instanceof java.util.SortedMap) && map.size() > 1) {
      map = new TreeMap<>(map);
    }
    putVarLong(map.size());
    for (Map.Entry<String, Boolean> e : map.entrySet()) {
      putString(e.getKey());
      putByte(e.getValue() == null ? 2 : e.getValue() ? 1 : 0);
    }
    return this;
  }

  // ---- reading ----

  private byte next() throws IOException {
    if (position >= length) {
      throw new EOFException("record ends early at byte " + position);
    }
    return bytes[position++];
  }

  public int getByte() throws IOException {
    return next();
  }

  public boolean getBoolean() throws IOException {
    return next() != 0;
  }

  private long getVarLong() throws IOException {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = next();
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    throw new IOException("varint longer than 10 bytes");
  }

  public long getLong() throws IOException {
    long v = getVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  public int getInt() throws IOException {
    return Math.toIntExact(getLong());
  }

  public double getDouble() throws IOException {
    if (position + 8 > length) {
      throw new EOFException("record ends early at byte " + position);
    }
    long bits = 0;
    for (int i = 0; i < 8; i++) {
      bits |= (bytes[position++] & 0xFFL) << (8 * i);
    }
    return Double.longBitsToDouble(bits);
  }

  public @Nullable String getString() throws IOException {
    long n = getVarLong();
    if (n == NULL_LENGTH) {
      return null;
    }
    int len = Math.toIntExact(n - 1);
    if (position + len > length) {
      throw new EOFException("string of " + len + " bytes past the record's end");
    }
    int start = position;
    position += len;
    // The JDK's decoder has a vectorized path for ASCII.
    return new String(bytes, start, len, StandardCharsets.UTF_8);
  }

  public @Nullable BigDecimal getDecimal() throws IOException {
    int kind = next();
    if (kind == 0) {
      return null;
    }
    int scale = getInt();
    if (kind == 1) {
      return BigDecimal.valueOf(getLong(), scale);
    }
    int n = Math.toIntExact(getVarLong());
    if (position + n > length) {
      throw new EOFException("decimal of " + n + " bytes past the record's end");
    }
    byte[] big = Arrays.copyOfRange(bytes, position, position + n);
    position += n;
    return new BigDecimal(new BigInteger(big), scale);
  }

  /** A map written by {@link #putStringMap}, as a sorted map. */
  public TreeMap<String, String> getStringMap() throws IOException {
    int n = Math.toIntExact(getVarLong());
    TreeMap<String, String> map = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      map.put(getString(), getString());
    }
    return map;
  }

  public TreeMap<String, Boolean> getBooleanMap() throws IOException {
    int n = Math.toIntExact(getVarLong());
    TreeMap<String, Boolean> map = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      String key = getString();
      int v = next();
      map.put(key, v == 2 ? null : v == 1);
    }
    return map;
  }

  /** Fails unless every byte of the block was read: a layout mismatch shows at once. */
  public void checkFullyRead() throws IOException {
    if (position != length) {
      throw new IOException("record has " + (length - position) + " unread bytes");
    }
  }
}
