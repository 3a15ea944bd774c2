package dev.audiencesegmenter.report;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.util.VarInt;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A mergeable median of predicted CLV. Up to {@link #EXACT_LIMIT} values it keeps them all and
 * the median is exact; above, every value goes into log-spaced buckets 1 % wide and the median
 * is the middle of its bucket, within 0.5 % of the exact one (values below 0.01 in absolute
 * value count as 0). Either way the result depends only on the multiset of values, never on
 * how a runner split and merged them, so every runner writes the same figure (Beam's
 * ApproximateQuantiles does not promise that).
 */
final class ClvMedian implements Serializable {
  private static final long serialVersionUID = 1L;

  static final int EXACT_LIMIT = 10_000;
  private static final double LOG_STEP = StrictMath.log(1.01);

  private @Nullable List<Double> values = new ArrayList<>();
  private final TreeMap<Integer, Long> buckets = new TreeMap<>();
  private long count;

  void add(double value) {
    count++;
    if (values != null) {
      values.add(value);
      if (values.size() > EXACT_LIMIT) {
        toBuckets();
      }
    } else {
      bucket(value);
    }
  }

  void merge(ClvMedian other) {
    if (values != null && other.values != null
        && values.size() + other.values.size() <= EXACT_LIMIT) {
      values.addAll(other.values);
      count += other.count;
      return;
    }
    toBuckets();
    if (other.values != null) {
      other.values.forEach(this::bucket);
    } else {
      other.buckets.forEach((k, n) -> buckets.merge(k, n, Long::sum));
    }
    count += other.count;
  }

  long count() {
    return count;
  }

  /** The median, or null without values. */
  @Nullable Double median() {
    if (count == 0) {
      return null;
    }
    if (values != null) {
      List<Double> sorted = new ArrayList<>(values);
      Collections.sort(sorted);
      int n = sorted.size();
      return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
    long middle = (count - 1) / 2;
    long seen = 0;
    for (Map.Entry<Integer, Long> e : buckets.entrySet()) {
      seen += e.getValue();
      if (seen > middle) {
        return centre(e.getKey());
      }
    }
    throw new IllegalStateException("bucket counts do not add up");
  }

  /** Its state: the exact values or the buckets, then the count. */
  void encode(DataOutputStream out) throws IOException {
    if (values != null) {
      out.writeBoolean(true);
      VarInt.encode(values.size(), out);
      for (double v : values) {
        out.writeDouble(v);
      }
    } else {
      out.writeBoolean(false);
      VarInt.encode(buckets.size(), out);
      for (Map.Entry<Integer, Long> e : buckets.entrySet()) {
        out.writeInt(e.getKey());
        VarInt.encode(e.getValue(), out);
      }
    }
    VarInt.encode(count, out);
  }

  static ClvMedian decode(DataInputStream in) throws IOException {
    ClvMedian median = new ClvMedian();
    if (in.readBoolean()) {
      int n = VarInt.decodeInt(in);
      for (int i = 0; i < n; i++) {
        median.values.add(in.readDouble());
      }
    } else {
      median.values = null;
      int n = VarInt.decodeInt(in);
      for (int i = 0; i < n; i++) {
        median.buckets.put(in.readInt(), VarInt.decodeLong(in));
      }
    }
    median.count = VarInt.decodeLong(in);
    return median;
  }

  private void toBuckets() {
    if (values != null) {
      List<Double> exact = values;
      values = null;
      exact.forEach(this::bucket);
    }
  }

  private void bucket(double value) {
    buckets.merge(key(value), 1L, Long::sum);
  }

  /** 0 for |v| < 0.01; otherwise ±(1 + index of the 1 % bucket above 0.01). */
  private static int key(double value) {
    double magnitude = Math.abs(value);
    if (!(magnitude >= 0.01)) {
      return 0;
    }
    int index = 1 + (int) Math.floor(StrictMath.log(magnitude / 0.01) / LOG_STEP);
    return value > 0 ? index : -index;
  }

  private static double centre(int key) {
    if (key == 0) {
      return 0;
    }
    int index = Math.abs(key) - 1;
    // Geometric centre of [0.01 * 1.01^i, 0.01 * 1.01^(i+1)).
    double centre = 0.01 * StrictMath.exp((index + 0.5) * LOG_STEP);
    return key > 0 ? centre : -centre;
  }
}
