package dev.audiencesegmenter.clv;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.model.CustomerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Predicts each customer's value from their purchases before {@code asOf}: BG/NBD (or
 * Pareto/NBD, {@link #withPurchaseModel}) for future purchases and P(alive), Gamma-Gamma for the
 * value per purchase.
 *
 * <pre>{@code
 * PredictCustomerValue.Result value = keyedEvents.apply(
 *     PredictCustomerValue.create().withAsOf(asOf).withAnnualDiscountRate(0.10).withMargin(0.3));
 * value.getValues();     // customer id -> P(alive), expected purchases, predicted value
 * value.getModelJson();  // the fitted models as one JSON document
 * }</pre>
 *
 * <p>Purchases on the same UTC day are one transaction (the convention of the models' papers):
 * x is the number of purchase days after the first, t_x the weeks from the first to the last
 * purchase day, T the weeks from the first purchase day to the last day before asOf, and the
 * mean repeat value the mean revenue of the x later days. Refunds are not netted here.
 *
 * <p>Customers are summarized with two {@code Combine.perKey} steps (per customer and day, then
 * per customer), the summaries are combined into a {@link SummaryHistogram} of distinct
 * triples, the models are fitted once on it, and the fitted models reach every worker as a side
 * input to score each customer: no customer's purchases are ever held together, and nothing but
 * the fitted parameters is global. A fit the data cannot support fails the run with a {@link
 * ClvFitException} naming the counts.
 */
@AutoValue
public abstract class PredictCustomerValue
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PredictCustomerValue.Result> {

  /** The time the predictions are made at (exclusive); set by {@link #withAsOf}. */
  public abstract @Nullable Instant getAsOf();

  public abstract double getAnnualDiscountRate();

  public abstract double getMargin();

  public abstract double getPenalizer();

  /** The model behind P(alive) and the expected purchases; default BG/NBD. */
  public abstract PurchaseModel getPurchaseModel();

  /**
   * When set, the purchase model is chosen on a backtest of this length before asOf (see
   * {@link #withPurchaseModelChosenOnBacktest}); null: {@link #getPurchaseModel()} is used.
   */
  public abstract @Nullable Duration getPurchaseModelBacktest();

  /** How often subscriptions renew, for the sBG churn model of subscribers; default 30 days. */
  public abstract Duration getSubscriptionPeriod();

  /**
   * The categorical columns or profile traits BG/NBD's purchase and dropout rates depend on
   * ({@link #withPurchaseCovariates}); empty: none.
   */
  public abstract List<String> getPurchaseCovariates();

  abstract Builder toBuilder();

  /** 10% annual discount rate, margin 1; give the time with {@link #withAsOf}. */
  public static PredictCustomerValue create() {
    return new AutoValue_PredictCustomerValue.Builder()
        .setAnnualDiscountRate(0.10).setMargin(1.0).setPenalizer(0.0)
        .setPurchaseModel(PurchaseModel.BG_NBD).setPurchaseCovariates(List.of())
        .setSubscriptionPeriod(Duration.standardDays(30)).build();
  }

  /** Predictions as of {@code asOf} (exclusive: events at or after it are not counted). */
  public PredictCustomerValue withAsOf(Instant asOf) {
    if (asOf == null) {
      throw new IllegalArgumentException("PredictCustomerValue: asOf must not be null");
    }
    return toBuilder().setAsOf(asOf).build();
  }

  /** Annual rate future margin is discounted at, in [0, 1); default 0.10. */
  public PredictCustomerValue withAnnualDiscountRate(double rate) {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("annual discount rate must be in [0, 1), got " + rate);
    }
    return toBuilder().setAnnualDiscountRate(rate).build();
  }

  /** Share of revenue that is margin, in (0, 1]; default 1 (lifetime value as revenue). */
  public PredictCustomerValue withMargin(double margin) {
    if (!(margin > 0 && margin <= 1)) {
      throw new IllegalArgumentException("margin must be in (0, 1], got " + margin);
    }
    return toBuilder().setMargin(margin).build();
  }

  /** L2 penalty on the model parameters (as in the lifetimes library); default 0. */
  public PredictCustomerValue withPenalizer(double penalizer) {
    if (!(penalizer >= 0)) {
      throw new IllegalArgumentException("penalizer must be at least 0, got " + penalizer);
    }
    return toBuilder().setPenalizer(penalizer).build();
  }

  /**
   * The model behind P(alive), the expected purchases and the lifetime value: BG/NBD (the
   * default) or Pareto/NBD. The holdout report ({@link ValidateHoldout}) says which predicted
   * the data's own future better.
   */
  public PredictCustomerValue withPurchaseModel(PurchaseModel model) {
    if (model == null) {
      throw new IllegalArgumentException("PredictCustomerValue: the purchase model must not be "
          + "null");
    }
    return toBuilder().setPurchaseModel(model).build();
  }

  /**
   * Chooses the purchase model on the data itself: the models are fitted on purchases before
   * {@code asOf - backtest}, each predicts every customer's purchase days in
   * [asOf - backtest, asOf), and the one with the smallest mean absolute error per customer
   * ({@link HoldoutReport#chosen()}; with purchase covariates, each model with them is a
   * candidate too) is then fitted on all purchases before asOf. When the
   * shorter calibration period cannot support a fit, the run keeps {@link #getPurchaseModel()}.
   * Done by {@code SegmentCustomers}, which holds each customer's purchases together.
   */
  public PredictCustomerValue withPurchaseModelChosenOnBacktest(Duration backtest) {
    if (backtest == null || backtest.getMillis() < SummarizePurchases.DAY_MILLIS) {
      throw new IllegalArgumentException("the backtest that chooses the purchase model must "
          + "be at least one day long, got " + backtest);
    }
    return toBuilder().setPurchaseModelBacktest(backtest).build();
  }

  /**
   * How often subscriptions renew: customers with a {@code subscription_start} and no
   * {@code subscription_cancel} after it get their churn risk from the sBG model of renewals
   * fitted on every subscriber ({@code SegmentCustomers}); default 30 days.
   */
  public PredictCustomerValue withSubscriptionPeriod(Duration period) {
    if (period == null || period.getMillis() < SummarizePurchases.DAY_MILLIS) {
      throw new IllegalArgumentException("the subscription period must be at least one day, "
          + "got " + period);
    }
    return toBuilder().setSubscriptionPeriod(period).build();
  }

  /**
   * Fits the purchase model (BG/NBD or Pareto/NBD) with time-invariant covariates ({@link
   * PurchaseCovariates}): each named column ({@value PurchaseCovariates#COLUMNS_DOC}) or profile
   * trait is a categorical covariate of the purchase and dropout rates, and each customer's
   * value columns come from the model of their categories. With a model chosen on a backtest
   * ({@link #withPurchaseModelChosenOnBacktest}), each purchase model with the covariates is a
   * candidate too. Done by {@code SegmentCustomers}, which has the customers' columns. At most
   * {@value PurchaseCovariates#MAX_COVARIATES} covariates.
   */
  public PredictCustomerValue withPurchaseCovariates(List<String> covariates) {
    if (covariates == null) {
      throw new IllegalArgumentException("purchase covariates must not be null; give an empty "
          + "list for none");
    }
    List<String> names = new ArrayList<>();
    for (String name : covariates) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a purchase covariate name is blank in "
            + covariates);
      }
      if (names.contains(name.trim())) {
        throw new IllegalArgumentException("purchase covariate '" + name.trim()
            + "' is named twice in " + covariates);
      }
      names.add(name.trim());
    }
    if (names.size() > PurchaseCovariates.MAX_COVARIATES) {
      throw new IllegalArgumentException("at most " + PurchaseCovariates.MAX_COVARIATES
          + " purchase covariates, got " + names.size() + ": " + names);
    }
    return toBuilder().setPurchaseCovariates(List.copyOf(names)).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSubscriptionPeriod(Duration period);

    abstract Builder setPurchaseCovariates(List<String> covariates);

    abstract Builder setPurchaseModel(PurchaseModel model);

    abstract Builder setPurchaseModelBacktest(@Nullable Duration backtest);

    abstract Builder setAsOf(Instant asOf);

    abstract Builder setAnnualDiscountRate(double rate);

    abstract Builder setMargin(double margin);

    abstract Builder setPenalizer(double penalizer);

    abstract PredictCustomerValue build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("asOf", String.valueOf(getAsOf())))
        .add(DisplayData.item("annualDiscountRate", getAnnualDiscountRate()))
        .add(DisplayData.item("margin", getMargin()))
        .add(DisplayData.item("penalizer", getPenalizer()))
        .add(DisplayData.item("purchaseModel", getPurchaseModel().jsonName()))
        .add(DisplayData.item("subscriptionPeriod", getSubscriptionPeriod().toString()))
        .add(DisplayData.item("purchaseCovariates", String.join(",", getPurchaseCovariates())))
        .addIfNotNull(DisplayData.item("purchaseModelBacktest",
            getPurchaseModelBacktest() == null ? null : getPurchaseModelBacktest().toString()));
  }

  @Override
  public Result expand(PCollection<KV<String, CustomerEvent>> events) {
    if (getAsOf() == null) {
      throw new IllegalStateException("PredictCustomerValue needs withAsOf(..): the time the "
          + "predictions are made at");
    }
    if (getPurchaseModelBacktest() != null) {
      throw new IllegalStateException("PredictCustomerValue on its own uses withPurchaseModel; "
          + "the purchase model is chosen on a backtest by SegmentCustomers");
    }
    if (!getPurchaseCovariates().isEmpty()) {
      throw new IllegalStateException("PredictCustomerValue on its own has no customer "
          + "columns; purchase covariates " + getPurchaseCovariates() + " are fitted by "
          + "SegmentCustomers");
    }
    PCollection<KV<String, PurchaseSummary>> summaries =
        events.apply("Summarize", new SummarizePurchases(getAsOf()));
    PCollection<ValueModels> models = summaries.apply("FitModels",
        new FitValueModels(ValueModelFit.of(this)));
    PCollectionView<ValueModels> modelView = models.apply("ModelsView", View.asSingleton());
    PCollection<KV<String, CustomerValue>> values = summaries
        .apply("Score", ParDo.of(new Score(modelView)).withSideInputs(modelView))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ValueCoders.customerValue()));
    PCollection<String> json = models.apply("ModelJson", ParDo.of(new ToJson()))
        .setCoder(StringUtf8Coder.of());
    return new Result(events.getPipeline(), values, json);
  }

  private static final class Score extends DoFn<KV<String, PurchaseSummary>, KV<String,
      CustomerValue>> {
    private final PCollectionView<ValueModels> models;

    Score(PCollectionView<ValueModels> models) {
      this.models = models;
    }

    @ProcessElement
    public void process(@Element KV<String, PurchaseSummary> in, ProcessContext c) {
      c.output(KV.of(in.getKey(), c.sideInput(models).predict(in.getValue())));
    }
  }

  private static final class ToJson extends DoFn<ValueModels, String> {
    @ProcessElement
    public void process(@Element ValueModels m, OutputReceiver<String> out) {
      out.output(m.toJson());
    }
  }

  /** Per-customer predictions and the model parameters as JSON. */
  public static final class Result implements POutput {
    private static final TupleTag<KV<String, CustomerValue>> VALUES = new TupleTag<>("values");
    private static final TupleTag<String> MODEL = new TupleTag<>("model");
    private final Pipeline pipeline;
    private final PCollection<KV<String, CustomerValue>> values;
    private final PCollection<String> modelJson;

    Result(Pipeline pipeline, PCollection<KV<String, CustomerValue>> values,
        PCollection<String> modelJson) {
      this.pipeline = pipeline;
      this.values = values;
      this.modelJson = modelJson;
    }

    /** One row per customer with a purchase before asOf. */
    public PCollection<KV<String, CustomerValue>> getValues() {
      return values;
    }

    /** One JSON object: the parameters and diagnostics of both models. */
    public PCollection<String> getModelJson() {
      return modelJson;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(VALUES, values, MODEL, modelJson);
    }

    @Override
    public void finishSpecifyingOutput(String name, PInput input, PTransform<?, ?> t) {}
  }
}
