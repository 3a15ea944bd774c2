package dev.audiencesegmenter.clv;

/**
 * What a fitted purchase model predicts for a customer with calibration history (x, t_x, T):
 * BG/NBD and Pareto/NBD alike, and a covariate model's model of one customer. Time is in the
 * unit of the histogram the model was fitted on (weeks in the job).
 */
public interface RepeatPurchaseModel {
  /** Probability that a customer with this history is still alive at T. */
  double pAlive(int x, double tx, double t);

  /** Expected purchases in the {@code horizon} after T, given the history. */
  double expectedPurchases(double horizon, int x, double tx, double t);
}
