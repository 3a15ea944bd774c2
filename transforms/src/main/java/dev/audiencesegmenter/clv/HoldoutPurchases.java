package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CompactBytes;
import dev.audiencesegmenter.model.CustomerEvent;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What one customer bought in a holdout period, gathered while the customer's events are folded
 * (in any order): the distinct UTC days with a purchase, the days the purchase models count,
 * each in the week of the period where its first purchase fell, and the revenue of every
 * purchase.
 */
public final class HoldoutPurchases {
  static final long WEEK_MILLIS = 7 * SummarizePurchases.DAY_MILLIS;

  private final long start;
  private final Map<Long, Long> firstPurchaseByDay = new HashMap<>();
  private BigDecimal spend = BigDecimal.ZERO;

  /** For a period that starts at {@code startMillis} (the calibration end). */
  public HoldoutPurchases(long startMillis) {
    this.start = startMillis;
  }

  /** A purchase in the period; one without revenue counts with 0. */
  public void add(CustomerEvent purchase) {
    add(purchase.getEventTime().getMillis(),
        purchase.getRevenue() == null ? BigDecimal.ZERO : purchase.getRevenue());
  }

  /** A purchase in the period, with its revenue. */
  public void add(long timeMillis, BigDecimal revenue) {
    if (timeMillis < start) {
      throw new IllegalArgumentException("purchase at " + timeMillis
          + " ms is before the period's start at " + start + " ms");
    }
    firstPurchaseByDay.merge(Math.floorDiv(timeMillis, SummarizePurchases.DAY_MILLIS),
        timeMillis, Math::min);
    spend = spend.add(revenue);
  }

  public Outcome outcome() {
    long[] byWeek = new long[0];
    for (long first : firstPurchaseByDay.values()) {
      int week = Math.toIntExact((first - start) / WEEK_MILLIS);
      if (week >= byWeek.length) {
        byWeek = Arrays.copyOf(byWeek, week + 1);
      }
      byWeek[week]++;
    }
    return new Outcome(byWeek, spend);
  }

  /**
   * Purchase days per week of the period (index 0 is its first week; the array ends with the
   * last week that has one) and the revenue of the period's purchases.
   */
  public record Outcome(long[] daysByWeek, BigDecimal spend) {
    /** No purchase in the period (or no period). */
    public static final Outcome NONE = new Outcome(new long[0], BigDecimal.ZERO);

    /** Distinct purchase days in the period. */
    public long days() {
      return Arrays.stream(daysByWeek).sum();
    }

    /** Purchase days in the period's first {@code weeks} weeks. */
    long daysInFirstWeeks(int weeks) {
      long days = 0;
      for (int w = 0; w < Math.min(weeks, daysByWeek.length); w++) {
        days += daysByWeek[w];
      }
      return days;
    }

    public void writeTo(CompactBytes b) {
      b.putInt(daysByWeek.length);
      for (long days : daysByWeek) {
        b.putLong(days);
      }
      b.putDecimal(spend);
    }

    public static Outcome readFrom(CompactBytes b) throws IOException {
      long[] byWeek = new long[b.getInt()];
      for (int w = 0; w < byWeek.length; w++) {
        byWeek[w] = b.getLong();
      }
      return new Outcome(byWeek, b.getDecimal());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Outcome other && Arrays.equals(daysByWeek, other.daysByWeek)
          && spend.compareTo(other.spend) == 0;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(daysByWeek);
    }

    @Override
    public String toString() {
      return "Outcome" + Arrays.toString(daysByWeek) + " spend " + spend;
    }
  }
}
