package dev.audiencesegmenter.clv;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The covariate cells a covariate model is fitted on, checked and in the order of their
 * covariate values, whatever order they were gathered in: the likelihood's sum, and so the fit
 * to its last digits, does not depend on how the cells were combined.
 */
record CovariateCells(List<double[]> values, List<SummaryHistogram> histograms,
    SummaryHistogram all) {

  /**
   * {@code cells} maps each distinct covariate vector (in the order of {@code covariates}) to
   * the histogram of its customers. {@code model} names the model in messages; fails with
   * {@link ClvFitException} when the data has too few repeat buyers to fit.
   */
  static CovariateCells of(String model, List<String> covariates,
      Map<List<Double>, SummaryHistogram> cells) {
    int k = covariates.size();
    if (k == 0) {
      throw new IllegalArgumentException("name at least one covariate; without any, fit "
          + model + " itself");
    }
    List<List<Double>> order = new ArrayList<>(cells.keySet());
    order.sort(CovariateCells::compare);
    List<double[]> values = new ArrayList<>();
    List<SummaryHistogram> histograms = new ArrayList<>();
    SummaryHistogram all = new SummaryHistogram();
    for (List<Double> cell : order) {
      if (cell.size() != k) {
        throw new IllegalArgumentException("covariate cell " + cell + " has " + cell.size()
            + " values for the " + k + " covariates " + covariates);
      }
      double[] z = new double[k];
      for (int i = 0; i < k; i++) {
        z[i] = cell.get(i);
        if (!Double.isFinite(z[i])) {
          throw new IllegalArgumentException("covariate " + covariates.get(i) + " is "
              + z[i] + " in cell " + cell + "; covariates must be finite numbers");
        }
      }
      values.add(z);
      histograms.add(cells.get(cell));
      all.merge(cells.get(cell));
    }
    long repeat = all.repeatCustomers();
    if (repeat < BgNbdModel.MIN_REPEAT_CUSTOMERS) {
      throw new ClvFitException(model + " with covariates needs at least "
          + BgNbdModel.MIN_REPEAT_CUSTOMERS + " customers with a repeat purchase to fit; the "
          + "data has " + repeat + " of " + all.customers() + " customers");
    }
    return new CovariateCells(values, histograms, all);
  }

  /** Checks one customer's covariate values against the model's covariates. */
  static void checkCustomer(List<String> covariates, double[] z) {
    if (z.length != covariates.size()) {
      throw new IllegalArgumentException("got " + z.length + " covariate values for the "
          + covariates.size() + " covariates " + covariates);
    }
  }

  /** z·coefficients, the coefficients from {@code offset} in {@code params}. */
  static double dot(double[] params, int offset, double[] z) {
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      sum += params[offset + i] * z[i];
    }
    return sum;
  }

  private static int compare(List<Double> a, List<Double> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = Double.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
