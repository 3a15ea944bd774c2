package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.grouping.TallyFn;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerEventCoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Checks the purchase models out of sample: fits BG/NBD and Pareto/NBD on purchases before
 * {@code calibrationEnd}, predicts each customer's repeat purchase days in
 * [calibrationEnd, holdoutEnd) with each, and compares with what they did. Output: one JSON
 * {@link HoldoutReport}, the models side by side. Customers whose first purchase is
 * in the holdout are not part of the calibration cohort and are left out.
 *
 * <pre>{@code
 * PCollection<String> report = keyedEvents.apply(ValidateHoldout.between(
 *     Instant.parse("2024-04-01T00:00:00Z"), Instant.parse("2024-07-01T00:00:00Z")));
 * }</pre>
 *
 * <p>Purchases go to groups of customers (a hash of the customer id over a fixed number of
 * groups) in one shuffle, and each customer is folded there: few, large groups, because the
 * Direct runner cuts one bundle per key after a shuffle. A worker holds one group's customers
 * at a time, one entry per purchase day.
 */
public final class ValidateHoldout
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PCollection<String>> {
  /** Groups of customers the purchases are folded in. */
  private static final int CUSTOMER_GROUPS = 16;

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
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("calibrationEnd", calibrationEnd.toString()))
        .add(DisplayData.item("holdoutEnd", holdoutEnd.toString()));
  }

  @Override
  public PCollection<String> expand(PCollection<KV<String, CustomerEvent>> events) {
    // KV(calibration statistics, holdout purchases), one per customer of the cohort.
    PCollection<KV<PurchaseSummary, HoldoutPurchases.Outcome>> cohort = events
        .apply("PurchasesToGroups", ParDo.of(new ToGroup(holdoutEnd.getMillis())))
        .setCoder(KvCoder.of(VarIntCoder.of(),
            KvCoder.of(StringUtf8Coder.of(), CustomerEventCoder.of())))
        .apply("GroupCustomers", GroupByKey.create())
        .apply("FoldCustomers", ParDo.of(new FoldCustomers(calibrationEnd, holdoutEnd)))
        .setCoder(KvCoder.of(ValueCoders.purchaseSummary(), ValueCoders.holdoutOutcome()));
    PCollectionView<HoldoutModels> models = cohort
        .apply("Calibration", Keys.create())
        .setCoder(ValueCoders.purchaseSummary())
        .apply("Histogram", Combine.globally(ValueModelFit.histogram()).withoutDefaults())
        .apply("FitModels", fitModels(calibrationEnd));
    double holdoutWeeks = holdoutWeeks(calibrationEnd, holdoutEnd);
    return cohort
        .apply("PredictAndCompare", ParDo.of(new Compare(models, holdoutWeeks))
            .withSideInputs(models))
        .setCoder(HoldoutReport.coder())
        .apply("AddUp", Combine.globally(addUp()).withoutDefaults())
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
   * one customer of the calibration cohort, with its calibration statistics and its purchases
   * in the holdout, against every model of {@code models} (see {@link #fitModels}). A model's
   * predicted spend is its expected purchase days times Gamma-Gamma's expected value of one.
   */
  public static HoldoutReport compare(PurchaseSummary calibration,
      HoldoutPurchases.Outcome holdout, HoldoutModels models, double holdoutWeeks) {
    return compare(calibration, holdout, models, List.of(), List.of(), holdoutWeeks);
  }

  /**
   * As {@link #compare(PurchaseSummary, HoldoutPurchases.Outcome, HoldoutModels, double)}, and
   * also covariate models after the others: {@code covariateNames} (see {@link
   * PurchaseCovariates#name()}) and, in the same order, {@code covariateModels}, each the model
   * of the customer's covariate cell (see {@link PurchaseCovariates#forCell}), or null for a
   * model that could not be fitted (its predictions are then NaN).
   */
  public static HoldoutReport compare(PurchaseSummary calibration,
      HoldoutPurchases.Outcome holdout, HoldoutModels models, List<String> covariateNames,
      List<? extends @Nullable RepeatPurchaseModel> covariateModels, double holdoutWeeks) {
    if (covariateNames.size() != covariateModels.size()) {
      throw new IllegalArgumentException("one covariate model per name: got "
          + covariateModels.size() + " models for " + covariateNames);
    }
    double[][] byWeek = models.cumulativeExpectedPurchases(calibration, holdoutWeeks);
    double[] pAlive = models.pAlive(calibration);
    int x = Math.toIntExact(calibration.x());
    for (RepeatPurchaseModel model : covariateModels) {
      for (int w = 0; w < byWeek.length; w++) {
        double weeks = w == byWeek.length - 1 ? holdoutWeeks : w + 1;
        byWeek[w] = withOneMore(byWeek[w], model == null ? Double.NaN
            : model.expectedPurchases(weeks, x, calibration.tx(), calibration.t()));
      }
      pAlive = withOneMore(pAlive, model == null ? Double.NaN
          : model.pAlive(x, calibration.tx(), calibration.t()));
    }
    double[] purchases = byWeek[byWeek.length - 1]; // the last point is the holdout's end
    double value = models.expectedValuePerPurchase(calibration);
    double[] spend = new double[purchases.length];
    for (int m = 0; m < purchases.length; m++) {
      spend[m] = purchases[m] * value;
    }
    return report(covariateNames).notFitted(models.notFitted())
        .add(calibration.x(), holdout.days(), purchases)
        .addPAlive(holdout.days() > 0, pAlive)
        .addSpend(holdout.spend().doubleValue(), spend)
        .addCumulative(holdout, byWeek, holdoutWeeks);
  }

  private static double[] withOneMore(double[] values, double last) {
    double[] out = Arrays.copyOf(values, values.length + 1);
    out[values.length] = last;
    return out;
  }

  /** An empty report of the purchase models, and of the covariate models named after them. */
  public static HoldoutReport report(List<String> covariateModels) {
    List<String> models = new ArrayList<>(HoldoutReport.MODELS);
    models.addAll(covariateModels);
    return new HoldoutReport(models);
  }

  /**
   * The models of {@link HoldoutReport#MODELS} fitted on the calibration histogram (one
   * element), as {@link #modelSettings} configures them, as a singleton view. Counter
   * {@code holdout_models_not_fitted}: models the data could not support.
   */
  public static PTransform<PCollection<SummaryHistogram>, PCollectionView<HoldoutModels>>
      fitModels(Instant calibrationEnd) {
    ValueModelFit fit = ValueModelFit.of(modelSettings(calibrationEnd));
    return new PTransform<>() {
      @Override
      public PCollectionView<HoldoutModels> expand(PCollection<SummaryHistogram> histogram) {
        return histogram
            .apply("Fit", ParDo.of(new FitHoldoutModels(fit, false)))
            .setCoder(SerializableCoder.of(HoldoutModels.class))
            .apply("View", View.asSingleton());
      }
    };
  }

  /**
   * The models of {@link HoldoutReport#MODELS} fitted on a backtest's calibration histogram,
   * purchases before {@code from}, for the backtest that chooses a run's purchase model: as
   * {@link #fitModels}, but a BG/NBD fit the data cannot support leaves every model out ({@link
   * HoldoutModels#tryFit}) instead of failing the run. Counter {@code backtest_not_fitted}
   * (namespace {@link PredictCustomerValue}): 1 when that happened.
   */
  public static DoFn<SummaryHistogram, HoldoutModels> backtestModelsFn(Instant from) {
    return new FitHoldoutModels(ValueModelFit.of(modelSettings(from)), true);
  }

  private static final class FitHoldoutModels extends DoFn<SummaryHistogram, HoldoutModels> {
    private final ValueModelFit fit;
    private final boolean backtest;
    // As ValueModelFit's own step counts its fits: the holdout's value models are one of them.
    private final Counter fits = Metrics.counter(PredictCustomerValue.class, "model_fits");
    private final Counter notFitted =
        Metrics.counter(ValidateHoldout.class, "holdout_models_not_fitted");
    private final Counter backtestNotFitted =
        Metrics.counter(PredictCustomerValue.class, "backtest_not_fitted");

    FitHoldoutModels(ValueModelFit fit, boolean backtest) {
      this.fit = fit;
      this.backtest = backtest;
    }

    @ProcessElement
    public void process(@Element SummaryHistogram histogram, OutputReceiver<HoldoutModels> out) {
      if (backtest) {
        HoldoutModels models = HoldoutModels.tryFit(histogram, fit);
        if (models.valueModels() == null) {
          backtestNotFitted.inc();
        }
        out.output(models);
        return;
      }
      fits.inc();
      HoldoutModels models = HoldoutModels.fit(histogram, fit);
      if (models.paretoNbd() == null) {
        notFitted.inc();
      }
      out.output(models);
    }
  }

  /** The models the holdout is predicted with: no discount, margin 1, no penalty. */
  public static PredictCustomerValue modelSettings(Instant calibrationEnd) {
    return PredictCustomerValue.create().withAsOf(calibrationEnd).withAnnualDiscountRate(0)
        .withMargin(1);
  }

  /** Adds customers' reports of the purchase models up, in any order. */
  public static Combine.CombineFn<HoldoutReport, HoldoutReport, HoldoutReport> addUp() {
    return addUp(List.of());
  }

  /**
   * Adds customers' reports up, in any order: reports of the purchase models and of the
   * covariate models named (see {@link #report}).
   */
  public static Combine.CombineFn<HoldoutReport, HoldoutReport, HoldoutReport> addUp(
      List<String> covariateModels) {
    return TallyFn.of(() -> report(covariateModels), HoldoutReport::merge,
        HoldoutReport::merge, HoldoutReport.coder());
  }

  /** A purchase before the holdout end to its customer's group; nothing else counts. */
  private static final class ToGroup
      extends DoFn<KV<String, CustomerEvent>, KV<Integer, KV<String, CustomerEvent>>> {
    private final long holdoutEnd;

    ToGroup(long holdoutEnd) {
      this.holdoutEnd = holdoutEnd;
    }

    @ProcessElement
    public void process(@Element KV<String, CustomerEvent> e,
        OutputReceiver<KV<Integer, KV<String, CustomerEvent>>> out) {
      if (SummarizePurchases.purchaseRevenue(e.getValue(), Long.MIN_VALUE, holdoutEnd) != null) {
        out.output(KV.of(Math.floorMod(e.getKey().hashCode(), CUSTOMER_GROUPS), e));
      }
    }
  }

  /**
   * Each customer of a group: its calibration statistics ({@link CustomerPurchases}, what
   * {@link SummarizePurchases} computes) and its purchases in the holdout ({@link
   * HoldoutPurchases}), whatever their revenue. Customers without a purchase before
   * calibrationEnd are not in the cohort.
   */
  private static final class FoldCustomers extends DoFn<KV<Integer,
      Iterable<KV<String, CustomerEvent>>>, KV<PurchaseSummary, HoldoutPurchases.Outcome>> {
    private final Instant calibrationEnd;
    private final long holdoutEnd;

    FoldCustomers(Instant calibrationEnd, Instant holdoutEnd) {
      this.calibrationEnd = calibrationEnd;
      this.holdoutEnd = holdoutEnd.getMillis();
    }

    private static final class Customer {
      final CustomerPurchases calibration;
      final HoldoutPurchases holdout;

      Customer(CustomerPurchases calibration, long holdoutStart) {
        this.calibration = calibration;
        this.holdout = new HoldoutPurchases(holdoutStart);
      }
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, CustomerEvent>>> group,
        OutputReceiver<KV<PurchaseSummary, HoldoutPurchases.Outcome>> out) {
      Map<String, Customer> customers = new HashMap<>();
      for (KV<String, CustomerEvent> e : group.getValue()) {
        Customer c = customers.computeIfAbsent(e.getKey(), id -> new Customer(
            new CustomerPurchases(calibrationEnd), calibrationEnd.getMillis()));
        CustomerEvent event = e.getValue();
        c.calibration.add(event);
        if (SummarizePurchases.purchaseRevenue(event, calibrationEnd.getMillis(), holdoutEnd)
            != null) {
          c.holdout.add(event);
        }
      }
      for (Customer c : customers.values()) {
        PurchaseSummary calibration = c.calibration.summary();
        if (calibration != null) { // else the first purchase is in the holdout
          out.output(KV.of(calibration, c.holdout.outcome()));
        }
      }
    }
  }

  private static final class Compare
      extends DoFn<KV<PurchaseSummary, HoldoutPurchases.Outcome>, HoldoutReport> {
    private final PCollectionView<HoldoutModels> models;
    private final double holdoutWeeks;

    Compare(PCollectionView<HoldoutModels> models, double holdoutWeeks) {
      this.models = models;
      this.holdoutWeeks = holdoutWeeks;
    }

    @ProcessElement
    public void process(@Element KV<PurchaseSummary, HoldoutPurchases.Outcome> customer,
        ProcessContext c) {
      c.output(compare(customer.getKey(), customer.getValue(), c.sideInput(models),
          holdoutWeeks));
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
