package dev.audiencesegmenter.clusters;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Element-wise sums of vectors as exact decimals, so that the result does not depend on the
 * order a runner adds and merges them (double sums do, in the last bits, which can move a
 * customer to another cluster on another runner). Element 0 is the count by convention of the
 * callers.
 */
public final class ExactSums extends Combine.BinaryCombineFn<List<BigDecimal>> {
  @Override
  public List<BigDecimal> apply(List<BigDecimal> left, List<BigDecimal> right) {
    List<BigDecimal> out = new ArrayList<>(left.size());
    for (int i = 0; i < left.size(); i++) {
      out.add(left.get(i).add(right.get(i)));
    }
    return out;
  }

  public static List<BigDecimal> of(double... values) {
    List<BigDecimal> out = new ArrayList<>(values.length);
    for (double v : values) {
      out.add(new BigDecimal(v));
    }
    return out;
  }
}
