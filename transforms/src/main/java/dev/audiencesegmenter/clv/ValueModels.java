package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.Locale;

/**
 * The fitted BG/NBD and Gamma-Gamma models of a run and what they predict per customer. Time
 * is in weeks. The 12-month lifetime value discounts each month's expected margin:
 * sum over m = 1..12 of (E[purchases by month m] - E[purchases by month m - 1]) * expected
 * value * margin / (1 + monthly rate)^m, with the monthly rate from the annual discount rate.
 */
public record ValueModels(BgNbdModel.Fit frequency, GammaGammaModel.Fit spend,
    double annualDiscountRate, double margin) implements Serializable {

  static final double WEEKS_PER_MONTH = 365.25 / 12 / 7;

  /** Predictions for one customer; the mean repeat value is reported to the cent. */
  public CustomerValue predict(PurchaseSummary summary) {
    long x = summary.x();
    double tx = summary.tx();
    double t = summary.t();
    java.math.BigDecimal exact = summary.meanRepeatValue();
    Double meanRepeatValue = exact == null ? null : exact.doubleValue();
    BgNbdModel bg = frequency.model();
    int xi = Math.toIntExact(x);
    double pAlive = bg.pAlive(xi, tx, t);
    double e90 = bg.expectedPurchases(90 / 7.0, xi, tx, t);
    double e365 = bg.expectedPurchases(365 / 7.0, xi, tx, t);
    double value = xi > 0 && meanRepeatValue != null && meanRepeatValue > 0
        ? spend.model().conditionalExpectedAverageValue(xi, meanRepeatValue)
        : spend.model().populationMeanValue();
    double monthly = Math.pow(1 + annualDiscountRate, 1.0 / 12) - 1;
    double clv = 0;
    double previous = 0;
    for (int m = 1; m <= 12; m++) {
      double cumulative = bg.expectedPurchases(m * WEEKS_PER_MONTH, xi, tx, t);
      clv += (cumulative - previous) * value * margin / Math.pow(1 + monthly, m);
      previous = cumulative;
    }
    return new CustomerValue(x, tx, t,
        exact == null ? null : exact.setScale(2, java.math.RoundingMode.HALF_EVEN), pAlive, e90,
        e365, value, clv);
  }

  /** The parameters and fit diagnostics, as the JSON of {@code model/clv.json}. */
  public String toJson() {
    BgNbdModel bg = frequency.model();
    GammaGammaModel gg = spend.model();
    return String.format(Locale.ROOT, "{\"time_unit\":\"week\",\"bg_nbd\":{\"r\":%s,\"alpha\":%s,"
            + "\"a\":%s,\"b\":%s,%s},\"gamma_gamma\":{\"p\":%s,\"q\":%s,\"gamma\":%s,%s},"
            + "\"annual_discount_rate\":%s,\"margin\":%s}",
        num(bg.r()), num(bg.alpha()), num(bg.a()), num(bg.b()), diagnostics(frequency
            .diagnostics()), num(gg.p()), num(gg.q()), num(gg.gamma()),
        diagnostics(spend.diagnostics()), num(annualDiscountRate), num(margin));
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
