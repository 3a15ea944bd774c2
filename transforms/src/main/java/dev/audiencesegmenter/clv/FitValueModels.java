package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.grouping.TallyFn;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Combines customer summaries into one {@link SummaryHistogram} and fits the value models on
 * it, once: a single {@link ValueModels} element.
 */
final class FitValueModels
    extends PTransform<PCollection<KV<String, PurchaseSummary>>, PCollection<ValueModels>> {
  private static final Logger LOG = LoggerFactory.getLogger(FitValueModels.class);
  private final ValueModelFit fit;

  FitValueModels(ValueModelFit fit) {
    this.fit = fit;
  }

  @Override
  public PCollection<ValueModels> expand(PCollection<KV<String, PurchaseSummary>> summaries) {
    return summaries
        .apply("Histogram", Combine.globally(TallyFn.<KV<String, PurchaseSummary>,
            SummaryHistogram>of(SummaryHistogram::new, (h, in) -> add(h, in.getValue()),
            SummaryHistogram::merge, new SummaryHistogram.HistogramCoder())).withoutDefaults())
        .apply("Fit", ParDo.of(fit.fitFn()))
        .setCoder(SerializableCoder.of(ValueModels.class));
  }

  /** Adds one customer's statistics to the histogram the models are fitted on. */
  static SummaryHistogram add(SummaryHistogram h, PurchaseSummary s) {
    return h.add(Math.toIntExact(s.x()), s.tx(), s.t(),
        s.meanRepeatValue() == null ? null : s.meanRepeatValue().doubleValue());
  }

  /**
   * BG/NBD, Gamma-Gamma and, when it is the purchase model, Pareto/NBD, fitted on one
   * histogram.
   */
  static ValueModels fit(SummaryHistogram h, PurchaseModel purchaseModel, double discount,
      double margin, double penalizer) {
    BgNbdModel.Fit bgNbd = BgNbdModel.fit(h, penalizer);
    ParetoNbdModel.Fit pareto =
        purchaseModel == PurchaseModel.PARETO_NBD ? ParetoNbdModel.fit(h, penalizer) : null;
    GammaGammaModel.Fit gammaGamma = GammaGammaModel.fit(h, penalizer);
    warnIfUnconverged("BG/NBD", bgNbd.diagnostics());
    if (pareto != null) {
      warnIfUnconverged("Pareto/NBD", pareto.diagnostics());
    }
    warnIfUnconverged("Gamma-Gamma", gammaGamma.diagnostics());
    return new ValueModels(bgNbd, pareto, gammaGamma, discount, margin, null, null);
  }

  /**
   * The run keeps a fit whose search ran out of evaluations: the likelihood is then all but flat
   * along some direction, and the predictions change little along it; {@code model/clv.json}
   * says {@code "converged": false}, and so does this. (A holdout or backtest leaves such a
   * Pareto/NBD fit out, see {@link HoldoutModels#of}, but scores such a BG/NBD fit: it is the
   * model the run uses.)
   */
  private static void warnIfUnconverged(String model, FitDiagnostics diagnostics) {
    if (!diagnostics.converged()) {
      LOG.warn("{} did not converge in {} evaluations of its likelihood ({} customers); the "
          + "run uses the best point found (model/clv.json: \"converged\": false)", model,
          diagnostics.evaluations(), diagnostics.customers());
    }
  }
}
