package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.clv.ShiftedBetaGeometricModel;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The churn columns of an active subscriber from the sBG model of renewals: churn_risk is the
 * probability of cancelling at the next renewal given the renewals made, and
 * {@code churn_model = "sbg"}. {@code model} is null when the data has no cancellation to fit
 * on; the columns then stay as they are.
 */
public record SubscriptionChurn(@Nullable ShiftedBetaGeometricModel model, long periodMillis)
    implements Serializable {
  /** The churn_model of these customers. */
  public static final String MODEL = "sbg";

  /** The features with the sBG churn columns, or the same row for anyone else. */
  public CustomerFeatures withChurnRisk(CustomerFeatures f, SubscriptionHistory history) {
    if (model == null || !history.active()) {
      return f;
    }
    return ChurnColumns.with(f, model.churnProbability(history.periods(periodMillis) + 1),
        MODEL);
  }
}
