package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CustomerEvent;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.values.KV;

/**
 * {@link PredictCustomerValue} in one thread, in memory, without Beam, with the functions the
 * batch flow runs: each customer's {@link CustomerPurchases}, the histogram and fit of {@link
 * ValueModelFit}, and {@link ValueModels#predict}. For the plain-Java baseline of the benchmark.
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
    Map<String, CustomerPurchases> purchases = new HashMap<>();
    for (KV<String, CustomerEvent> e : events) {
      purchases.computeIfAbsent(e.getKey(), k -> new CustomerPurchases(config.getAsOf()))
          .add(e.getValue());
    }
    Map<String, PurchaseSummary> summaries = new HashMap<>(purchases.size() * 2);
    SummaryHistogram histogram = new SummaryHistogram();
    purchases.forEach((customer, p) -> {
      PurchaseSummary summary = p.summary();
      if (summary != null) {
        summaries.put(customer, summary);
        FitValueModels.add(histogram, summary);
      }
    });
    ValueModels models = ValueModelFit.of(config).fit(histogram);
    Map<String, CustomerValue> values = new HashMap<>(summaries.size() * 2);
    summaries.forEach((customer, summary) -> values.put(customer, models.predict(summary)));
    return new LocalCustomerValue(values, models);
  }
}
