package dev.audiencesegmenter.clv;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.grouping.TallyFn;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The purchase model with categorical covariates as a run fits it ({@link BgNbdCovariateModel}
 * or {@link ParetoNbdCovariateModel}): each covariate's categories coded as 0/1 variables against its most common category (the
 * baseline, which has none), fitted on one {@link SummaryHistogram} per cell, a distinct
 * combination of categories. A customer's model is the cell's: {@link #forCell}.
 *
 * <p>The cells are combined like the single histogram (any order, counts only), so the fit
 * stays one step on population sums. A covariate with more than {@value #MAX_CATEGORIES}
 * categories is refused: covariates here are categorical (a plan, a channel, a trait).
 */
public final class PurchaseCovariates implements Serializable {
  /** The counter of covariate model fits. */
  public static final String FITS = "covariate_model_fits";
  private static final long serialVersionUID = 1L;

  /** The category of a customer without a value for a covariate. */
  public static final String NONE = "(none)";
  static final int MAX_CATEGORIES = 20;
  static final int MAX_COVARIATES = 4;
  /** The feature columns a covariate can name; any other name is a profile trait. */
  public static final List<String> COLUMNS = List.of("preferred_channel", "preferred_device",
      "preferred_os", "top_category", "country", "city", "company", "industry",
      "consent_email", "consent_sms", "consent_push", "consent_tracking");
  /** {@link #COLUMNS} as one constant, for option descriptions and documentation. */
  public static final String COLUMNS_DOC = "preferred_channel, preferred_device, preferred_os, "
      + "top_category, country, city, company, industry, consent_email, consent_sms, "
      + "consent_push, consent_tracking";

  /**
   * A customer's cell: per covariate, the column's value (a consent as {@code true} or
   * {@code false}) or else the profile trait's, {@value #NONE} when the customer has none.
   */
  public static List<String> cellOf(CustomerFeatures f, List<String> covariates) {
    List<String> cell = new ArrayList<>(covariates.size());
    for (String name : covariates) {
      Object value = switch (name) {
        case "preferred_channel" -> f.getPreferredChannel();
        case "preferred_device" -> f.getPreferredDevice();
        case "preferred_os" -> f.getPreferredOs();
        case "top_category" -> f.getTopCategory();
        case "country" -> f.getCountry();
        case "city" -> f.getCity();
        case "company" -> f.getCompany();
        case "industry" -> f.getIndustry();
        case "consent_email" -> f.getConsentEmail();
        case "consent_sms" -> f.getConsentSms();
        case "consent_push" -> f.getConsentPush();
        case "consent_tracking" -> f.getConsentTracking();
        default -> f.getTraits().get(name);
      };
      cell.add(value == null ? NONE : value.toString());
    }
    return cell;
  }

  private final List<String> covariates;
  /** Per covariate, its categories; the first is the baseline. */
  private final List<List<String>> categories;
  private final CovariatePurchaseModel model;

  private PurchaseCovariates(List<String> covariates, List<List<String>> categories,
      CovariatePurchaseModel model) {
    this.covariates = List.copyOf(covariates);
    this.categories = categories.stream().map(List::copyOf).toList();
    this.model = model;
  }

  /** Sums purchase summaries per cell: the statistics {@link #fit} reads. */
  public static Combine.CombineFn<KV<List<String>, PurchaseSummary>,
      Map<List<String>, SummaryHistogram>, Map<List<String>, SummaryHistogram>> cells() {
    return TallyFn.of(HashMap::new, (cells, in) -> {
      FitValueModels.add(cells.computeIfAbsent(in.getKey(), k -> new SummaryHistogram()),
          in.getValue());
      return cells;
    }, (cells, other) -> {
      other.forEach((cell, h) -> cells.merge(cell, h, SummaryHistogram::merge));
      return cells;
    }, MapCoder.of(ListCoder.of(StringUtf8Coder.of()), new SummaryHistogram.HistogramCoder()));
  }

  /** The customers' histograms merged: what the models without covariates are fitted on. */
  public static SummaryHistogram merged(Map<List<String>, SummaryHistogram> cells) {
    SummaryHistogram all = new SummaryHistogram();
    cells.values().forEach(all::merge);
    return all;
  }

  /** As {@link #fit(List, Map, PurchaseModel)} with BG/NBD. */
  public static PurchaseCovariates fit(List<String> covariates,
      Map<List<String>, SummaryHistogram> cells) {
    return fit(covariates, cells, PurchaseModel.BG_NBD);
  }

  /**
   * Codes the categories of {@code cells} (keyed by one category per covariate, in the order of
   * {@code covariates}) and fits {@code purchaseModel} with them; fails with {@link
   * ClvFitException} when a covariate has a single category or more than {@value
   * #MAX_CATEGORIES}, or when the fit does not converge. Counted in {@value #FITS} (namespace
   * {@link PredictCustomerValue}) when called in a step: a fit may take seconds.
   */
  public static PurchaseCovariates fit(List<String> covariates,
      Map<List<String>, SummaryHistogram> cells, PurchaseModel purchaseModel) {
    Metrics.counter(PredictCustomerValue.class, FITS).inc();
    List<List<String>> categories = new ArrayList<>();
    for (int i = 0; i < covariates.size(); i++) {
      Map<String, Long> customers = new TreeMap<>();
      for (Map.Entry<List<String>, SummaryHistogram> cell : cells.entrySet()) {
        customers.merge(cell.getKey().get(i), cell.getValue().customers(), Long::sum);
      }
      if (customers.size() < 2) {
        throw new ClvFitException("purchase covariate '" + covariates.get(i) + "' has "
            + (customers.isEmpty() ? "no category" : "the single category "
            + customers.keySet().iterator().next()) + " among the customers who bought: "
            + "nothing to fit");
      }
      if (customers.size() > MAX_CATEGORIES) {
        throw new ClvFitException("purchase covariate '" + covariates.get(i) + "' has "
            + customers.size() + " categories among the customers who bought; at most "
            + MAX_CATEGORIES + " (covariates are categorical: a plan, a channel, a trait)");
      }
      // the most common category first (the baseline; a tie goes to the first by name), the
      // others by name
      List<String> ordered = new ArrayList<>(customers.keySet());
      String baseline = ordered.get(0);
      for (String category : ordered) {
        if (customers.get(category) > customers.get(baseline)) {
          baseline = category;
        }
      }
      ordered.remove(baseline);
      ordered.add(0, baseline);
      categories.add(ordered);
    }
    List<String> variables = variables(covariates, categories);
    Map<List<Double>, SummaryHistogram> coded = new HashMap<>();
    cells.forEach((cell, histogram) -> {
      List<Double> z = new ArrayList<>();
      for (double v : code(categories, cell)) {
        z.add(v);
      }
      coded.merge(z, new SummaryHistogram().merge(histogram), SummaryHistogram::merge);
    });
    return new PurchaseCovariates(covariates, categories,
        purchaseModel == PurchaseModel.PARETO_NBD ? ParetoNbdCovariateModel.fit(variables, coded)
            : BgNbdCovariateModel.fit(variables, coded));
  }

  /** The 0/1 variables' names, {@code covariate=category}, in the model's order. */
  private static List<String> variables(List<String> covariates,
      List<List<String>> categories) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < covariates.size(); i++) {
      for (String category : categories.get(i).subList(1, categories.get(i).size())) {
        names.add(covariates.get(i) + "=" + category);
      }
    }
    return names;
  }

  /** A cell's 0/1 values; a category not seen in the fit counts as the baseline. */
  private static double[] code(List<List<String>> categories, List<String> cell) {
    int size = 0;
    for (List<String> c : categories) {
      size += c.size() - 1;
    }
    double[] z = new double[size];
    int offset = 0;
    for (int i = 0; i < categories.size(); i++) {
      int index = categories.get(i).indexOf(cell.get(i));
      if (index > 0) {
        z[offset + index - 1] = 1;
      }
      offset += categories.get(i).size() - 1;
    }
    return z;
  }

  /** The purchase model of the customers of {@code cell} (one category per covariate). */
  public RepeatPurchaseModel forCell(List<String> cell) {
    if (cell.size() != covariates.size()) {
      throw new IllegalArgumentException("cell " + cell + " has " + cell.size()
          + " categories for the " + covariates.size() + " covariates " + covariates);
    }
    return model.forCustomer(code(categories, cell));
  }

  public List<String> covariates() {
    return covariates;
  }

  /** Per covariate, its categories, the baseline first. */
  public List<List<String>> categories() {
    return categories;
  }

  public CovariatePurchaseModel model() {
    return model;
  }

  /**
   * The model's name in {@code model/clv.json} and the holdout report: the purchase model's
   * with {@code _covariates}, e.g. {@code bg_nbd_covariates}.
   */
  public String name() {
    return nameOf(model.purchaseModel());
  }

  /** The name of {@code purchaseModel} with covariates, e.g. {@code pareto_nbd_covariates}. */
  public static String nameOf(PurchaseModel purchaseModel) {
    return purchaseModel.jsonName() + "_covariates";
  }

  /**
   * The purchase model of a covariate model's {@link #name()}; null for a name without
   * covariates ({@code bg_nbd}).
   */
  public static @Nullable PurchaseModel baseOf(String name) {
    for (PurchaseModel m : PurchaseModel.values()) {
      if (nameOf(m).equals(name)) {
        return m;
      }
    }
    return null;
  }

  /**
   * The covariates, their baselines, the 0/1 variables and the fitted parameters with their
   * standard errors (null where the Hessian cannot give one), as the {@code bg_nbd_covariates}
   * (or {@code pareto_nbd_covariates}) object of {@code model/clv.json}.
   */
  public String toJson() {
    List<String> variables = model.covariates();
    double[] p = model.parameters();
    int k = variables.size();
    Map<String, Object> doc = new LinkedHashMap<>();
    List<Map<String, Object>> named = new ArrayList<>();
    for (int i = 0; i < covariates.size(); i++) {
      Map<String, Object> covariate = new LinkedHashMap<>();
      covariate.put("name", covariates.get(i));
      covariate.put("baseline", categories.get(i).get(0));
      covariate.put("categories", categories.get(i));
      named.add(covariate);
    }
    doc.put("covariates", named);
    doc.put("variables", variables);
    doc.put("r", p[0]);
    doc.put("alpha0", p[1]);
    if (model.purchaseModel() == PurchaseModel.PARETO_NBD) {
      doc.put("s", p[2]);
      doc.put("beta0", p[3]);
      doc.put("purchase_coefficients", finite(p, 4, k));
      doc.put("dropout_coefficients", finite(p, 4 + k, k));
    } else {
      doc.put("a0", p[2]);
      doc.put("b0", p[3]);
      doc.put("purchase_coefficients", finite(p, 4, k));
      doc.put("dropout_a_coefficients", finite(p, 4 + k, k));
      doc.put("dropout_b_coefficients", finite(p, 4 + 2 * k, k));
    }
    double[] se = model.standardErrors();
    doc.put("standard_errors", finite(se, 0, se.length));
    FitDiagnostics d = model.diagnostics();
    doc.put("customers", d.customers());
    doc.put("evaluations", d.evaluations());
    doc.put("converged", d.converged());
    doc.put("mean_log_likelihood", d.meanLogLikelihood());
    try {
      return new ObjectMapper().writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the covariate model as JSON", e);
    }
  }

  /** JSON has no NaN: a value the fit cannot give is null. */
  private static List<Double> finite(double[] values, int from, int count) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(Double.isFinite(values[from + i]) ? values[from + i] : null);
    }
    return out;
  }
}
