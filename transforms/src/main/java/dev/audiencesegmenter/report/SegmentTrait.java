package dev.audiencesegmenter.report;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How a segment differs from everyone else on one trait: a feature column's mean (a boolean's
 * share of true), or for a category column ({@code preferred_channel=email}) the share of
 * members with that value.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SegmentTrait implements java.io.Serializable {
  private static final long serialVersionUID = 1L;


  /** The column, or {@code column=value} for a category. */
  @SchemaFieldNumber("0")
  @SchemaFieldName("trait")
  public abstract String getTrait();

  /** Mean (or share) among the segment's members. */
  @SchemaFieldNumber("1")
  @SchemaFieldName("segment_value")
  public abstract double getSegmentValue();

  /** Mean (or share) among all other customers. */
  @SchemaFieldNumber("2")
  @SchemaFieldName("rest_value")
  public abstract double getRestValue();

  /** segment_value / rest_value; null when rest_value is 0. */
  @SchemaFieldNumber("3")
  @SchemaFieldName("lift")
  public abstract @Nullable Double getLift();

  /**
   * Standardized mean difference, see {@link SegmentStatistics#standardizedMeanDifference};
   * null when neither side varies (the trait then separates the segment completely).
   */
  @SchemaFieldNumber("4")
  @SchemaFieldName("smd")
  public abstract @Nullable Double getSmd();

  public static SegmentTrait create(String trait, double segmentValue, double restValue,
      @Nullable Double lift, @Nullable Double smd) {
    return new AutoValue_SegmentTrait(trait, segmentValue, restValue, lift, smd);
  }
}
