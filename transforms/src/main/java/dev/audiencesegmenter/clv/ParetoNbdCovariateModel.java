package dev.audiencesegmenter.clv;

import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Pareto/NBD with time-invariant covariates, as in Fader &amp; Hardie's note "Incorporating
 * Time-Invariant Covariates into the Pareto/NBD and BG/NBD Models" (2007): a customer with
 * covariates z buys at a rate from Gamma(r, α₀·exp(−β·z)) and dies at a rate from
 * Gamma(s, β₀·exp(−γ·z)). A positive β raises the purchase rate, a positive γ the dropout
 * rate (a smaller Gamma scale means larger rates). With z = 0 for everyone it is Pareto/NBD.
 *
 * <p>As {@link BgNbdCovariateModel}: one {@link SummaryHistogram} per covariate cell, standard
 * errors from the observed information. Each evaluation of the likelihood costs a Gauss
 * hypergeometric function per distinct (x, t_x, T) of every cell.
 *
 * <pre>{@code
 * ParetoNbdCovariateModel model = ParetoNbdCovariateModel.fit(List.of("referred"), cells);
 * double next39Weeks = model.forCustomer(new double[] {1}).expectedPurchases(39, x, tx, t);
 * }</pre>
 */
public final class ParetoNbdCovariateModel extends FittedCovariateModel {
  private static final long serialVersionUID = 1L;

  private ParetoNbdCovariateModel(List<String> covariates, Estimate estimate) {
    super(covariates, estimate);
  }

  /**
   * Maximum-likelihood fit. {@code cells} maps each distinct covariate vector (in the order of
   * {@code covariates}) to the histogram of its customers.
   */
  public static ParetoNbdCovariateModel fit(List<String> covariates,
      Map<List<Double>, SummaryHistogram> cells) {
    int k = covariates.size();
    CovariateCells data = CovariateCells.of("Pareto/NBD", covariates, cells);
    List<ParetoNbdModel.Data> histograms =
        data.histograms().stream().map(ParetoNbdModel.Data::new).toList();
    ToDoubleFunction<double[]> logLikelihood = p -> {
      double ll = 0;
      for (int c = 0; c < histograms.size(); c++) {
        ll += histograms.get(c).logLikelihood(individual(p, k, data.values().get(c)));
      }
      return ll;
    };
    return new ParetoNbdCovariateModel(covariates,
        estimate("Pareto/NBD with covariates", logLikelihood, BASE, 2 * k,
            data.all().customers()));
  }

  @Override
  public PurchaseModel purchaseModel() {
    return PurchaseModel.PARETO_NBD;
  }

  /** The Pareto/NBD model of a customer with these covariate values. */
  @Override
  public ParetoNbdModel forCustomer(double[] z) {
    CovariateCells.checkCustomer(covariates(), z);
    return individual(params, covariates().size(), z);
  }

  public double s() {
    return params[2];
  }

  public double beta0() {
    return params[3];
  }

  /** γ: the effect of each covariate on the dropout rate. */
  public double[] dropoutCoefficients() {
    return coefficients(1);
  }

  /** Every parameter in the order r, α₀, s, β₀, β, γ. */
  @Override
  public double[] parameters() {
    return super.parameters();
  }

  private static ParetoNbdModel individual(double[] p, int k, double[] z) {
    return new ParetoNbdModel(p[0], p[1] * Math.exp(-CovariateCells.dot(p, BASE, z)), p[2],
        p[3] * Math.exp(-CovariateCells.dot(p, BASE + k, z)));
  }
}
