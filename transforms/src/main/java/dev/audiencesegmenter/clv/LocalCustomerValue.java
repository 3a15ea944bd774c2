package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CustomerEvent;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.values.KV;

/**
 * {@link PredictCustomerValue} in one thread, in memory, without Beam: the same purchase
 * summaries, histogram, fits and predictions, called as the same functions. For the plain-Java
 * baseline of the benchmark.
 */
public final class LocalCustomerValue {
  private final Map<String, CustomerValue> values;
  private final ValueModels models;

  private LocalCustomerValue(Map<String, CustomerValue> values, ValueModels models) {
    this.values = values;
    this.models = models;
  }

  /** One prediction per customer with a purchase before asOf. */
  public Map<String, CustomerValue> values() {
    return values;
  }

  /** The parameters and diagnostics of both models, as {@code model/clv.json} holds them. */
  public String modelJson() {
    return models.toJson();
  }

  public static LocalCustomerValue predict(PredictCustomerValue config,
      Iterable<KV<String, CustomerEvent>> events) {
    long asOf = config.getAsOf().getMillis();
    long lastDay = Math.floorDiv(asOf - 1, SummarizePurchases.DAY_MILLIS);
    // customer -> epoch day -> revenue of that day's purchases
    Map<String, TreeMap<Long, BigDecimal>> days = new HashMap<>();
    for (KV<String, CustomerEvent> e : events) {
      BigDecimal revenue = SummarizePurchases.purchaseRevenue(e.getValue(), Long.MIN_VALUE, asOf);
      if (revenue != null) {
        long day = Math.floorDiv(e.getValue().getEventTime().getMillis(),
            SummarizePurchases.DAY_MILLIS);
        days.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).merge(day, revenue,
            BigDecimal::add);
      }
    }
    SummarizePurchases.RepeatStatsFn stats = new SummarizePurchases.RepeatStatsFn();
    Map<String, PurchaseSummary> summaries = new HashMap<>(days.size() * 2);
    SummaryHistogram histogram = new SummaryHistogram();
    days.forEach((customer, revenues) -> {
      SummarizePurchases.RepeatStats s = stats.createAccumulator();
      revenues.forEach((day, revenue) -> stats.addInput(s, KV.of(day, revenue)));
      PurchaseSummary summary = SummarizePurchases.summary(s, lastDay);
      summaries.put(customer, summary);
      FitValueModels.add(histogram, summary);
    });
    ValueModels models = FitValueModels.fit(histogram, config.getAnnualDiscountRate(),
        config.getMargin(), config.getPenalizer());
    Map<String, CustomerValue> values = new HashMap<>(summaries.size() * 2);
    summaries.forEach((customer, summary) -> values.put(customer, models.predict(summary)));
    return new LocalCustomerValue(values, models);
  }
}
