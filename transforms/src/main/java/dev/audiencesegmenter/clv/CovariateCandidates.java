package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The covariate models a holdout or backtest scores beside the purchase models: per purchase
 * model of {@code bases}, that model with the run's covariates ({@link PurchaseCovariates}),
 * or null where the data could not support its fit (its predictions are then NaN, as for a
 * purchase model that could not be fitted). Named {@link #names}, in the same order.
 */
public final class CovariateCandidates implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CovariateCandidates.class);

  private final List<PurchaseModel> bases;
  private final List<@Nullable PurchaseCovariates> fitted;
  /** Why a candidate was not fitted, by its name. */
  private final Map<String, String> notFitted;

  private CovariateCandidates(List<PurchaseModel> bases,
      List<@Nullable PurchaseCovariates> fitted, Map<String, String> notFitted) {
    this.bases = List.copyOf(bases);
    this.fitted = Collections.unmodifiableList(new ArrayList<>(fitted));
    this.notFitted = Map.copyOf(notFitted);
  }

  /** Fits each of {@code bases} with {@code covariates} on {@code cells}; see the class. */
  public static CovariateCandidates fit(List<String> covariates,
      Map<List<String>, SummaryHistogram> cells, List<PurchaseModel> bases) {
    List<@Nullable PurchaseCovariates> fitted = new ArrayList<>();
    Map<String, String> notFitted = new TreeMap<>();
    for (PurchaseModel base : bases) {
      try {
        fitted.add(PurchaseCovariates.fit(covariates, cells, base));
      } catch (ClvFitException e) {
        // the report lists it as not fitted, with this reason
        LOG.warn("{} not fitted: {}", PurchaseCovariates.nameOf(base), e.getMessage());
        notFitted.put(PurchaseCovariates.nameOf(base), e.getMessage());
        fitted.add(null);
      }
    }
    return new CovariateCandidates(bases, fitted, notFitted);
  }

  /** {@code base} with the covariates as fitted here; null if not a candidate or not fitted. */
  public @Nullable PurchaseCovariates fitted(PurchaseModel base) {
    int index = bases.indexOf(base);
    return index < 0 ? null : fitted.get(index);
  }

  /** The one covariate model a run fitted. */
  public static CovariateCandidates of(PurchaseCovariates fitted) {
    return new CovariateCandidates(List.of(fitted.model().purchaseModel()),
        Collections.singletonList(fitted), Map.of());
  }

  /** The candidates' names, e.g. {@code bg_nbd_covariates}: the order of {@link #forCell}. */
  public static List<String> names(List<PurchaseModel> bases) {
    return bases.stream().map(PurchaseCovariates::nameOf).toList();
  }

  /** Each candidate's model of the customers of {@code cell}; null for one not fitted. */
  public List<@Nullable RepeatPurchaseModel> forCell(List<String> cell) {
    List<@Nullable RepeatPurchaseModel> models = new ArrayList<>();
    for (PurchaseCovariates candidate : fitted) {
      models.add(candidate == null ? null : candidate.forCell(cell));
    }
    return models;
  }

  /** Why candidates were not fitted, by name ({@link #names}); empty when all were. */
  public Map<String, String> notFitted() {
    return notFitted;
  }

  /** The purchase models with covariates, in the order of {@link #forCell}. */
  public List<PurchaseModel> bases() {
    return bases;
  }
}
