package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.clv.CustomerValue;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** The churn columns of a row: the risk to 6 places, its band, and the model that gave it. */
final class ChurnColumns {
  private ChurnColumns() {}

  static CustomerFeatures with(CustomerFeatures f, double risk, String model) {
    double rounded = BigDecimal.valueOf(risk).setScale(6, RoundingMode.HALF_EVEN).doubleValue();
    return f.toBuilder().setChurnRisk(rounded).setChurnRiskBand(CustomerValue.band(rounded))
        .setChurnModel(model).build();
  }
}
