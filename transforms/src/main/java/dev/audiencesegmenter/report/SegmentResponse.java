package dev.audiencesegmenter.report;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How the previous run's members of a segment responded, a row of {@code response/}: the
 * conversion rate of the treated members against the holdout's, and a two-proportion z-test
 * ({@link TwoProportionZTest}). A conversion is a purchase in the outcome window.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SegmentResponse implements java.io.Serializable {
  private static final long serialVersionUID = 1L;


  @SchemaFieldNumber("0")
  @SchemaFieldName("segment")
  public abstract String getSegment();

  @SchemaFieldNumber("1")
  @SchemaFieldName("group")
  public abstract String getGroup();

  @SchemaFieldNumber("2")
  @SchemaFieldName("treatment_size")
  public abstract long getTreatmentSize();

  @SchemaFieldNumber("3")
  @SchemaFieldName("treatment_conversions")
  public abstract long getTreatmentConversions();

  @SchemaFieldNumber("4")
  @SchemaFieldName("holdout_size")
  public abstract long getHoldoutSize();

  @SchemaFieldNumber("5")
  @SchemaFieldName("holdout_conversions")
  public abstract long getHoldoutConversions();

  @SchemaFieldNumber("6")
  @SchemaFieldName("treatment_rate")
  public abstract @Nullable Double getTreatmentRate();

  @SchemaFieldNumber("7")
  @SchemaFieldName("holdout_rate")
  public abstract @Nullable Double getHoldoutRate();

  /** treatment_rate − holdout_rate. */
  @SchemaFieldNumber("8")
  @SchemaFieldName("uplift")
  public abstract @Nullable Double getUplift();

  /** treatment_rate / holdout_rate − 1; null when the holdout rate is 0. */
  @SchemaFieldNumber("9")
  @SchemaFieldName("lift")
  public abstract @Nullable Double getLift();

  @SchemaFieldNumber("10")
  @SchemaFieldName("z")
  public abstract @Nullable Double getZ();

  /** Two-sided. */
  @SchemaFieldNumber("11")
  @SchemaFieldName("p_value")
  public abstract @Nullable Double getTwoSidedPValue();

  public static SegmentResponse of(String segment, String group, long treatmentSize,
      long treatmentConversions, long holdoutSize, long holdoutConversions) {
    TwoProportionZTest test = TwoProportionZTest.of(treatmentConversions, treatmentSize,
        holdoutConversions, holdoutSize);
    Double p1 = treatmentSize == 0 ? null : (double) treatmentConversions / treatmentSize;
    Double p0 = holdoutSize == 0 ? null : (double) holdoutConversions / holdoutSize;
    return new AutoValue_SegmentResponse(segment, group, treatmentSize, treatmentConversions,
        holdoutSize, holdoutConversions, SegmentProfiles.round(p1, 6),
        SegmentProfiles.round(p0, 6),
        p1 == null || p0 == null ? null : SegmentProfiles.round(p1 - p0, 6),
        p1 == null || p0 == null || p0 == 0 ? null : SegmentProfiles.round(p1 / p0 - 1, 6),
        test == null ? null : SegmentProfiles.round(test.z(), 6),
        test == null ? null : SegmentProfiles.round(test.pValue(), 6));
  }
}
