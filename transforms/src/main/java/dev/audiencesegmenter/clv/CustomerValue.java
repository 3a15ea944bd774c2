package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.math.BigDecimal;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One customer's value statistics and predictions; see {@link PredictCustomerValue}.
 * {@code model} names the purchase model behind P(alive) and the expected purchases, as the
 * {@code churn_model} column shows it: {@code bg_nbd}, {@code pareto_nbd}, or either with
 * covariates ({@code bg_nbd_covariates}, {@code pareto_nbd_covariates}).
 */
public record CustomerValue(long repeatPurchases, double recencyWeeks, double ageWeeks,
    @Nullable BigDecimal meanRepeatValue, double pAlive, double expectedPurchases90d,
    double expectedPurchases365d, double expectedAvgOrderValue, double predictedClv365d,
    String model) implements Serializable {

  public double churnRisk() {
    return 1 - pAlive;
  }

  /** The churn_risk_band of a churn risk: low below 0.3, medium below 0.7, high from 0.7. */
  public static String band(double churnRisk) {
    return churnRisk < 0.3 ? "low" : churnRisk < 0.7 ? "medium" : "high";
  }
}
