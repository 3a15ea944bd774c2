package dev.audiencesegmenter.identity;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * Codes a {@link CustomerLookup} as primitive arrays (no Java serialization): the entries in
 * ascending fingerprint order (so equal lookups code to equal bytes), the colliding nodes by
 * text, and the customer ids (usual ones as 8 bytes each). About 12 bytes per identifier and
 * 8 per customer. Decoding rebuilds the hash table.
 */
public final class CustomerLookupCoder extends AtomicCoder<CustomerLookup> {
  private static final long serialVersionUID = 1L;
  private static final int MAGIC = 0x434c4b31; // "CLK1"
  private static final int CHUNK = 1 << 13;
  private static final CustomerLookupCoder INSTANCE = new CustomerLookupCoder();

  public static CustomerLookupCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(CustomerLookup lookup, OutputStream outStream) throws IOException {
    if (lookup == null) {
      throw new CoderException("cannot encode a null CustomerLookup");
    }
    DataOutputStream out = new DataOutputStream(outStream);
    out.writeInt(MAGIC);
    out.writeInt(lookup.fingerprint().bits());
    String[] types = lookup.types();
    out.writeInt(types.length);
    for (String t : types) {
      writeString(out, t);
    }
    int n = lookup.entryCount();
    long[] keys = new long[n];
    int[] values = new int[n];
    lookup.sortedEntries(keys, values);
    out.writeInt(n);
    writeLongs(out, keys, n);
    writeInts(out, values, n);
    TreeMap<String, Integer> colliding = new TreeMap<>(lookup.colliding());
    out.writeInt(colliding.size());
    for (Map.Entry<String, Integer> e : colliding.entrySet()) {
      writeString(out, e.getKey());
      out.writeInt(e.getValue());
    }
    CustomerIdTable ids = lookup.ids();
    out.writeInt(ids.size());
    writeLongs(out, ids.hex, ids.size());
    int others = 0;
    if (ids.others != null) {
      for (String s : ids.others) {
        others += s == null ? 0 : 1;
      }
    }
    out.writeInt(others);
    if (ids.others != null) {
      for (int i = 0; i < ids.others.length; i++) {
        if (ids.others[i] != null) {
          out.writeInt(i);
          writeString(out, ids.others[i]);
        }
      }
    }
    out.flush();
  }

  @Override
  public CustomerLookup decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    if (in.readInt() != MAGIC) {
      throw new CoderException("not a CustomerLookup");
    }
    NodeFingerprint fingerprint = NodeFingerprint.truncated(in.readInt());
    String[] types = new String[in.readInt()];
    for (int i = 0; i < types.length; i++) {
      types[i] = readString(in);
    }
    int n = in.readInt();
    long[] keys = readLongs(in, n);
    int[] values = readInts(in, n);
    int collidingCount = in.readInt();
    Map<String, Integer> colliding = new HashMap<>();
    for (int i = 0; i < collidingCount; i++) {
      String node = readString(in);
      colliding.put(node, in.readInt());
    }
    int idCount = in.readInt();
    long[] hex = readLongs(in, idCount);
    int others = in.readInt();
    String[] otherIds = others == 0 ? null : new String[idCount];
    for (int i = 0; i < others; i++) {
      int index = in.readInt();
      otherIds[index] = readString(in);
    }
    return new CustomerLookup(fingerprint, types, keys, values, n, colliding,
        new CustomerIdTable(hex, otherIds));
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static void writeLongs(DataOutputStream out, long[] a, int n) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(CHUNK * 8);
    for (int i = 0; i < n; i += CHUNK) {
      int m = Math.min(CHUNK, n - i);
      buf.clear();
      buf.asLongBuffer().put(a, i, m);
      out.write(buf.array(), 0, m * 8);
    }
  }

  private static void writeInts(DataOutputStream out, int[] a, int n) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(CHUNK * 4);
    for (int i = 0; i < n; i += CHUNK) {
      int m = Math.min(CHUNK, n - i);
      buf.clear();
      buf.asIntBuffer().put(a, i, m);
      out.write(buf.array(), 0, m * 4);
    }
  }

  private static long[] readLongs(DataInputStream in, int n) throws IOException {
    long[] a = new long[n];
    ByteBuffer buf = ByteBuffer.allocate(CHUNK * 8);
    for (int i = 0; i < n; i += CHUNK) {
      int m = Math.min(CHUNK, n - i);
      in.readFully(buf.array(), 0, m * 8);
      buf.clear();
      buf.asLongBuffer().get(a, i, m);
    }
    return a;
  }

  private static int[] readInts(DataInputStream in, int n) throws IOException {
    int[] a = new int[n];
    ByteBuffer buf = ByteBuffer.allocate(CHUNK * 4);
    for (int i = 0; i < n; i += CHUNK) {
      int m = Math.min(CHUNK, n - i);
      in.readFully(buf.array(), 0, m * 4);
      buf.clear();
      buf.asIntBuffer().get(a, i, m);
    }
    return a;
  }
}
