package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CustomerEvent;

import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Checks the BG/NBD fit out of sample: fits on purchases before {@code calibrationEnd},
 * predicts each customer's repeat purchase days in [calibrationEnd, holdoutEnd) and compares
 * with what they did. Output: one JSON {@link HoldoutReport}. Customers whose first purchase is
 * in the holdout are not part of the calibration cohort and are left out.
 */
public final class ValidateHoldout
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PCollection<String>> {
  private static final TupleTag<PurchaseSummary> SUMMARY = new TupleTag<>("summary");
  private static final TupleTag<Long> ACTUAL = new TupleTag<>("actual");

  private final Instant calibrationEnd;
  private final Instant holdoutEnd;

  private ValidateHoldout(Instant calibrationEnd, Instant holdoutEnd) {
    this.calibrationEnd = calibrationEnd;
    this.holdoutEnd = holdoutEnd;
  }

  /** Both bounds exclusive instants, as {@code --asOf} is; the holdout must be non-empty. */
  public static ValidateHoldout between(Instant calibrationEnd, Instant holdoutEnd) {
    if (calibrationEnd == null || holdoutEnd == null || !holdoutEnd.isAfter(calibrationEnd)) {
      throw new IllegalArgumentException("the holdout must end after the calibration period; "
          + "got calibration end " + calibrationEnd + " and holdout end " + holdoutEnd);
    }
    return new ValidateHoldout(calibrationEnd, holdoutEnd);
  }

  @Override
  public PCollection<String> expand(PCollection<KV<String, CustomerEvent>> events) {
    PCollection<KV<String, PurchaseSummary>> summaries =
        events.apply("Calibration", new SummarizePurchases(calibrationEnd));
    PCollectionView<ValueModels> models = summaries
        .apply("FitModels", new FitValueModels(0, 1, 0))
        .apply("ModelsView", View.asSingleton());
    PCollection<KV<String, Long>> actual = events
        .apply("HoldoutPurchases", ParDo.of(new SummarizePurchases.PurchaseDays(
            calibrationEnd.getMillis(), holdoutEnd.getMillis())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), BigDecimalCoder.of()))
        .apply("HoldoutDays", Combine.perKey(new SummarizePurchases.SumDecimals()))
        .apply("DayKeys", Keys.create())
        .apply("ByCustomer", ParDo.of(new CustomerOfDay()))
        .setCoder(StringUtf8Coder.of())
        .apply("DaysPerCustomer", Count.perElement());
    double holdoutWeeks = holdoutWeeks(calibrationEnd, holdoutEnd);
    return KeyedPCollectionTuple.of(SUMMARY, summaries).and(ACTUAL, actual)
        .apply("JoinOnCustomer", CoGroupByKey.create())
        .apply("PredictAndCompare", ParDo.of(new Compare(models, holdoutWeeks))
            .withSideInputs(models))
        .setCoder(SerializableCoder.of(HoldoutReport.class))
        .apply("AddUp", Combine.globally(new AddUp()).withoutDefaults())
        .apply("ToJson", ParDo.of(new ToJson(calibrationEnd.toString(), holdoutEnd.toString())))
        .setCoder(StringUtf8Coder.of());
  }

  /** Weeks from the calibration end to the holdout end. */
  public static double holdoutWeeks(Instant calibrationEnd, Instant holdoutEnd) {
    return (holdoutEnd.getMillis() - calibrationEnd.getMillis())
        / (double) SummarizePurchases.DAY_MILLIS / 7.0;
  }

  /**
   * The per-customer half, for flows that hold a customer's purchases together: the report of
   * one customer of the calibration cohort, with its calibration statistics and its number of
   * purchase days in the holdout, against {@code models} fitted on the calibration period as
   * {@link #modelSettings} configures them.
   */
  public static HoldoutReport compare(PurchaseSummary calibration, long holdoutDays,
      ValueModels models, double holdoutWeeks) {
    BgNbdModel bg = models.frequency().model();
    return new HoldoutReport().add(calibration.x(), bg.expectedPurchases(holdoutWeeks,
        Math.toIntExact(calibration.x()), calibration.tx(), calibration.t()), holdoutDays);
  }

  /** The models the holdout is predicted with: no discount, margin 1, no penalty. */
  public static PredictCustomerValue modelSettings(Instant calibrationEnd) {
    return PredictCustomerValue.asOf(calibrationEnd).withAnnualDiscountRate(0).withMargin(1);
  }

  /** Adds customers' reports up, in any order. */
  public static Combine.CombineFn<HoldoutReport, HoldoutReport, HoldoutReport> addUp() {
    return new AddUp();
  }

  private static final class CustomerOfDay extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String customerAndDay, OutputReceiver<String> out) {
      out.output(customerAndDay.substring(0, customerAndDay.lastIndexOf('\u0000')));
    }
  }

  private static final class Compare extends DoFn<KV<String, CoGbkResult>, HoldoutReport> {
    private final PCollectionView<ValueModels> models;
    private final double holdoutWeeks;

    Compare(PCollectionView<ValueModels> models, double holdoutWeeks) {
      this.models = models;
      this.holdoutWeeks = holdoutWeeks;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in, ProcessContext c) {
      PurchaseSummary s = in.getValue().getOnly(SUMMARY, null);
      if (s == null) {
        return; // first purchase in the holdout: not in the calibration cohort
      }
      long actual = in.getValue().getOnly(ACTUAL, 0L);
      c.output(compare(s, actual, c.sideInput(models), holdoutWeeks));
    }
  }

  private static final class AddUp
      extends Combine.CombineFn<HoldoutReport, HoldoutReport, HoldoutReport> {
    @Override
    public HoldoutReport createAccumulator() {
      return new HoldoutReport();
    }

    @Override
    public HoldoutReport addInput(HoldoutReport acc, HoldoutReport in) {
      return acc.merge(in);
    }

    @Override
    public HoldoutReport mergeAccumulators(Iterable<HoldoutReport> accs) {
      HoldoutReport merged = new HoldoutReport();
      accs.forEach(merged::merge);
      return merged;
    }

    @Override
    public HoldoutReport extractOutput(HoldoutReport acc) {
      return acc;
    }

    @Override
    public Coder<HoldoutReport> getAccumulatorCoder(CoderRegistry r, Coder<HoldoutReport> c) {
      return SerializableCoder.of(HoldoutReport.class);
    }

    @Override
    public Coder<HoldoutReport> getDefaultOutputCoder(CoderRegistry r, Coder<HoldoutReport> c) {
      return SerializableCoder.of(HoldoutReport.class);
    }
  }

  private static final class ToJson extends DoFn<HoldoutReport, String> {
    private final String calibrationEnd;
    private final String holdoutEnd;

    ToJson(String calibrationEnd, String holdoutEnd) {
      this.calibrationEnd = calibrationEnd;
      this.holdoutEnd = holdoutEnd;
    }

    @ProcessElement
    public void process(@Element HoldoutReport report, OutputReceiver<String> out) {
      out.output(report.toJson(calibrationEnd, holdoutEnd));
    }
  }
}
