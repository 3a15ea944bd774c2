package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.grouping.TallyFn;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Combines customer summaries into one {@link SummaryHistogram} and fits the value models on
 * it, once: a single {@link ValueModels} element.
 */
final class FitValueModels
    extends PTransform<PCollection<KV<String, PurchaseSummary>>, PCollection<ValueModels>> {
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
    return new ValueModels(BgNbdModel.fit(h, penalizer),
        purchaseModel == PurchaseModel.PARETO_NBD ? ParetoNbdModel.fit(h, penalizer) : null,
        GammaGammaModel.fit(h, penalizer), discount, margin, null, null);
  }
}
