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

  /** As SegmentCustomers chooses the purchase model on the backtest before asOf. */
  private static ValueModels chosenOnBacktest(PredictCustomerValue config,
      Iterable<KV<String, CustomerEvent>> events, SummaryHistogram histogram) {
    org.joda.time.Instant asOf = config.getAsOf();
    org.joda.time.Instant from = asOf.minus(config.getPurchaseModelBacktest());
    Map<String, CustomerPurchases> calibration = new HashMap<>();
    Map<String, HoldoutPurchases> period = new HashMap<>();
    for (KV<String, CustomerEvent> e : events) {
      calibration.computeIfAbsent(e.getKey(), k -> new CustomerPurchases(from)).add(e.getValue());
      long t = e.getValue().getEventTime().getMillis();
      if (dev.audiencesegmenter.model.EventTypes.PURCHASE.equals(e.getValue().getEventType())
          && t >= from.getMillis() && t < asOf.getMillis()) {
        period.computeIfAbsent(e.getKey(), k -> new HoldoutPurchases(from.getMillis()))
            .add(e.getValue());
      }
    }
    SummaryHistogram backtest = new SummaryHistogram();
    calibration.values().forEach(p -> {
      if (p.summary() != null) {
        FitValueModels.add(backtest, p.summary());
      }
    });
    HoldoutModels models = HoldoutModels.tryFit(backtest,
        ValueModelFit.of(ValidateHoldout.modelSettings(from)));
    double weeks = ValidateHoldout.holdoutWeeks(from, asOf);
    HoldoutReport report = new HoldoutReport();
    calibration.forEach((customer, p) -> {
      if (p.summary() != null) {
        HoldoutPurchases bought = period.get(customer);
        report.merge(ValidateHoldout.compare(p.summary(), bought == null
            ? HoldoutPurchases.Outcome.NONE : bought.outcome(), models, weeks));
      }
    });
    PurchaseModel chosen = Double.isNaN(report.meanAbsoluteError())
        ? config.getPurchaseModel() : report.chosenModel();
    return ValueModelFit.of(config.withPurchaseModel(chosen)).fit(histogram)
        .withBacktest(report.toJson(from.toString(), asOf.toString()));
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
    ValueModels models = config.getPurchaseModelBacktest() == null
        ? ValueModelFit.of(config).fit(histogram)
        : chosenOnBacktest(config, events, histogram);
    Map<String, CustomerValue> values = new HashMap<>(summaries.size() * 2);
    summaries.forEach((customer, summary) -> values.put(customer, models.predict(summary)));
    return new LocalCustomerValue(values, models);
  }
}
