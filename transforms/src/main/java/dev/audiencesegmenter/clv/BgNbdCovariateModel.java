package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;

/**
 * BG/NBD with time-invariant covariates, as in Fader &amp; Hardie's note "Incorporating
 * Time-Invariant Covariates into the Pareto/NBD and BG/NBD Models" (2007): a customer with
 * covariates z buys at a rate from Gamma(r, α₀·exp(−β·z)) and drops out after a purchase with
 * a probability from Beta(a₀·exp(γa·z), b₀·exp(γb·z)). A positive β raises the purchase rate (a
 * smaller Gamma scale means larger rates); γa and γb move the dropout probability's mean
 * a/(a+b). With z = 0 for everyone it is BG/NBD.
 *
 * <p>The sufficient statistics are one {@link SummaryHistogram} per covariate cell (a distinct
 * z), so the data still reduces to counts that merge in any order; covariates are meant to be
 * categorical or bucketed (acquisition channel, plan, first-order size band), which keeps the
 * cells few. Standard errors come from the inverse of the numerical Hessian of the negative
 * log-likelihood at the optimum.
 *
 * <pre>{@code
 * Map<List<Double>, SummaryHistogram> cells = Map.of(
 *     List.of(0.0), organicCustomers, List.of(1.0), referredCustomers);
 * BgNbdCovariateModel model = BgNbdCovariateModel.fit(List.of("referred"), cells);
 * double next39Weeks = model.forCustomer(new double[] {1}).expectedPurchases(39, x, tx, t);
 * }</pre>
 */
public final class BgNbdCovariateModel implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int BASE = 4;

  private final List<String> covariates;
  private final double[] params;
  private final double[][] covariance;
  private final FitDiagnostics diagnostics;

  private BgNbdCovariateModel(List<String> covariates, double[] params,
      double[][] covariance, FitDiagnostics diagnostics) {
    this.covariates = List.copyOf(covariates);
    this.params = params.clone();
    this.covariance = covariance;
    this.diagnostics = diagnostics;
  }

  /**
   * Maximum-likelihood fit. {@code cells} maps each distinct covariate vector (in the order of
   * {@code covariates}) to the histogram of its customers.
   */
  public static BgNbdCovariateModel fit(List<String> covariates,
      Map<List<Double>, SummaryHistogram> cells) {
    int k = covariates.size();
    if (k == 0) {
      throw new IllegalArgumentException("name at least one covariate; without any, fit "
          + "BgNbdModel");
    }
    List<double[]> z = new ArrayList<>();
    List<BgNbdModel.Data> data = new ArrayList<>();
    SummaryHistogram all = new SummaryHistogram();
    // in the cells' order, whatever the map's: the likelihood's sum, and so the fit to its
    // last digits, does not depend on how the cells were gathered
    List<List<Double>> order = new ArrayList<>(cells.keySet());
    order.sort(BgNbdCovariateModel::compareCells);
    for (List<Double> cell : order) {
      SummaryHistogram histogram = cells.get(cell);
      if (cell.size() != k) {
        throw new IllegalArgumentException("covariate cell " + cell + " has " + cell.size()
            + " values for the " + k + " covariates " + covariates);
      }
      double[] values = new double[k];
      for (int i = 0; i < k; i++) {
        values[i] = cell.get(i);
        if (!Double.isFinite(values[i])) {
          throw new IllegalArgumentException("covariate " + covariates.get(i) + " is "
              + values[i] + " in cell " + cell + "; covariates must be finite numbers");
        }
      }
      z.add(values);
      data.add(new BgNbdModel.Data(histogram));
      all.merge(histogram);
    }
    long repeat = all.repeatCustomers();
    if (repeat < BgNbdModel.MIN_REPEAT_CUSTOMERS) {
      throw new ClvFitException("BG/NBD with covariates needs at least "
          + BgNbdModel.MIN_REPEAT_CUSTOMERS + " customers with a repeat purchase to fit; the "
          + "data has " + repeat + " of " + all.customers() + " customers");
    }
    long customers = all.customers();
    Likelihood likelihood = new Likelihood(k, z, data);
    double[] start = new double[BASE + 3 * k];
    Arrays.fill(start, 0, BASE, 1.0);
    MaximumLikelihood.Optimum opt = MaximumLikelihood.minimize(
        p -> -likelihood.total(p) / customers, start, BASE);
    double[] p = opt.params();
    return new BgNbdCovariateModel(covariates, p, likelihood.covariance(p),
        new FitDiagnostics(opt.evaluations(), opt.converged(), likelihood.total(p) / customers,
            customers));
  }

  private static int compareCells(List<Double> a, List<Double> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = Double.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  /** The BG/NBD model of a customer with these covariate values. */
  public BgNbdModel forCustomer(double[] z) {
    int k = covariates.size();
    if (z.length != k) {
      throw new IllegalArgumentException("got " + z.length + " covariate values for the " + k
          + " covariates " + covariates);
    }
    return individual(params, k, z);
  }

  public List<String> covariates() {
    return covariates;
  }

  public double r() {
    return params[0];
  }

  public double alpha0() {
    return params[1];
  }

  public double a0() {
    return params[2];
  }

  public double b0() {
    return params[3];
  }

  /** β: the effect of each covariate on the purchase rate. */
  public double[] purchaseCoefficients() {
    return Arrays.copyOfRange(params, BASE, BASE + covariates.size());
  }

  /** γa: the effect of each covariate on the dropout Beta's a. */
  public double[] dropoutACoefficients() {
    int k = covariates.size();
    return Arrays.copyOfRange(params, BASE + k, BASE + 2 * k);
  }

  /** γb: the effect of each covariate on the dropout Beta's b. */
  public double[] dropoutBCoefficients() {
    int k = covariates.size();
    return Arrays.copyOfRange(params, BASE + 2 * k, BASE + 3 * k);
  }

  /**
   * Every parameter in the order r, α₀, a₀, b₀, β, γa, γb; {@link #standardErrors()} follows
   * the same order.
   */
  public double[] parameters() {
    return params.clone();
  }

  /** Asymptotic standard errors; NaN where the Hessian is singular at the optimum. */
  public double[] standardErrors() {
    double[] se = new double[params.length];
    for (int i = 0; i < se.length; i++) {
      se[i] = covariance[i][i] > 0 ? Math.sqrt(covariance[i][i]) : Double.NaN;
    }
    return se;
  }

  /**
   * The parameters' asymptotic covariance matrix (the inverse of the observed information), in
   * the order of {@link #parameters()}; all NaN when the Hessian is singular at the optimum.
   */
  public double[][] covariance() {
    double[][] copy = new double[covariance.length][];
    for (int i = 0; i < copy.length; i++) {
      copy[i] = covariance[i].clone();
    }
    return copy;
  }

  public FitDiagnostics diagnostics() {
    return diagnostics;
  }

  private static BgNbdModel individual(double[] p, int k, double[] z) {
    double purchase = 0;
    double dropA = 0;
    double dropB = 0;
    for (int i = 0; i < k; i++) {
      purchase += p[BASE + i] * z[i];
      dropA += p[BASE + k + i] * z[i];
      dropB += p[BASE + 2 * k + i] * z[i];
    }
    return new BgNbdModel(p[0], p[1] * Math.exp(-purchase), p[2] * Math.exp(dropA),
        p[3] * Math.exp(dropB));
  }

  /** The log-likelihood summed over the cells' histograms. */
  private record Likelihood(int k, List<double[]> z, List<BgNbdModel.Data> data) {
    double total(double[] p) {
      double ll = 0;
      for (int c = 0; c < z.size(); c++) {
        BgNbdModel m = individual(p, k, z.get(c));
        BgNbdModel.Data d = data.get(c);
        ll += d.meanLogLikelihood(m.r(), m.alpha(), m.a(), m.b()) * d.customers();
      }
      return ll;
    }

    /** H⁻¹, H the Hessian of −ℓ by central differences. */
    double[][] covariance(double[] p) {
      int n = p.length;
      double[] h = new double[n];
      for (int i = 0; i < n; i++) {
        h[i] = 1e-4 * Math.max(1, Math.abs(p[i]));
      }
      double[][] hessian = new double[n][n];
      for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++) {
          double v = (shifted(p, i, h[i], j, h[j]) - shifted(p, i, h[i], j, -h[j])
              - shifted(p, i, -h[i], j, h[j]) + shifted(p, i, -h[i], j, -h[j]))
              / (4 * h[i] * h[j]);
          hessian[i][j] = -v;
          hessian[j][i] = -v;
        }
      }
      LUDecomposition lu = new LUDecomposition(MatrixUtils.createRealMatrix(hessian));
      if (!lu.getSolver().isNonSingular()) {
        double[][] unknown = new double[n][n];
        for (double[] row : unknown) {
          Arrays.fill(row, Double.NaN);
        }
        return unknown;
      }
      return lu.getSolver().getInverse().getData();
    }

    private double shifted(double[] p, int i, double di, int j, double dj) {
      double[] q = p.clone();
      q[i] += di;
      q[j] += dj;
      return total(q);
    }
  }
}
