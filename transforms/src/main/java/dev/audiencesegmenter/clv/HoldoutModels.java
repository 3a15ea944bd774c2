package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The models a holdout period is predicted with, all fitted on the same calibration histogram:
 * BG/NBD (with Gamma-Gamma, as the job fits its value models) and Pareto/NBD. A Pareto/NBD fit
 * the data cannot support, or whose search did not converge, leaves it out ({@code paretoNbd}
 * null): its predictions are then NaN, the report says it was not fitted and why ({@code
 * notFitted}, by model name), and BG/NBD's figures stand. On a backtest ({@link #tryFit}) BG/NBD
 * may be missing too.
 */
public record HoldoutModels(@Nullable ValueModels valueModels,
    @Nullable ParetoNbdModel paretoNbd, Map<String, String> notFitted) implements Serializable {

  public HoldoutModels {
    notFitted = Map.copyOf(notFitted);
  }

  /** Fits every model of {@link HoldoutReport#MODELS}; a BG/NBD fit that fails throws. */
  static HoldoutModels fit(SummaryHistogram histogram, ValueModelFit fit) {
    ValueModels valueModels = fit.fit(histogram);
    ParetoNbdModel.Fit pareto;
    try {
      pareto = ParetoNbdModel.fit(histogram, 0);
    } catch (ClvFitException e) {
      return new HoldoutModels(valueModels, null,
          Map.of(PurchaseModel.PARETO_NBD.jsonName(), e.getMessage()));
    }
    return of(valueModels, pareto);
  }

  /**
   * BG/NBD's value models and Pareto/NBD's fit, which stands only if its search converged: the
   * point where a search stopped unconverged is no estimate, so it is not scored or chosen, as
   * an unconverged covariate fit is not.
   */
  static HoldoutModels of(ValueModels valueModels, ParetoNbdModel.Fit pareto) {
    if (!pareto.diagnostics().converged()) {
      return new HoldoutModels(valueModels, null, Map.of(PurchaseModel.PARETO_NBD.jsonName(),
          "Pareto/NBD did not converge in " + pareto.diagnostics().evaluations()
              + " evaluations of its likelihood"));
    }
    return new HoldoutModels(valueModels, pareto.model(), Map.of());
  }

  /**
   * As {@link #fit}, but a BG/NBD fit the data cannot support leaves every model out (all
   * predictions NaN, each with the fit's message as its reason) instead of throwing: a
   * backtest's shorter calibration period may hold too few repeat buyers, and the run then
   * keeps its default model.
   */
  public static HoldoutModels tryFit(SummaryHistogram histogram, ValueModelFit fit) {
    try {
      return fit(histogram, fit);
    } catch (ClvFitException e) {
      Map<String, String> reasons = new TreeMap<>();
      for (String model : HoldoutReport.MODELS) {
        reasons.put(model, e.getMessage());
      }
      return new HoldoutModels(null, null, reasons);
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
