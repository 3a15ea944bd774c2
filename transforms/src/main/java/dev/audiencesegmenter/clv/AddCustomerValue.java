package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Fills the value columns of each customer's features from {@link PredictCustomerValue}: a
 * join on the customer id. Customers without a purchase keep them null.
 *
 * <pre>{@code
 * PredictCustomerValue.Result value =
 *     keyedEvents.apply(PredictCustomerValue.create().withAsOf(asOf));
 * PCollection<CustomerFeatures> valued =
 *     AddCustomerValue.inputs(features, value).apply(AddCustomerValue.create());
 * }</pre>
 */
public final class AddCustomerValue
    extends PTransform<PCollectionTuple, PCollection<CustomerFeatures>> {
  /** The input's features, one row per customer. */
  public static final TupleTag<CustomerFeatures> CUSTOMER_FEATURES = new TupleTag<>() {};
  /** The input's predicted values by customer ({@link PredictCustomerValue.Result#getValues}). */
  public static final TupleTag<KV<String, CustomerValue>> CUSTOMER_VALUES = new TupleTag<>() {};
  private static final TupleTag<CustomerFeatures> FEATURES = new TupleTag<>("features");
  private static final TupleTag<CustomerValue> VALUES = new TupleTag<>("values");

  private AddCustomerValue() {}

  public static AddCustomerValue create() {
    return new AddCustomerValue();
  }

  /** The input: the features and the predictions of {@link PredictCustomerValue}. */
  public static PCollectionTuple inputs(PCollection<CustomerFeatures> features,
      PredictCustomerValue.Result predictions) {
    if (features == null || predictions == null) {
      throw new IllegalArgumentException("AddCustomerValue needs the features and the "
          + "predictions, got " + features + " and " + predictions);
    }
    return PCollectionTuple.of(CUSTOMER_FEATURES, features)
        .and(CUSTOMER_VALUES, predictions.getValues());
  }


  @Override
  public PCollection<CustomerFeatures> expand(PCollectionTuple input) {
    if (!input.has(CUSTOMER_FEATURES) || !input.has(CUSTOMER_VALUES)) {
      throw new IllegalArgumentException("AddCustomerValue's input is AddCustomerValue.inputs("
          + "features, predictions); got " + input.getAll().keySet());
    }
    PCollection<CustomerFeatures> features = input.get(CUSTOMER_FEATURES);
    PCollection<KV<String, CustomerValue>> values = input.get(CUSTOMER_VALUES);
    PCollection<CustomerFeatures> valued = KeyedPCollectionTuple
        .of(FEATURES, features.apply("KeyByCustomer", WithKeys
            .<String, CustomerFeatures>of(CustomerFeatures::getCustomerId)
            .withKeyType(TypeDescriptors.strings())))
        .and(VALUES, values)
        .apply("JoinOnCustomer", CoGroupByKey.create())
        .apply("Fill", ParDo.of(new Fill()))
        .setCoder(features.getCoder());
    return FilledColumns.mark(valued, "PredictCustomerValue",
        FilledColumns.filledBy("PredictCustomerValue"));
  }

  private static final class Fill extends DoFn<KV<String, CoGbkResult>, CustomerFeatures> {
    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<CustomerFeatures> out) {
      CustomerValue v = in.getValue().getOnly(VALUES, null);
      for (CustomerFeatures f : in.getValue().getAll(FEATURES)) {
        if (v == null) {
          out.output(f);
          continue;
        }
        out.output(withValue(f, v));
      }
    }
  }

  /** The features with one customer's predicted value columns filled. */
  public static CustomerFeatures withValue(CustomerFeatures f, CustomerValue v) {
    Double churnRisk = round(v.churnRisk(), 6);
    return f.toBuilder()
        .setRepeatPurchases(v.repeatPurchases())
        .setRecencyWeeks(round(v.recencyWeeks(), 4))
        .setAgeWeeks(round(v.ageWeeks(), 4))
        .setMeanRepeatValue(v.meanRepeatValue())
        .setPAlive(round(v.pAlive(), 6))
        .setChurnRisk(churnRisk)
        .setChurnRiskBand(churnRisk == null ? null : CustomerValue.band(churnRisk))
        .setChurnModel(v.model())
        .setExpectedPurchases90d(round(v.expectedPurchases90d(), 6))
        .setExpectedPurchases365d(round(v.expectedPurchases365d(), 6))
        .setExpectedAvgOrderValue(round(v.expectedAvgOrderValue(), 2))
        .setPredictedClv365d(round(v.predictedClv365d(), 2))
        .build();
  }

  /**
   * Rounded, so that outputs do not show the last-bit differences of floating point; the
   * fit is deterministic, so runners agree anyway.
   */
  private static Double round(double v, int places) {
    if (!Double.isFinite(v)) {
      return null; // a model at the edge of its parameter space; no number is better
    }
    return java.math.BigDecimal.valueOf(v).setScale(places, java.math.RoundingMode.HALF_EVEN)
        .doubleValue();
  }
}
