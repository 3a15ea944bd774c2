package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.grouping.TallyFn;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The population-level half of {@link PredictCustomerValue}: customers' {@link PurchaseSummary}
 * rows combined into one {@link SummaryHistogram} ({@link #histogram()}, mergeable in any
 * order), and the models fitted on it once ({@link #fit}). Per customer, {@link
 * ValueModels#predict} then gives the value columns.
 */
public final class ValueModelFit implements Serializable {
  private static final long serialVersionUID = 1L;

  private final PurchaseModel purchaseModel;
  private final double discount;
  private final double margin;
  private final double penalizer;

  private ValueModelFit(PurchaseModel purchaseModel, double discount, double margin,
      double penalizer) {
    this.purchaseModel = purchaseModel;
    this.discount = discount;
    this.margin = margin;
    this.penalizer = penalizer;
  }

  /** With the purchase model, discount rate, margin and penalizer of {@code config}. */
  public static ValueModelFit of(PredictCustomerValue config) {
    return new ValueModelFit(config.getPurchaseModel(), config.getAnnualDiscountRate(),
        config.getMargin(), config.getPenalizer());
  }

  /** The models fitted on the histogram; a fit the data cannot support throws. */
  public ValueModels fit(SummaryHistogram histogram) {
    return FitValueModels.fit(histogram, purchaseModel, discount, margin, penalizer);
  }

  /** The models fitted once per histogram, as a step; counts {@code model_fits}. */
  public DoFn<SummaryHistogram, ValueModels> fitFn() {
    return new FitFn(this);
  }

  private static final class FitFn extends DoFn<SummaryHistogram, ValueModels> {
    private final ValueModelFit fit;
    private final Counter fits = Metrics.counter(PredictCustomerValue.class, "model_fits");

    FitFn(ValueModelFit fit) {
      this.fit = fit;
    }

    @ProcessElement
    public void process(@Element SummaryHistogram h, OutputReceiver<ValueModels> out) {
      fits.inc();
      out.output(fit.fit(h));
    }
  }

  /**
   * As {@link #fitFn()}, with the purchase model the backtest's report (a singleton side input)
   * chose, and that report in {@code model/clv.json}.
   */
  public ParDo.SingleOutput<SummaryHistogram, ValueModels> fitFnChoosingOn(
      PCollectionView<HoldoutReport> backtest, Instant calibrationEnd, Instant holdoutEnd) {
    return ParDo.of(new ChoosingFitFn(this, backtest, calibrationEnd.toString(),
        holdoutEnd.toString(), List.of(), null, null)).withSideInputs(backtest);
  }

  /**
   * As {@link #fitFnChoosingOn(PCollectionView, Instant, Instant)}, where the backtest's report
   * may also choose a purchase model with {@code covariates} ({@link PurchaseCovariates#name()}):
   * that model is then fitted on {@code cells}, the histograms of the customers' covariate
   * cells, and added to the run's models.
   */
  public ParDo.SingleOutput<SummaryHistogram, ValueModels> fitFnChoosingOn(
      PCollectionView<HoldoutReport> backtest, Instant calibrationEnd, Instant holdoutEnd,
      List<String> covariates, PCollectionView<Map<List<String>, SummaryHistogram>> cells) {
    return ParDo.of(new ChoosingFitFn(this, backtest, calibrationEnd.toString(),
        holdoutEnd.toString(), covariates, cells, null)).withSideInputs(backtest, cells);
  }

  /**
   * As {@link #fitFnChoosingOn(PCollectionView, Instant, Instant, List, PCollectionView)},
   * taking a chosen covariate model from {@code fitted} (fitted on the same {@code cells},
   * e.g. for a holdout) instead of fitting it again.
   */
  public ParDo.SingleOutput<SummaryHistogram, ValueModels> fitFnChoosingOn(
      PCollectionView<HoldoutReport> backtest, Instant calibrationEnd, Instant holdoutEnd,
      List<String> covariates, PCollectionView<Map<List<String>, SummaryHistogram>> cells,
      PCollectionView<CovariateCandidates> fitted) {
    return ParDo.of(new ChoosingFitFn(this, backtest, calibrationEnd.toString(),
        holdoutEnd.toString(), covariates, cells, fitted))
        .withSideInputs(backtest, cells, fitted);
  }

  private static final class ChoosingFitFn extends DoFn<SummaryHistogram, ValueModels> {
    private final ValueModelFit fit;
    private final PCollectionView<HoldoutReport> backtest;
    private final String calibrationEnd;
    private final String holdoutEnd;
    private final List<String> covariates;
    private final @Nullable PCollectionView<Map<List<String>, SummaryHistogram>> cells;
    private final @Nullable PCollectionView<CovariateCandidates> fitted;
    private final Counter fits = Metrics.counter(PredictCustomerValue.class, "model_fits");

    ChoosingFitFn(ValueModelFit fit, PCollectionView<HoldoutReport> backtest,
        String calibrationEnd, String holdoutEnd, List<String> covariates,
        @Nullable PCollectionView<Map<List<String>, SummaryHistogram>> cells,
        @Nullable PCollectionView<CovariateCandidates> fitted) {
      this.fit = fit;
      this.fitted = fitted;
      this.backtest = backtest;
      this.calibrationEnd = calibrationEnd;
      this.holdoutEnd = holdoutEnd;
      this.covariates = covariates;
      this.cells = cells;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      fits.inc();
      HoldoutReport report = c.sideInput(backtest);
      // nothing fitted on the backtest (too short for BG/NBD): the configured model stays
      String chosen = Double.isNaN(report.meanAbsoluteError())
          ? fit.purchaseModel.jsonName() : report.chosen();
      PurchaseModel withCovariates = PurchaseCovariates.baseOf(chosen);
      PurchaseModel base = withCovariates != null ? withCovariates : PurchaseModel.parse(chosen);
      ValueModels models = new ValueModelFit(base, fit.discount, fit.margin, fit.penalizer)
          .fit(c.element());
      if (withCovariates != null) {
        PurchaseCovariates shared = fitted == null ? null
            : c.sideInput(fitted).fitted(withCovariates);
        models = models.withCovariates(shared != null ? shared
            : PurchaseCovariates.fit(covariates, c.sideInput(cells), withCovariates));
      }
      c.output(models.withBacktest(report.toJson(calibrationEnd, holdoutEnd)));
    }
  }

  /** Combines purchase summaries into the histogram the models are fitted on. */
  public static Combine.CombineFn<PurchaseSummary, SummaryHistogram, SummaryHistogram>
      histogram() {
    return TallyFn.of(SummaryHistogram::new, FitValueModels::add, SummaryHistogram::merge,
        new SummaryHistogram.HistogramCoder());
  }

}
