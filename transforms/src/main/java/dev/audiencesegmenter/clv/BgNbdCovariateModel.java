package dev.audiencesegmenter.clv;

import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

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
public final class BgNbdCovariateModel extends FittedCovariateModel {
  private static final long serialVersionUID = 1L;

  private BgNbdCovariateModel(List<String> covariates, Estimate estimate) {
    super(covariates, estimate);
  }

  /**
   * Maximum-likelihood fit. {@code cells} maps each distinct covariate vector (in the order of
   * {@code covariates}) to the histogram of its customers.
   */
  public static BgNbdCovariateModel fit(List<String> covariates,
      Map<List<Double>, SummaryHistogram> cells) {
    int k = covariates.size();
    CovariateCells data = CovariateCells.of("BG/NBD", covariates, cells);
    List<BgNbdModel.Data> histograms =
        data.histograms().stream().map(BgNbdModel.Data::new).toList();
    ToDoubleFunction<double[]> logLikelihood = p -> {
      double ll = 0;
      for (int c = 0; c < histograms.size(); c++) {
        BgNbdModel m = individual(p, k, data.values().get(c));
        BgNbdModel.Data d = histograms.get(c);
        ll += d.meanLogLikelihood(m.r(), m.alpha(), m.a(), m.b()) * d.customers();
      }
      return ll;
    };
    return new BgNbdCovariateModel(covariates,
        estimate("BG/NBD with covariates", logLikelihood, BASE, 3 * k,
            data.all().customers()));
  }

  @Override
  public PurchaseModel purchaseModel() {
    return PurchaseModel.BG_NBD;
  }

  /** The BG/NBD model of a customer with these covariate values. */
  @Override
  public BgNbdModel forCustomer(double[] z) {
    CovariateCells.checkCustomer(covariates(), z);
    return individual(params, covariates().size(), z);
  }

  public double a0() {
    return params[2];
  }

  public double b0() {
    return params[3];
  }

  /** γa: the effect of each covariate on the dropout Beta's a. */
  public double[] dropoutACoefficients() {
    return coefficients(1);
  }

  /** γb: the effect of each covariate on the dropout Beta's b. */
  public double[] dropoutBCoefficients() {
    return coefficients(2);
  }

  /** Every parameter in the order r, α₀, a₀, b₀, β, γa, γb. */
  @Override
  public double[] parameters() {
    return super.parameters();
  }

  private static BgNbdModel individual(double[] p, int k, double[] z) {
    double purchase = CovariateCells.dot(p, BASE, z);
    double dropA = CovariateCells.dot(p, BASE + k, z);
    double dropB = CovariateCells.dot(p, BASE + 2 * k, z);
    return new BgNbdModel(p[0], p[1] * Math.exp(-purchase), p[2] * Math.exp(dropA),
        p[3] * Math.exp(dropB));
  }
}
