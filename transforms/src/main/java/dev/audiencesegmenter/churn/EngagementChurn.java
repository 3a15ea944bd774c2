package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.model.CustomerFeatures;

/**
 * The churn columns of a customer who never bought, from the customer's engagement: churn_risk
 * from {@link EngagementChurnTable}, its band, and {@code churn_model = "engagement"}.
 */
public final class EngagementChurn {
  /** The churn_model of these customers. */
  public static final String MODEL = "engagement";

  private EngagementChurn() {}

  /**
   * The features with the engagement churn columns filled; the same row when the customer has
   * no activity before asOf or the table too few customers to give a risk.
   */
  public static CustomerFeatures withChurnRisk(CustomerFeatures f, EngagementChurnTable table,
      ActivityHistory activity) {
    EngagementCell cell = activity.atAsOf();
    double risk = cell == null ? Double.NaN : table.churnRisk(cell);
    if (Double.isNaN(risk)) {
      return f;
    }
    return ChurnColumns.with(f, risk, MODEL);
  }
}
