package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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
}
