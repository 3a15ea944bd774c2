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
    implements Serializable {

  public record Fit(ParetoNbdModel model, FitDiagnostics diagnostics) implements Serializable {}

  public static Fit fit(SummaryHistogram histogram, double penalizer) {
    long customers = histogram.customers();
    long repeat = histogram.repeatCustomers();
    if (repeat < BgNbdModel.MIN_REPEAT_CUSTOMERS) {
      throw new ClvFitException("Pareto/NBD needs at least " + BgNbdModel.MIN_REPEAT_CUSTOMERS
          + " customers with a repeat purchase to fit; the data has " + repeat + " of "
          + customers + " customers");
    }
    int size = histogram.triples().size();
    int[] x = new int[size];
    double[] tx = new double[size];
    double[] t = new double[size];
    double[] w = new double[size];
    int i = 0;
    for (Map.Entry<SummaryHistogram.Triple, Long> e : histogram.triples().entrySet()) {
      x[i] = e.getKey().x();
      tx[i] = e.getKey().tx();
      t[i] = e.getKey().t();
      w[i] = e.getValue();
      i++;
    }
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(p -> {
      ParetoNbdModel m = new ParetoNbdModel(p[0], p[1], p[2], p[3]);
      double ll = 0;
      for (int k = 0; k < size; k++) {
        ll += w[k] * m.logLikelihood(x[k], tx[k], t[k]);
      }
      return -ll / customers + penalizer * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]
          + p[3] * p[3]);
    }, new double[] {1, 1, 1, 1});
    double[] p = opt.params();
    ParetoNbdModel model = new ParetoNbdModel(p[0], p[1], p[2], p[3]);
    double ll = 0;
    for (int k = 0; k < size; k++) {
      ll += w[k] * model.logLikelihood(x[k], tx[k], t[k]);
    }
    return new Fit(model, new FitDiagnostics(opt.evaluations(), opt.converged(),
        ll / customers, customers));
  }

  /** log of A0 in Fader &amp; Hardie's notation (always positive since t_x &lt;= T). */
  private double logA0(int x, double tx, double t) {
    double rsx = r + s + x;
    double logFirst;
    double logSecond;
    if (alpha >= beta) {
      logFirst = Hypergeometric.log2F1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + tx))
          - rsx * Math.log(alpha + tx);
      logSecond = Hypergeometric.log2F1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t))
          - rsx * Math.log(alpha + t);
    } else {
      logFirst = Hypergeometric.log2F1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + tx))
          - rsx * Math.log(beta + tx);
      logSecond = Hypergeometric.log2F1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t))
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

  public double pAlive(int x, double tx, double t) {
    double logRest = Math.log(s) - Math.log(r + s + x) + (r + x) * Math.log(alpha + t)
        + s * Math.log(beta + t) + logA0(x, tx, t);
    return 1.0 / (1.0 + Math.exp(logRest));
  }

  public double expectedPurchases(double horizon, int x, double tx, double t) {
    return (r + x) * (beta + t) / ((alpha + t) * (s - 1))
        * (1 - Math.pow((beta + t) / (beta + t + horizon), s - 1)) * pAlive(x, tx, t);
  }
}
