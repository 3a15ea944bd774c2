package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.clv.ShiftedBetaGeometricModel;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The churn columns of an active subscriber from the sBG model of renewals: churn_risk is the
 * probability of cancelling at the next renewal given the renewals made, {@code churn_model =
 * "sbg"}, and discounted_remaining_periods the model's DERL at {@code periodDiscountRate} per
 * period (null when that rate is 0). {@code model} is null when the data has no cancellation
 * to fit on; the columns then stay as they are.
 */
public record SubscriptionChurn(@Nullable ShiftedBetaGeometricModel model, long periodMillis,
    double periodDiscountRate) implements Serializable {
  /** The churn_model of these customers. */
  public static final String MODEL = "sbg";

  /** The discount rate of one period of {@code periodMillis} at an annual rate. */
  public static double periodRate(double annualRate, long periodMillis) {
    return Math.pow(1 + annualRate, periodMillis / (365.0 * 86_400_000L)) - 1;
  }

  /** The features with the sBG churn columns, or the same row for anyone else. */
  public CustomerFeatures withChurnRisk(CustomerFeatures f, SubscriptionHistory history) {
    if (model == null || !history.active()) {
      return f;
    }
    int renewals = history.periods(periodMillis);
    CustomerFeatures row = ChurnColumns.with(f, model.churnProbability(renewals + 1), MODEL);
    if (!(periodDiscountRate > 0)) {
      return row;
    }
    double derl = model.discountedExpectedResidualLifetime(renewals, periodDiscountRate);
    return row.toBuilder().setDiscountedRemainingPeriods(
        BigDecimal.valueOf(derl).setScale(6, RoundingMode.HALF_EVEN).doubleValue()).build();
  }
}
