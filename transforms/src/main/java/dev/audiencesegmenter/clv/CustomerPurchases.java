package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CustomerEvent;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One customer's purchases before asOf, folded one event at a time in any order into revenue
 * per UTC day, and the {@link PurchaseSummary} the value models read: what {@link
 * SummarizePurchases} computes, for a flow that already holds each customer's events together.
 * Memory is one entry per purchase day.
 */
public final class CustomerPurchases {
  private final long asOf;
  private final long lastDay;
  private final TreeMap<Long, BigDecimal> revenuePerDay = new TreeMap<>();

  /** Purchases before {@code asOf} (exclusive); T runs to the last day before it. */
  public CustomerPurchases(Instant asOf) {
    this.asOf = asOf.getMillis();
    this.lastDay = Math.floorDiv(this.asOf - 1, SummarizePurchases.DAY_MILLIS);
  }

  /** Adds the event when it is a purchase before asOf; anything else is ignored. */
  public void add(CustomerEvent event) {
    BigDecimal revenue = SummarizePurchases.purchaseRevenue(event, Long.MIN_VALUE, asOf);
    if (revenue != null) {
      revenuePerDay.merge(Math.floorDiv(event.getEventTime().getMillis(),
          SummarizePurchases.DAY_MILLIS), revenue, BigDecimal::add);
    }
  }

  /** The model's statistics; null when there was no purchase before asOf. */
  public @Nullable PurchaseSummary summary() {
    if (revenuePerDay.isEmpty()) {
      return null;
    }
    SummarizePurchases.RepeatStatsFn fn = new SummarizePurchases.RepeatStatsFn();
    SummarizePurchases.RepeatStats stats = fn.createAccumulator();
    for (Map.Entry<Long, BigDecimal> day : revenuePerDay.entrySet()) {
      fn.addInput(stats, org.apache.beam.sdk.values.KV.of(day.getKey(), day.getValue()));
    }
    return SummarizePurchases.summary(stats, lastDay);
  }
}
