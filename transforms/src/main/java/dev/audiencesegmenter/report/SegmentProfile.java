package dev.audiencesegmenter.report;

import com.google.auto.value.AutoValue;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One row of {@code summary/}: a segment's size and value, what distinguishes its members, the
 * validation flags, the prioritization score and, with a previous run, its movement. The first
 * six fields are those of the earlier summary, in the same order. Values that cannot be known
 * in this run (no value models, no consent columns, no previous run) are null.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SegmentProfile implements java.io.Serializable {
  private static final long serialVersionUID = 1L;


  @SchemaFieldNumber("0")
  @SchemaFieldName("segment")
  public abstract String getSegment();

  @SchemaFieldNumber("1")
  @SchemaFieldName("group")
  public abstract String getGroup();

  /** Members, holdout included. */
  @SchemaFieldNumber("2")
  @SchemaFieldName("size")
  public abstract long getSize();

  @SchemaFieldNumber("3")
  @SchemaFieldName("holdout_size")
  public abstract long getHoldoutSize();

  /** size / all customers with features. */
  @SchemaFieldNumber("4")
  @SchemaFieldName("share")
  public abstract double getShare();

  /** The members' total monetary_total, 2 decimals. */
  @SchemaFieldNumber("5")
  @SchemaFieldName("revenue")
  public abstract BigDecimal getRevenue();

  /** revenue / all customers' revenue; null when that is not positive. */
  @SchemaFieldNumber("6")
  @SchemaFieldName("revenue_share")
  public abstract @Nullable Double getRevenueShare();

  @SchemaFieldNumber("7")
  @SchemaFieldName("mean_clv")
  public abstract @Nullable Double getMeanClv();

  /** Exact up to {@link ClvMedian#EXACT_LIMIT} members with a CLV, within 0.5 % above. */
  @SchemaFieldNumber("8")
  @SchemaFieldName("median_clv")
  public abstract @Nullable Double getMedianClv();

  @SchemaFieldNumber("9")
  @SchemaFieldName("mean_churn_risk")
  public abstract @Nullable Double getMeanChurnRisk();

  /** Share of members consented on a channel of the plan; null without consent columns. */
  @SchemaFieldNumber("10")
  @SchemaFieldName("reachable_share")
  public abstract @Nullable Double getReachableShare();

  /** Up to five traits, largest absolute standardized mean difference first. */
  @SchemaFieldNumber("11")
  @SchemaFieldName("top_traits")
  public abstract List<SegmentTrait> getTopTraits();

  @SchemaFieldNumber("12")
  @SchemaFieldName("measurable")
  public abstract boolean getMeasurable();

  @SchemaFieldNumber("13")
  @SchemaFieldName("substantial")
  public abstract boolean getSubstantial();

  /** Null when no consent column could measure it. */
  @SchemaFieldNumber("14")
  @SchemaFieldName("accessible")
  public abstract @Nullable Boolean getAccessible();

  @SchemaFieldNumber("15")
  @SchemaFieldName("differentiable")
  public abstract boolean getDifferentiable();

  @SchemaFieldNumber("16")
  @SchemaFieldName("actionable")
  public abstract boolean getActionable();

  /** Null without a previous run. */
  @SchemaFieldNumber("17")
  @SchemaFieldName("stable")
  public abstract @Nullable Boolean getStable();

  @SchemaFieldNumber("18")
  @SchemaFieldName("attractiveness")
  public abstract int getAttractiveness();

  @SchemaFieldNumber("19")
  @SchemaFieldName("fit")
  public abstract int getFit();

  @SchemaFieldNumber("20")
  @SchemaFieldName("accessibility")
  public abstract int getAccessibility();

  @SchemaFieldNumber("21")
  @SchemaFieldName("strategic_value")
  public abstract int getStrategicValue();

  /** The sum of the four scores, 4 to 40. */
  @SchemaFieldNumber("22")
  @SchemaFieldName("priority_score")
  public abstract int getPriorityScore();

  /** primary (30-40), secondary (20-29) or opportunistic (below 20). */
  @SchemaFieldNumber("23")
  @SchemaFieldName("priority_tier")
  public abstract String getPriorityTier();

  /** The most common preferred_channel among members; null without that column. */
  @SchemaFieldNumber("24")
  @SchemaFieldName("preferred_channel")
  public abstract @Nullable String getPreferredChannel();

  /** Members per lifecycle_stage; empty without that column. */
  @SchemaFieldNumber("25")
  @SchemaFieldName("lifecycle_mix")
  public abstract Map<String, Long> getLifecycleMix();

  /** Members who were not in the segment in the previous run; null without one. */
  @SchemaFieldNumber("26")
  @SchemaFieldName("entered")
  public abstract @Nullable Long getEntered();

  /** Previous members who left. */
  @SchemaFieldNumber("27")
  @SchemaFieldName("exited")
  public abstract @Nullable Long getExited();

  /** (entered + exited) / (previous size + size): 0 same members, 1 all different. */
  @SchemaFieldNumber("28")
  @SchemaFieldName("membership_churn")
  public abstract @Nullable Double getMembershipChurn();

  /** Why a flag is false, or a best-practice warning, in words. */
  @SchemaFieldNumber("29")
  @SchemaFieldName("warnings")
  public abstract List<String> getWarnings();

  /**
   * The segment's share of all customers' predicted CLV: the value-proportional share of the
   * marketing resources (for the value tiers, what each tier earns); null without values.
   */
  @SchemaFieldNumber("30")
  @SchemaFieldName("clv_share")
  public abstract @Nullable Double getClvShare();

  public static Builder builder() {
    return new AutoValue_SegmentProfile.Builder();
  }

  /** Builder for {@link SegmentProfile}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setSegment(String value);

    public abstract Builder setGroup(String value);

    public abstract Builder setSize(long value);

    public abstract Builder setHoldoutSize(long value);

    public abstract Builder setShare(double value);

    public abstract Builder setRevenue(BigDecimal value);

    public abstract Builder setRevenueShare(@Nullable Double value);

    public abstract Builder setMeanClv(@Nullable Double value);

    public abstract Builder setMedianClv(@Nullable Double value);

    public abstract Builder setMeanChurnRisk(@Nullable Double value);

    public abstract Builder setReachableShare(@Nullable Double value);

    public abstract Builder setTopTraits(List<SegmentTrait> value);

    public abstract Builder setMeasurable(boolean value);

    public abstract Builder setSubstantial(boolean value);

    public abstract Builder setAccessible(@Nullable Boolean value);

    public abstract Builder setDifferentiable(boolean value);

    public abstract Builder setActionable(boolean value);

    public abstract Builder setStable(@Nullable Boolean value);

    public abstract Builder setAttractiveness(int value);

    public abstract Builder setFit(int value);

    public abstract Builder setAccessibility(int value);

    public abstract Builder setStrategicValue(int value);

    public abstract Builder setPriorityScore(int value);

    public abstract Builder setPriorityTier(String value);

    public abstract Builder setPreferredChannel(@Nullable String value);

    public abstract Builder setLifecycleMix(Map<String, Long> value);

    public abstract Builder setEntered(@Nullable Long value);

    public abstract Builder setExited(@Nullable Long value);

    public abstract Builder setMembershipChurn(@Nullable Double value);

    public abstract Builder setWarnings(List<String> value);

    public abstract Builder setClvShare(@Nullable Double value);

    public abstract SegmentProfile build();
  }
}
