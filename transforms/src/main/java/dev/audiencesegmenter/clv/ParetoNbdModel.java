package dev.audiencesegmenter.clv;

import static org.apache.commons.math3.special.Gamma.logGamma;

import java.io.Serializable;
import java.util.Map;

/**
 * The Pareto/NBD model (Schmittlein, Morrison &amp; Colombo 1987): Poisson purchases at a rate
 * from Gamma(r, α) and an exponential lifetime at a rate from Gamma(s, β). The likelihood
 * follows Fader &amp; Hardie's note on implementing it, with the Gauss hypergeometric function
 * evaluated in log space ({@link Hypergeometric}), whichever of α and β is larger.
 */
public record ParetoNbdModel(double r, double alpha, double s, double beta)
    implements RepeatPurchaseModel, Serializable {

  public record Fit(ParetoNbdModel model, FitDiagnostics diagnostics) implements Serializable {}

  public static Fit fit(SummaryHistogram histogram, double penalizer) {
    long customers = histogram.customers();
    long repeat = histogram.repeatCustomers();
    if (repeat < BgNbdModel.MIN_REPEAT_CUSTOMERS) {
      throw new ClvFitException("Pareto/NBD needs at least " + BgNbdModel.MIN_REPEAT_CUSTOMERS
          + " customers with a repeat purchase to fit; the data has " + repeat + " of "
          + customers + " customers");
    }
    Data data = new Data(histogram);
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(
        p -> -data.logLikelihood(new ParetoNbdModel(p[0], p[1], p[2], p[3])) / customers
            + penalizer * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] + p[3] * p[3]),
        new double[] {1, 1, 1, 1});
    double[] p = opt.params();
    ParetoNbdModel model = new ParetoNbdModel(p[0], p[1], p[2], p[3]);
    return new Fit(model, new FitDiagnostics(opt.evaluations(), opt.converged(),
        data.logLikelihood(model) / customers, customers));
  }

  /** A histogram's distinct (x, t_x, T) and their counts, for the likelihood's sum. */
  static final class Data {
    private final int[] x;
    private final double[] tx;
    private final double[] t;
    private final double[] weight;

    Data(SummaryHistogram histogram) {
      int size = histogram.triples().size();
      x = new int[size];
      tx = new double[size];
      t = new double[size];
      weight = new double[size];
      int i = 0;
      for (Map.Entry<SummaryHistogram.Triple, Long> e : histogram.triples().entrySet()) {
        x[i] = e.getKey().x();
        tx[i] = e.getKey().tx();
        t[i] = e.getKey().t();
        weight[i] = e.getValue();
        i++;
      }
    }

    /** The log-likelihood of every customer of the histogram under {@code model}. */
    double logLikelihood(ParetoNbdModel model) {
      double ll = 0;
      for (int k = 0; k < x.length; k++) {
        ll += weight[k] * model.logLikelihood(x[k], tx[k], t[k]);
      }
      return ll;
    }
  }

  /** log of A0 in Fader &amp; Hardie's notation (always positive since t_x &lt;= T). */
  private double logA0(int x, double tx, double t) {
    double rsx = r + s + x;
    double logFirst;
    double logSecond;
    if (alpha >= beta) {
      logFirst = Hypergeometric.log2F1WithCAPlusOne(rsx, s + 1, (alpha - beta) / (alpha + tx))
          - rsx * Math.log(alpha + tx);
      logSecond = Hypergeometric.log2F1WithCAPlusOne(rsx, s + 1, (alpha - beta) / (alpha + t))
          - rsx * Math.log(alpha + t);
    } else {
      logFirst = Hypergeometric.log2F1WithCAPlusOne(rsx, r + x, (beta - alpha) / (beta + tx))
          - rsx * Math.log(beta + tx);
      logSecond = Hypergeometric.log2F1WithCAPlusOne(rsx, r + x, (beta - alpha) / (beta + t))
          - rsx * Math.log(beta + t);
    }
    if (logSecond >= logFirst) {
      return Double.NEGATIVE_INFINITY; // t_x == T: the customer was seen at the very end
    }
    return logFirst + Math.log1p(-Math.exp(logSecond - logFirst));
  }

  public double logLikelihood(int x, double tx, double t) {
    double head = logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta);
    double alive = -(r + x) * Math.log(alpha + t) - s * Math.log(beta + t);
    double died = Math.log(s) - Math.log(r + s + x) + logA0(x, tx, t);
    double max = Math.max(alive, died);
    return head + max + Math.log(Math.exp(alive - max) + Math.exp(died - max));
  }

  @Override
  public double pAlive(int x, double tx, double t) {
    double logRest = Math.log(s) - Math.log(r + s + x) + (r + x) * Math.log(alpha + t)
        + s * Math.log(beta + t) + logA0(x, tx, t);
    return 1.0 / (1.0 + Math.exp(logRest));
  }

  /**
   * (r + x)(β + T) / ((α + T)(s - 1)) [1 - ((β + T) / (β + T + t))^(s - 1)] P(alive), with the
   * bracket over s - 1 computed as -expm1((s - 1) L) / (s - 1), L = ln((β + T) / (β + T + t)):
   * exact through s = 1, where it is -L (the closed form's 0 / 0).
   */
  @Override
  public double expectedPurchases(double horizon, int x, double tx, double t) {
    double logRatio = Math.log((beta + t) / (beta + t + horizon));
    double overSMinusOne = s == 1 ? -logRatio : -Math.expm1((s - 1) * logRatio) / (s - 1);
    return (r + x) * (beta + t) / (alpha + t) * overSMinusOne * pAlive(x, tx, t);
  }
}
