package dev.audiencesegmenter.clv;

import static org.apache.commons.math3.special.Gamma.logGamma;

import java.io.Serializable;
import java.util.Map;

/**
 * The BG/NBD model of repeat buying (Fader, Hardie &amp; Lee, "Counting Your Customers the Easy
 * Way", Marketing Science 2005): while alive, a customer buys at a Poisson rate drawn from
 * Gamma(r, alpha); after each purchase the customer drops out with a probability drawn from
 * Beta(a, b). Fitted by maximum likelihood on a {@link SummaryHistogram}.
 */
public record BgNbdModel(double r, double alpha, double a, double b)
    implements RepeatPurchaseModel, Serializable {
  /** Within this distance of 1, {@link #expectedPurchases} interpolates in a (see there). */
  private static final double NEAR_ONE = 1e-4;

  /** Fewer repeat buyers than this cannot identify the dropout process. */
  public static final int MIN_REPEAT_CUSTOMERS = 10;

  /** A fitted model and how the fit went. */
  public record Fit(BgNbdModel model, FitDiagnostics diagnostics) implements Serializable {}

  /**
   * Maximum-likelihood fit. {@code penalizer} adds {@code penalizer * (r² + α² + a² + b²)} to
   * the mean negative log-likelihood (as the lifetimes library does); 0 for none.
   */
  public static Fit fit(SummaryHistogram histogram, double penalizer) {
    long customers = histogram.customers();
    long repeat = histogram.repeatCustomers();
    if (repeat < MIN_REPEAT_CUSTOMERS) {
      throw new ClvFitException("BG/NBD needs at least " + MIN_REPEAT_CUSTOMERS
          + " customers with a repeat purchase to fit; the data has " + repeat + " of "
          + customers + " customers");
    }
    Data data = new Data(histogram);
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(
        p -> -data.meanLogLikelihood(p[0], p[1], p[2], p[3])
            + penalizer * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] + p[3] * p[3]),
        new double[] {1, 1, 1, 1});
    double[] p = opt.params();
    return new Fit(new BgNbdModel(p[0], p[1], p[2], p[3]), new FitDiagnostics(
        opt.evaluations(), opt.converged(), data.meanLogLikelihood(p[0], p[1], p[2], p[3]),
        customers));
  }

  /** Log-likelihood of one customer. */
  public double logLikelihood(int x, double tx, double t) {
    return Data.customerLogLikelihood(r, alpha, a, b, x, tx, t,
        logGamma(r + x) - logGamma(r) + logGamma(a + b) + logGamma(b + x) - logGamma(b)
            - logGamma(a + b + x));
  }

  /** Probability that a customer with this history is still alive at T. */
  @Override
  public double pAlive(int x, double tx, double t) {
    if (x == 0) {
      return 1.0;
    }
    double logRatio = Math.log(a) - Math.log(b + x - 1)
        + (r + x) * (Math.log(alpha + t) - Math.log(alpha + tx));
    return 1.0 / (1.0 + Math.exp(logRatio));
  }

  /** Expected purchases in the next {@code horizon} time units, given the history. */
  @Override
  public double expectedPurchases(double horizon, int x, double tx, double t) {
    if (Math.abs(a - 1) < NEAR_ONE) {
      // The closed form is 0/0 at a = 1 and loses digits near it; it is smooth in a, so the
      // line through a = 1 -/+ NEAR_ONE is exact to about NEAR_ONE squared.
      double below = expectedPurchases(horizon, x, tx, t, 1 - NEAR_ONE);
      double above = expectedPurchases(horizon, x, tx, t, 1 + NEAR_ONE);
      return below + (above - below) * (a - (1 - NEAR_ONE)) / (2 * NEAR_ONE);
    }
    return expectedPurchases(horizon, x, tx, t, a);
  }

  private double expectedPurchases(double horizon, int x, double tx, double t, double a) {
    double z = horizon / (alpha + t + horizon);
    double hyp = Hypergeometric.value2F1(r + x, b + x, a + b + x - 1, z);
    double bracket = 1 - Math.exp((r + x) * Math.log((alpha + t) / (alpha + t + horizon)))
        * hyp;
    double factor = (a + b + x - 1) / (a - 1);
    double denominator = x > 0
        ? 1 + a / (b + x - 1) * Math.exp((r + x) * Math.log((alpha + t) / (alpha + tx)))
        : 1;
    return factor * bracket / denominator;
  }

  /**
   * The likelihood over a histogram. Terms that depend on x only, or on T or t_x only, are
   * computed once per distinct value (data in whole days has a few hundred of each), which
   * leaves one exp and one log per distinct triple and evaluation.
   */
  static final class Data {
    final int[] x;
    final int[] tIndex;
    final int[] txIndex;
    final double[] distinctT;
    final double[] distinctTx;
    final double[] weight;
    final int maxX;
    final double total;

    Data(SummaryHistogram h) {
      int n = h.triples().size();
      x = new int[n];
      tIndex = new int[n];
      txIndex = new int[n];
      weight = new double[n];
      Map<Double, Integer> ts = new java.util.HashMap<>();
      Map<Double, Integer> txs = new java.util.HashMap<>();
      int i = 0;
      int max = 0;
      double sum = 0;
      for (Map.Entry<SummaryHistogram.Triple, Long> e : h.triples().entrySet()) {
        x[i] = e.getKey().x();
        tIndex[i] = ts.computeIfAbsent(e.getKey().t(), k -> ts.size());
        txIndex[i] = txs.computeIfAbsent(e.getKey().tx(), k -> txs.size());
        weight[i] = e.getValue();
        max = Math.max(max, x[i]);
        sum += weight[i];
        i++;
      }
      distinctT = new double[ts.size()];
      ts.forEach((t, k) -> distinctT[k] = t);
      distinctTx = new double[txs.size()];
      txs.forEach((tx, k) -> distinctTx[k] = tx);
      maxX = max;
      total = sum;
    }

    /** Customers in the histogram. */
    double customers() {
      return total;
    }

    double meanLogLikelihood(double r, double alpha, double a, double b) {
      // ln Γ(r+x) - ln Γ(r) + ln Γ(a+b) + ln Γ(b+x) - ln Γ(b) - ln Γ(a+b+x), per x, by
      // recurrence: ln Γ(z+1) = ln Γ(z) + ln z; and ln a - ln(b+x-1) for x > 0.
      double[] gammaTerms = new double[maxX + 1];
      double[] dropTerms = new double[maxX + 1];
      double acc = 0;
      double logA = Math.log(a);
      for (int k = 0; k <= maxX; k++) {
        gammaTerms[k] = acc;
        acc += Math.log(r + k) + Math.log(b + k) - Math.log(a + b + k);
        dropTerms[k] = k > 0 ? logA - Math.log(b + k - 1) : 0;
      }
      double[] logAlphaT = logsPlus(alpha, distinctT);
      double[] logAlphaTx = logsPlus(alpha, distinctTx);
      double head = r * Math.log(alpha);
      double ll = 0;
      for (int i = 0; i < x.length; i++) {
        int xi = x[i];
        double logA3 = -(r + xi) * logAlphaT[tIndex[i]];
        double term;
        if (xi == 0) {
          term = logA3;
        } else {
          double logA4 = dropTerms[xi] - (r + xi) * logAlphaTx[txIndex[i]];
          term = logSumExp(logA3, logA4);
        }
        ll += weight[i] * (gammaTerms[xi] + head + term);
      }
      return ll / total;
    }

    private static double[] logsPlus(double alpha, double[] values) {
      double[] logs = new double[values.length];
      for (int k = 0; k < values.length; k++) {
        logs[k] = Math.log(alpha + values[k]);
      }
      return logs;
    }

    private static double logSumExp(double u, double v) {
      double max = Math.max(u, v);
      return max + Math.log1p(Math.exp(Math.min(u, v) - max));
    }

    static double customerLogLikelihood(double r, double alpha, double a, double b, int x,
        double tx, double t, double gammaTerms) {
      double logA3 = -(r + x) * Math.log(alpha + t);
      double head = gammaTerms + r * Math.log(alpha);
      if (x == 0) {
        return head + logA3;
      }
      double logA4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
      double max = Math.max(logA3, logA4);
      return head + max + Math.log(Math.exp(logA3 - max) + Math.exp(logA4 - max));
    }
  }
}
