package dev.audiencesegmenter.clusters;

import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;

/**
 * A customer's values of some numeric feature columns, and their standardized form given the
 * columns' exact moments ({@link #moments}: count, sum and sum of squares of the non-null
 * values, per column, summed with {@link ExactSums}).
 */
public final class FeatureVectors implements Serializable {
  static final MathContext DIGITS = MathContext.DECIMAL64;

  private final List<String> columns;
  private final SerializableFunction<CustomerFeatures, Row> toRow;

  public FeatureVectors(List<String> columns,
      SerializableFunction<CustomerFeatures, Row> toRow) {
    this.columns = columns;
    this.toRow = toRow;
  }

  /** The columns' values, NaN for a null. */
  public double[] raw(CustomerFeatures f) {
    Row row = toRow.apply(f);
    double[] out = new double[columns.size()];
    for (int d = 0; d < out.length; d++) {
      Object v = row.getValue(columns.get(d));
      out[d] = v == null ? Double.NaN
          : v instanceof BigDecimal b ? b.doubleValue() : ((Number) v).doubleValue();
    }
    return out;
  }

  /** z-scores against {@code moments} (count, sum, sum of squares per column); null: 0. */
  public static double[] standardize(double[] raw, List<BigDecimal> moments) {
    double[] z = new double[raw.length];
    for (int d = 0; d < raw.length; d++) {
      if (Double.isNaN(raw[d])) {
        continue; // a missing value sits at the mean
      }
      double[] ms = meanAndStd(moments, d);
      z[d] = (raw[d] - ms[0]) / ms[1];
    }
    return z;
  }

  /** Population mean and standard deviation of column d (std 1 for a constant column). */
  public static double[] meanAndStd(List<BigDecimal> moments, int d) {
    BigDecimal n = moments.get(3 * d);
    if (n.signum() == 0) {
      return new double[] {0, 1};
    }
    BigDecimal mean = moments.get(3 * d + 1).divide(n, DIGITS);
    BigDecimal variance = moments.get(3 * d + 2).divide(n, DIGITS).subtract(mean.multiply(
        mean, DIGITS), DIGITS);
    double std = Math.sqrt(Math.max(0, variance.doubleValue()));
    return new double[] {mean.doubleValue(), std > 0 ? std : 1};
  }

  /** This customer's contribution to the moments: 1, x, x squared per present column. */
  public List<BigDecimal> moments(CustomerFeatures f) {
    double[] raw = raw(f);
    List<BigDecimal> m = new ArrayList<>(3 * raw.length);
    for (double v : raw) {
      boolean present = !Double.isNaN(v);
      BigDecimal x = present ? new BigDecimal(v) : BigDecimal.ZERO;
      m.add(present ? BigDecimal.ONE : BigDecimal.ZERO);
      m.add(x);
      m.add(x.multiply(x));
    }
    return m;
  }
}
