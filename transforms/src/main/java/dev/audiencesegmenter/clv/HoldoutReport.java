package dev.audiencesegmenter.clv;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * Predicted against actual repeat purchases in a holdout period, as users of the lifetimes
 * library check a fit: in total, per calibration frequency (x = 0, 1, ..., and "7+"), and the
 * mean absolute error per customer. Mergeable: built per customer and added up.
 */
public final class HoldoutReport implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Frequencies from this one up are reported together. */
  static final int TOP_BUCKET = 7;

  /** Sums per frequency bucket: customers, predicted, actual, absolute error. */
  private final TreeMap<Integer, double[]> buckets = new TreeMap<>();

  /** Adds one customer: calibration frequency x, predicted and actual holdout purchases. */
  public HoldoutReport add(long x, double predicted, long actual) {
    double[] b = buckets.computeIfAbsent((int) Math.min(x, TOP_BUCKET), k -> new double[4]);
    b[0] += 1;
    b[1] += predicted;
    b[2] += actual;
    b[3] += Math.abs(predicted - actual);
    return this;
  }

  public HoldoutReport merge(HoldoutReport other) {
    other.buckets.forEach((k, v) -> {
      double[] b = buckets.computeIfAbsent(k, key -> new double[4]);
      for (int i = 0; i < 4; i++) {
        b[i] += v[i];
      }
    });
    return this;
  }

  private double total(int i) {
    return buckets.values().stream().mapToDouble(b -> b[i]).sum();
  }

  public long customers() {
    return Math.round(total(0));
  }

  public double predictedTotal() {
    return total(1);
  }

  public long actualTotal() {
    return Math.round(total(2));
  }

  /** Mean over customers of |predicted - actual|. */
  public double meanAbsoluteError() {
    return total(3) / total(0);
  }

  /** Per frequency bucket: {customers, mean predicted, mean actual}. */
  public Map<String, double[]> byFrequency() {
    Map<String, double[]> out = new java.util.LinkedHashMap<>();
    buckets.forEach((k, b) -> out.put(k == TOP_BUCKET ? TOP_BUCKET + "+" : k.toString(),
        new double[] {b[0], b[1] / b[0], b[2] / b[0]}));
    return out;
  }

  public String toJson(String calibrationEnd, String holdoutEnd) {
    StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
        "{\"calibration_end\":\"%s\",\"holdout_end\":\"%s\",\"customers\":%d,"
            + "\"predicted_repeat_purchases\":%.2f,\"actual_repeat_purchases\":%d,"
            + "\"mean_absolute_error\":%.4f,\"by_frequency\":[", calibrationEnd, holdoutEnd,
        customers(), predictedTotal(), actualTotal(), meanAbsoluteError()));
    String sep = "";
    for (Map.Entry<String, double[]> e : byFrequency().entrySet()) {
      json.append(sep).append(String.format(Locale.ROOT,
          "{\"frequency\":\"%s\",\"customers\":%d,\"mean_predicted\":%.4f,"
              + "\"mean_actual\":%.4f}", e.getKey(), Math.round(e.getValue()[0]),
          e.getValue()[1], e.getValue()[2]));
      sep = ",";
    }
    return json.append("]}").toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof HoldoutReport r) || !r.buckets.keySet().equals(buckets.keySet())) {
      return false;
    }
    for (Map.Entry<Integer, double[]> e : buckets.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), r.buckets.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return buckets.keySet().hashCode();
  }

  /** The coder of reports: built per customer, so not Java serialization. */
  public static Coder<HoldoutReport> coder() {
    return ReportCoder.INSTANCE;
  }

  /** Bucket count, then each bucket's frequency and its four sums, in frequency order. */
  private static final class ReportCoder extends AtomicCoder<HoldoutReport> {
    static final ReportCoder INSTANCE = new ReportCoder();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();

    @Override
    public void encode(HoldoutReport report, OutputStream out) throws IOException {
      INT.encode(report.buckets.size(), out);
      for (Map.Entry<Integer, double[]> bucket : report.buckets.entrySet()) {
        INT.encode(bucket.getKey(), out);
        for (double sum : bucket.getValue()) {
          DOUBLE.encode(sum, out);
        }
      }
    }

    @Override
    public HoldoutReport decode(InputStream in) throws IOException {
      HoldoutReport report = new HoldoutReport();
      int size = INT.decode(in);
      for (int i = 0; i < size; i++) {
        double[] sums = new double[4];
        int frequency = INT.decode(in);
        for (int j = 0; j < sums.length; j++) {
          sums[j] = DOUBLE.decode(in);
        }
        report.buckets.put(frequency, sums);
      }
      return report;
    }
  }
}
