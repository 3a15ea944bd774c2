package dev.audiencesegmenter.clv;

import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The models a holdout period is predicted with, all fitted on the same calibration histogram:
 * BG/NBD (with Gamma-Gamma, as the job fits its value models) and Pareto/NBD. A Pareto/NBD fit
 * the data cannot support leaves it out ({@code paretoNbd} null): its predictions are then NaN
 * and the report says it was not fitted, while BG/NBD's figures stand. On a backtest
 * ({@link #tryFit}) BG/NBD may be missing too.
 */
public record HoldoutModels(@Nullable ValueModels valueModels,
    @Nullable ParetoNbdModel paretoNbd) implements Serializable {

  /** Fits every model of {@link HoldoutReport#MODELS}; a BG/NBD fit that fails throws. */
  static HoldoutModels fit(SummaryHistogram histogram, ValueModelFit fit) {
    ValueModels valueModels = fit.fit(histogram);
    ParetoNbdModel pareto;
    try {
      pareto = ParetoNbdModel.fit(histogram, 0).model();
    } catch (ClvFitException e) {
      pareto = null;
    }
    return new HoldoutModels(valueModels, pareto);
  }

  /**
   * As {@link #fit}, but a BG/NBD fit the data cannot support leaves every model out (all
   * predictions NaN) instead of throwing: a backtest's shorter calibration period may hold too
   * few repeat buyers, and the run then keeps its default model.
   */
  public static HoldoutModels tryFit(SummaryHistogram histogram, ValueModelFit fit) {
    try {
      return fit(histogram, fit);
    } catch (ClvFitException e) {
      return new HoldoutModels(null, null);
    }
  }

  /**
   * Each model's expected purchases of a customer over {@code weeks} after the calibration
   * end, in {@link HoldoutReport#MODELS} order.
   */
  double[] expectedPurchases(PurchaseSummary customer, double weeks) {
    int x = Math.toIntExact(customer.x());
    double bg = valueModels == null ? Double.NaN : valueModels.frequency().model()
        .expectedPurchases(weeks, x, customer.tx(), customer.t());
    double pareto = paretoNbd == null ? Double.NaN
        : paretoNbd.expectedPurchases(weeks, x, customer.tx(), customer.t());
    return new double[] {bg, pareto};
  }

  /**
   * Each model's expected purchases of a customer by the end of each week after the calibration
   * end, the last point at exactly {@code weeks}: {@code [week - 1][model]}.
   */
  double[][] cumulativeExpectedPurchases(PurchaseSummary customer, double weeks) {
    int points = (int) Math.ceil(weeks - 1e-9);
    double[][] byWeek = new double[points][];
    for (int w = 1; w <= points; w++) {
      byWeek[w - 1] = expectedPurchases(customer, w == points ? weeks : w);
    }
    return byWeek;
  }

  /**
   * Gamma-Gamma's expected value of one purchase of the customer, as the job predicts it; NaN
   * when the value models were not fitted.
   */
  double expectedValuePerPurchase(PurchaseSummary customer) {
    return valueModels == null ? Double.NaN : valueModels.expectedValuePerPurchase(
        Math.toIntExact(customer.x()), customer.meanRepeatValue() == null ? null
            : customer.meanRepeatValue().doubleValue());
  }

  /** Each model's P(alive) of a customer at the calibration end, in the same order. */
  double[] pAlive(PurchaseSummary customer) {
    int x = Math.toIntExact(customer.x());
    double bg = valueModels == null ? Double.NaN
        : valueModels.frequency().model().pAlive(x, customer.tx(), customer.t());
    double pareto = paretoNbd == null ? Double.NaN
        : paretoNbd.pAlive(x, customer.tx(), customer.t());
    return new double[] {bg, pareto};
  }
}
