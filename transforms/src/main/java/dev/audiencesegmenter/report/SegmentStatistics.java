package dev.audiencesegmenter.report;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The mergeable summary of a set of customers (a segment's members, or everyone): counts, and
 * per trait column the count, exact sum and exact sum of squares of its non-null values, the
 * counts per category value, and the CLV median. Sums are exact decimals, so the figures do not
 * depend on the order a runner adds and merges in; and everyone minus a segment is the rest of
 * the customers, exactly ({@link #minus}).
 */
public final class SegmentStatistics implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final MathContext MATH = MathContext.DECIMAL128;

  long members;
  long holdouts;
  /** Members for whom reachability could be decided, and those reachable. */
  long reachabilityKnown;
  long reachable;
  final long[] count;
  final BigDecimal[] sum;
  final BigDecimal[] sumOfSquares;
  final List<TreeMap<String, Long>> categories;
  final @Nullable ClvMedian clv;

  SegmentStatistics(int numbers, int categoryColumns) {
    this(numbers, categoryColumns, new ClvMedian());
  }

  /** The statistics {@link ReportCoders#statistics} read. */
  static SegmentStatistics decoded(long members, long holdouts, long reachabilityKnown,
      long reachable, long[] count, BigDecimal[] sum, BigDecimal[] sumOfSquares,
      List<TreeMap<String, Long>> categories, @Nullable ClvMedian clv) {
    SegmentStatistics s = new SegmentStatistics(count.length, categories.size(), clv);
    s.members = members;
    s.holdouts = holdouts;
    s.reachabilityKnown = reachabilityKnown;
    s.reachable = reachable;
    System.arraycopy(count, 0, s.count, 0, count.length);
    System.arraycopy(sum, 0, s.sum, 0, sum.length);
    System.arraycopy(sumOfSquares, 0, s.sumOfSquares, 0, sumOfSquares.length);
    for (int i = 0; i < categories.size(); i++) {
      s.categories.get(i).putAll(categories.get(i));
    }
    return s;
  }

  private SegmentStatistics(int numbers, int categoryColumns, @Nullable ClvMedian clv) {
    count = new long[numbers];
    sum = new BigDecimal[numbers];
    sumOfSquares = new BigDecimal[numbers];
    Arrays.fill(sum, BigDecimal.ZERO);
    Arrays.fill(sumOfSquares, BigDecimal.ZERO);
    categories = new ArrayList<>();
    for (int i = 0; i < categoryColumns; i++) {
      categories.add(new TreeMap<>());
    }
    this.clv = clv;
  }

  void add(MemberValues member, int clvIndex) {
    members++;
    if (member.holdout()) {
      holdouts++;
    }
    if (member.reachable() != null) {
      reachabilityKnown++;
      if (member.reachable()) {
        reachable++;
      }
    }
    BigDecimal[] numbers = member.numbers();
    for (int i = 0; i < numbers.length; i++) {
      if (numbers[i] != null) {
        count[i]++;
        sum[i] = sum[i].add(numbers[i]);
        sumOfSquares[i] = sumOfSquares[i].add(numbers[i].multiply(numbers[i]));
      }
    }
    String[] values = member.categories();
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        categories.get(i).merge(values[i], 1L, Long::sum);
      }
    }
    if (clvIndex >= 0 && numbers[clvIndex] != null) {
      clv.add(numbers[clvIndex].doubleValue());
    }
  }

  void merge(SegmentStatistics other) {
    members += other.members;
    holdouts += other.holdouts;
    reachabilityKnown += other.reachabilityKnown;
    reachable += other.reachable;
    for (int i = 0; i < count.length; i++) {
      count[i] += other.count[i];
      sum[i] = sum[i].add(other.sum[i]);
      sumOfSquares[i] = sumOfSquares[i].add(other.sumOfSquares[i]);
    }
    for (int i = 0; i < categories.size(); i++) {
      TreeMap<String, Long> mine = categories.get(i);
      other.categories.get(i).forEach((k, v) -> mine.merge(k, v, Long::sum));
    }
    clv.merge(other.clv);
  }

  /** These customers without {@code part} (a subset of them); has no CLV median. */
  SegmentStatistics minus(SegmentStatistics part) {
    SegmentStatistics rest = new SegmentStatistics(count.length, categories.size(), null);
    rest.members = members - part.members;
    rest.holdouts = holdouts - part.holdouts;
    for (int i = 0; i < count.length; i++) {
      rest.count[i] = count[i] - part.count[i];
      rest.sum[i] = sum[i].subtract(part.sum[i]);
      rest.sumOfSquares[i] = sumOfSquares[i].subtract(part.sumOfSquares[i]);
    }
    for (int i = 0; i < categories.size(); i++) {
      TreeMap<String, Long> out = rest.categories.get(i);
      out.putAll(categories.get(i));
      for (Map.Entry<String, Long> e : part.categories.get(i).entrySet()) {
        long left = out.getOrDefault(e.getKey(), 0L) - e.getValue();
        if (left == 0) {
          out.remove(e.getKey());
        } else {
          out.put(e.getKey(), left);
        }
      }
    }
    return rest;
  }

  /** Mean of column {@code i}'s non-null values; null without any. */
  @Nullable Double mean(int i) {
    return count[i] == 0 ? null : sum[i].divide(BigDecimal.valueOf(count[i]), MATH).doubleValue();
  }

  /** Sample variance (n - 1) of column {@code i}; null with fewer than two values. */
  @Nullable Double variance(int i) {
    if (count[i] < 2) {
      return null;
    }
    BigDecimal n = BigDecimal.valueOf(count[i]);
    // (Σx² − (Σx)²/n) / (n − 1), exact up to the last division.
    BigDecimal squares = sumOfSquares[i].subtract(sum[i].multiply(sum[i]).divide(n, MATH));
    return squares.divide(n.subtract(BigDecimal.ONE), MATH).max(BigDecimal.ZERO).doubleValue();
  }

  /** Share of these customers with {@code value} in category column {@code i}. */
  double share(int i, String value) {
    return members == 0 ? 0 : (double) categories.get(i).getOrDefault(value, 0L) / members;
  }

  /**
   * Standardized mean difference (Cohen's d with the average of the two sample variances):
   * {@code (m1 − m0) / sqrt((s1² + s0²) / 2)}; null when either side has fewer than two values
   * or both variances are 0.
   */
  static @Nullable Double standardizedMeanDifference(SegmentStatistics segment,
      SegmentStatistics rest, int i) {
    Double v1 = segment.variance(i);
    Double v0 = rest.variance(i);
    if (v1 == null || v0 == null || v1 + v0 == 0) {
      return null;
    }
    return (segment.mean(i) - rest.mean(i)) / Math.sqrt((v1 + v0) / 2);
  }

  /** The same for a share: {@code (p1 − p0) / sqrt((p1(1 − p1) + p0(1 − p0)) / 2)}. */
  static @Nullable Double standardizedShareDifference(double p1, double p0) {
    double pooled = (p1 * (1 - p1) + p0 * (1 - p0)) / 2;
    return pooled == 0 ? null : (p1 - p0) / Math.sqrt(pooled);
  }
}
