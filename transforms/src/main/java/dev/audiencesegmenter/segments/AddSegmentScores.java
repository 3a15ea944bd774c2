package dev.audiencesegmenter.segments;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.ApproximateQuantiles.ApproximateQuantilesCombineFn;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Adds the population-relative scores that the built-in segment families use: RFM scores
 * ({@code r_score}, {@code f_score}, {@code m_score} 1-5 by quintile among buyers, and the
 * named {@code rfm_segment}, see {@link RfmScores}) and the {@code value_tier} by predicted
 * lifetime value percentile (top {@code vipTopPercent} "vip", bottom {@code lowBottomPercent}
 * "low", the rest "standard"), and the {@code engagement_tier} ("high", "medium", "low") by
 * engagement_score percentile the same way.
 *
 * <pre>{@code
 * PCollection<CustomerFeatures> scored = features.apply(AddSegmentScores.create()
 *     .withEngagementTiers(20, 20).withValueTiers(5, 50));
 * }</pre>
 *
 * <p>The percentiles of recency, frequency, monetary value and predicted CLV are estimated in
 * one pass with {@link ApproximateQuantilesCombineFn} (Munro-Paterson buffers, mergeable, so
 * no worker holds the column) with a rank error of at most {@link #EPSILON} times the number
 * of customers, and reach the workers as a side input of 101 points per column.
 */
@AutoValue
public abstract class AddSegmentScores
    extends PTransform<PCollection<CustomerFeatures>, PCollection<CustomerFeatures>> {

  /** Rank error bound of the percentiles: 0.1% of the customers. */
  public static final double EPSILON = 0.001;

  private static final long MAX_ELEMENTS = 1_000_000_000L;
  static final String RECENCY = "recency_days";
  static final String FREQUENCY = "frequency";
  static final String MONETARY = "monetary_total";
  static final String CLV = "predicted_clv_365d";
  static final String ENGAGEMENT = "engagement_score";
  /** The column of the value tiers, ranked by {@code predicted_clv_365d}. */
  public static final String VALUE_TIER = "value_tier";

  public abstract double getVipTopPercent();

  public abstract double getLowBottomPercent();

  public abstract int getEngagementHighTopPercent();

  public abstract int getEngagementLowBottomPercent();

  abstract Builder toBuilder();

  /** Defaults: value top 10% vip, bottom 50% low; engagement top 20% high, bottom 40% low. */
  public static AddSegmentScores create() {
    return new AutoValue_AddSegmentScores.Builder().setVipTopPercent(10)
        .setLowBottomPercent(50).setEngagementHighTopPercent(20)
        .setEngagementLowBottomPercent(40).build();
  }

  /**
   * Engagement tier cut-offs in whole percents: the top {@code highTopPercent} of customers by
   * engagement_score are "high", the bottom {@code lowBottomPercent} "low".
   */
  public AddSegmentScores withEngagementTiers(int highTopPercent, int lowBottomPercent) {
    if (highTopPercent < 1 || highTopPercent > 99) {
      throw new IllegalArgumentException(
          "high_top_percent must be a whole number from 1 to 99, got " + highTopPercent);
    }
    if (lowBottomPercent < 0 || lowBottomPercent + highTopPercent > 100) {
      throw new IllegalArgumentException("low_bottom_percent must be from 0 to "
          + (100 - highTopPercent) + " (100 - high_top_percent), got " + lowBottomPercent);
    }
    return toBuilder().setEngagementHighTopPercent(highTopPercent)
        .setEngagementLowBottomPercent(lowBottomPercent).build();
  }

  /**
   * Value tier cut-offs in whole percents: the top {@code vipTopPercent} of customers by
   * predicted CLV are "vip", the bottom {@code lowBottomPercent} "low".
   */
  public AddSegmentScores withValueTiers(int vipTopPercent, int lowBottomPercent) {
    if (vipTopPercent < 1 || vipTopPercent > 99) {
      throw new IllegalArgumentException(
          "vip_top_percent must be a whole number from 1 to 99, got " + vipTopPercent);
    }
    if (lowBottomPercent < 0 || lowBottomPercent + vipTopPercent > 100) {
      throw new IllegalArgumentException("low_bottom_percent must be from 0 to "
          + (100 - vipTopPercent) + " (100 - vip_top_percent), got " + lowBottomPercent);
    }
    return toBuilder().setVipTopPercent(vipTopPercent).setLowBottomPercent(lowBottomPercent)
        .build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setVipTopPercent(double percent);

    abstract Builder setLowBottomPercent(double percent);

    abstract Builder setEngagementHighTopPercent(int percent);

    abstract Builder setEngagementLowBottomPercent(int percent);

    abstract AddSegmentScores build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("vipTopPercent", getVipTopPercent()))
        .add(DisplayData.item("lowBottomPercent", getLowBottomPercent()));
  }

  @Override
  public PCollection<CustomerFeatures> expand(PCollection<CustomerFeatures> features) {
    PCollectionView<Map<String, List<Double>>> percentiles = features
        .apply("ScoredColumns", ParDo.of(new ScoredColumns()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DoubleCoder.of()))
        .apply("Percentiles", Combine.perKey(percentilesFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ListCoder.of(DoubleCoder.of())))
        .apply("PercentilesView", View.asMap());
    PCollection<CustomerFeatures> scored = features
        .apply("Score", ParDo.of(new Score(percentiles, (int) getVipTopPercent(),
            (int) getLowBottomPercent(), getEngagementHighTopPercent(),
            getEngagementLowBottomPercent())).withSideInputs(percentiles))
        .setCoder(features.getCoder());
    return FilledColumns.mark(scored, "AddSegmentScores",
        FilledColumns.filledBy("AddSegmentScores"));
  }

  /** 101 points per column: index k is the k-th percentile, within EPSILON n ranks. */
  public static ApproximateQuantilesCombineFn<Double, Top.Natural<Double>> percentilesFn() {
    return ApproximateQuantilesCombineFn.create(101, new Top.Natural<Double>(), MAX_ELEMENTS,
        EPSILON);
  }

  /** The quintile boundaries q20, q40, q60, q80 from 101 percentile points. */
  static double[] quintiles(List<Double> percentiles) {
    return new double[] {percentiles.get(20), percentiles.get(40), percentiles.get(60),
        percentiles.get(80)};
  }

  private static final class ScoredColumns extends DoFn<CustomerFeatures, KV<String, Double>> {
    @ProcessElement
    public void process(@Element CustomerFeatures c, OutputReceiver<KV<String, Double>> out) {
      scoredColumns(c, (column, value) -> out.output(KV.of(column, value)));
    }
  }

  /** The values of one customer that the percentiles are computed over, by column. */
  public static void scoredColumns(CustomerFeatures c, BiConsumer<String, Double> out) {
    if (c.getFrequency() > 0 && c.getRecencyDays() != null) {
      out.accept(RECENCY, c.getRecencyDays().doubleValue());
      out.accept(FREQUENCY, (double) c.getFrequency());
      out.accept(MONETARY, c.getMonetaryTotal().doubleValue());
    }
    if (c.getPredictedClv365d() != null) {
      out.accept(CLV, c.getPredictedClv365d());
    }
    out.accept(ENGAGEMENT, c.getEngagementScore());
  }

  private static final class Score extends DoFn<CustomerFeatures, CustomerFeatures> {
    private final PCollectionView<Map<String, List<Double>>> percentiles;
    private final int vipTop;
    private final int lowBottom;
    private final int engagementTop;
    private final int engagementBottom;
    private final Counter scored = Metrics.counter(AddSegmentScores.class, "rfm_scored");
    private final Counter tiered = Metrics.counter(AddSegmentScores.class, "value_tiered");

    Score(PCollectionView<Map<String, List<Double>>> percentiles, int vipTop, int lowBottom,
        int engagementTop, int engagementBottom) {
      this.percentiles = percentiles;
      this.vipTop = vipTop;
      this.lowBottom = lowBottom;
      this.engagementTop = engagementTop;
      this.engagementBottom = engagementBottom;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      CustomerFeatures f = c.element();
      Map<String, List<Double>> p = c.sideInput(percentiles);
      if (f.getFrequency() > 0 && f.getRecencyDays() != null && p.containsKey(RECENCY)) {
        scored.inc();
      }
      if (f.getPredictedClv365d() != null && p.containsKey(CLV)) {
        tiered.inc();
      }
      c.output(scored(f, p, vipTop, lowBottom, engagementTop, engagementBottom));
    }
  }

  /**
   * One customer's RFM scores, value tier and engagement tier, given the percentiles of every
   * column ({@link #percentilesFn} over {@link #scoredColumns} of all customers): the
   * per-customer half of this transform.
   */
  public CustomerFeatures score(CustomerFeatures f, Map<String, List<Double>> percentiles) {
    return scored(f, percentiles, (int) getVipTopPercent(), (int) getLowBottomPercent(),
        getEngagementHighTopPercent(), getEngagementLowBottomPercent());
  }

  /** One customer's RFM scores and tiers, given the percentiles of every column. */
  static CustomerFeatures scored(CustomerFeatures f, Map<String, List<Double>> p, int vipTop,
      int lowBottom, int engagementTop, int engagementBottom) {
    CustomerFeatures.Builder out = f.toBuilder();
    if (f.getFrequency() > 0 && f.getRecencyDays() != null && p.containsKey(RECENCY)) {
      int r = RfmScores.lowerIsBetter(f.getRecencyDays(), quintiles(p.get(RECENCY)));
      int fr = RfmScores.higherIsBetter(f.getFrequency(), quintiles(p.get(FREQUENCY)));
      int m = RfmScores.higherIsBetter(f.getMonetaryTotal().doubleValue(),
          quintiles(p.get(MONETARY)));
      out.setRScore(r).setFScore(fr).setMScore(m).setRfmSegment(RfmScores.segment(r, fr));
    }
    if (f.getPredictedClv365d() != null && p.containsKey(CLV)) {
      out.setValueTier(ValueTiers.tier(f.getPredictedClv365d(), p.get(CLV), vipTop,
          lowBottom));
    }
    if (p.containsKey(ENGAGEMENT)) {
      out.setEngagementTier(ValueTiers.tier(f.getEngagementScore(), p.get(ENGAGEMENT),
          engagementTop, engagementBottom, ValueTiers.ENGAGEMENT_TIERS));
    }
    return out.build();
  }
}
