package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.math.BigDecimal;
import org.checkerframework.checker.nullness.qual.Nullable;

/** One customer's value statistics and predictions; see {@link PredictCustomerValue}. */
public record CustomerValue(long repeatPurchases, double recencyWeeks, double ageWeeks,
    @Nullable BigDecimal meanRepeatValue, double pAlive, double expectedPurchases90d,
    double expectedPurchases365d, double expectedAvgOrderValue, double predictedClv365d)
    implements Serializable {

  public double churnRisk() {
    return 1 - pAlive;
  }

  /** low below 0.3, medium below 0.7, high from 0.7. */
  public String churnRiskBand() {
    double risk = churnRisk();
    return risk < 0.3 ? "low" : risk < 0.7 ? "medium" : "high";
  }
}
