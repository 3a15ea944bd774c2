package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.joda.time.Instant;

/**
 * A customer entering or leaving a segment, as the streaming job sees it: {@code at} is the
 * event-time instant of the evaluation that found the change (or of the record that merged the
 * customer into another, {@code cause: merged_into:<id>}).
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class MembershipChange {
  public static final String ENTERED = "entered";
  public static final String EXITED = "exited";
  public static final String EVALUATION = "evaluation";
  public static final String MERGED_INTO = "merged_into:";

  @SchemaFieldNumber("0")
  @SchemaFieldName("customer_id")
  public abstract String getCustomerId();

  @SchemaFieldNumber("1")
  @SchemaFieldName("segment")
  public abstract String getSegment();

  @SchemaFieldNumber("2")
  @SchemaFieldName("group")
  public abstract String getGroup();

  @SchemaFieldNumber("3")
  @SchemaFieldName("holdout")
  public abstract boolean getHoldout();

  /** {@link #ENTERED} or {@link #EXITED}. */
  @SchemaFieldNumber("4")
  @SchemaFieldName("change")
  public abstract String getChange();

  @SchemaFieldNumber("5")
  @SchemaFieldName("at")
  public abstract Instant getAt();

  /** {@link #EVALUATION}, or {@link #MERGED_INTO} followed by the customer it joined. */
  @SchemaFieldNumber("6")
  @SchemaFieldName("cause")
  public abstract String getCause();

  public static MembershipChange create(SegmentMembership membership, String change,
      Instant at, String cause) {
    return new AutoValue_MembershipChange(membership.getCustomerId(), membership.getSegment(),
        membership.getGroup(), membership.getHoldout(), change, at, cause);
  }
}
