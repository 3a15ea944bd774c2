package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.List;

/**
 * A purchase model with time-invariant covariates, fitted by maximum likelihood on one
 * histogram per covariate cell: {@link BgNbdCovariateModel} or {@link
 * ParetoNbdCovariateModel}. A customer's model is the one of their covariate values.
 */
public interface CovariatePurchaseModel extends Serializable {
  /** The model without covariates that this one extends. */
  PurchaseModel purchaseModel();

  /** The covariates' names, in the order of a customer's values. */
  List<String> covariates();

  /** The model of a customer with these covariate values. */
  RepeatPurchaseModel forCustomer(double[] z);

  /** Every parameter; {@link #standardErrors()} and {@link #covariance()} follow its order. */
  double[] parameters();

  /** Asymptotic standard errors; NaN where the Hessian is singular at the optimum. */
  double[] standardErrors();

  /**
   * The parameters' asymptotic covariance matrix (the inverse of the observed information);
   * all NaN when the Hessian is singular at the optimum.
   */
  double[][] covariance();

  FitDiagnostics diagnostics();
}
