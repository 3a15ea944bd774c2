package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The fitted purchase model (BG/NBD, or Pareto/NBD when {@code paretoNbd} is set) and
 * Gamma-Gamma of a run, and what they predict per customer. BG/NBD is fitted either way: it is
 * the reference the holdout report and {@code model/clv.json} compare with. Time is in weeks. The 12-month lifetime value discounts each month's expected margin:
 * sum over m = 1..12 of (E[purchases by month m] - E[purchases by month m - 1]) * expected
 * value * margin / (1 + monthly rate)^m, with the monthly rate from the annual discount rate.
 */
public record ValueModels(BgNbdModel.Fit frequency, ParetoNbdModel.@Nullable Fit paretoNbd,
    GammaGammaModel.Fit spend, double annualDiscountRate, double margin,
    @Nullable String backtestJson, @Nullable PurchaseCovariates covariates)
    implements Serializable {

  static final double WEEKS_PER_MONTH = 365.25 / 12 / 7;

  /** With BG/NBD as the purchase model. */
  public ValueModels(BgNbdModel.Fit frequency, GammaGammaModel.Fit spend,
      double annualDiscountRate, double margin) {
    this(frequency, null, spend, annualDiscountRate, margin, null, null);
  }

  /** The same models with the backtest that chose the purchase model (its report's JSON). */
  ValueModels withBacktest(String json) {
    return new ValueModels(frequency, paretoNbd, spend, annualDiscountRate, margin, json,
        covariates);
  }

  /**
   * The same models with the purchase model's covariate form behind the purchase columns: each
   * customer's predictions come from the model of their cell ({@link #predict(PurchaseSummary,
   * List)}).
   */
  public ValueModels withCovariates(PurchaseCovariates fitted) {
    if (fitted.model().purchaseModel() != purchaseModel()) {
      throw new IllegalArgumentException("the purchase covariates were fitted with "
          + fitted.model().purchaseModel().jsonName() + ", but the purchase model is "
          + purchaseModel().jsonName());
    }
    return new ValueModels(frequency, paretoNbd, spend, annualDiscountRate, margin,
        backtestJson, fitted);
  }

  /** The model behind P(alive) and the expected purchases. */
  public PurchaseModel purchaseModel() {
    return paretoNbd == null ? PurchaseModel.BG_NBD : PurchaseModel.PARETO_NBD;
  }

  /** The purchase model of everyone (without covariates). */
  private RepeatPurchaseModel purchases() {
    return paretoNbd == null ? frequency.model() : paretoNbd.model();
  }

  /**
   * Gamma-Gamma's expected value of one purchase: the customer's mean repeat value shrunk
   * towards everyone's, or everyone's mean without repeat purchases of value.
   */
  double expectedValuePerPurchase(int x, @Nullable Double meanRepeatValue) {
    return x > 0 && meanRepeatValue != null && meanRepeatValue > 0
        ? spend.model().conditionalExpectedAverageValue(x, meanRepeatValue)
        : spend.model().populationMeanValue();
  }

  /** Predictions for one customer; the mean repeat value is reported to the cent. */
  public CustomerValue predict(PurchaseSummary summary) {
    return predict(summary, null);
  }

  /**
   * Predictions for one customer of covariate cell {@code cell} (one category per covariate;
   * ignored without covariates, required with them).
   */
  public CustomerValue predict(PurchaseSummary summary, @Nullable List<String> cell) {
    RepeatPurchaseModel own = purchases();
    if (covariates != null) {
      if (cell == null) {
        throw new IllegalArgumentException("the models have purchase covariates "
            + covariates.covariates() + ": give the customer's categories");
      }
      own = covariates.forCell(cell);
    }
    long x = summary.x();
    double tx = summary.tx();
    double t = summary.t();
    java.math.BigDecimal exact = summary.meanRepeatValue();
    Double meanRepeatValue = exact == null ? null : exact.doubleValue();
    int xi = Math.toIntExact(x);
    double pAlive = own.pAlive(xi, tx, t);
    double e90 = own.expectedPurchases(90 / 7.0, xi, tx, t);
    double e365 = own.expectedPurchases(365 / 7.0, xi, tx, t);
    double value = expectedValuePerPurchase(xi, meanRepeatValue);
    double monthly = Math.pow(1 + annualDiscountRate, 1.0 / 12) - 1;
    double clv = 0;
    double previous = 0;
    for (int m = 1; m <= 12; m++) {
      double cumulative = own.expectedPurchases(m * WEEKS_PER_MONTH, xi, tx, t);
      clv += (cumulative - previous) * value * margin / Math.pow(1 + monthly, m);
      previous = cumulative;
    }
    return new CustomerValue(x, tx, t,
        exact == null ? null : exact.setScale(2, java.math.RoundingMode.HALF_EVEN), pAlive, e90,
        e365, value, clv, covariates == null ? purchaseModel().jsonName() : covariates.name());
  }

  /**
   * The parameters and fit diagnostics, as the JSON of {@code model/clv.json};
   * {@code purchase_model} names the model behind the purchase columns, and a
   * {@code pareto_nbd} object is there when it is Pareto/NBD, {@code bg_nbd_covariates} or
   * {@code pareto_nbd_covariates} ({@link PurchaseCovariates#toJson}) with covariates, and {@code backtest} (the
   * report of {@link HoldoutReport}) when the model was chosen on one.
   */
  public String toJson() {
    BgNbdModel bg = frequency.model();
    GammaGammaModel gg = spend.model();
    String pareto = "";
    if (paretoNbd != null) {
      ParetoNbdModel p = paretoNbd.model();
      pareto = String.format(Locale.ROOT, "\"pareto_nbd\":{\"r\":%s,\"alpha\":%s,\"s\":%s,"
          + "\"beta\":%s,%s},", num(p.r()), num(p.alpha()), num(p.s()), num(p.beta()),
          diagnostics(paretoNbd.diagnostics()));
    }
    String json = String.format(Locale.ROOT, "{\"time_unit\":\"week\",\"purchase_model\":\"%s\","
            + "\"bg_nbd\":{\"r\":%s,\"alpha\":%s,\"a\":%s,\"b\":%s,%s},%s\"gamma_gamma\":{"
            + "\"p\":%s,\"q\":%s,\"gamma\":%s,%s},\"annual_discount_rate\":%s,\"margin\":%s}",
        purchaseModel().jsonName(), num(bg.r()), num(bg.alpha()), num(bg.a()), num(bg.b()),
        diagnostics(frequency.diagnostics()), pareto, num(gg.p()), num(gg.q()),
        num(gg.gamma()), diagnostics(spend.diagnostics()), num(annualDiscountRate),
        num(margin));
    if (covariates != null) {
      json = json.substring(0, json.length() - 1) + ",\"" + covariates.name() + "\":"
          + covariates.toJson() + "}";
    }
    return backtestJson == null ? json
        : json.substring(0, json.length() - 1) + ",\"backtest\":" + backtestJson + "}";
  }

  private static String diagnostics(FitDiagnostics d) {
    return String.format(Locale.ROOT, "\"customers\":%d,\"evaluations\":%d,\"converged\":%s,"
        + "\"mean_log_likelihood\":%s", d.customers(), d.evaluations(), d.converged(),
        num(d.meanLogLikelihood()));
  }

  private static String num(double v) {
    return Double.toString(v);
  }
}
