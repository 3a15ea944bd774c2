package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/**
 * A customer's membership of one segment: a row of {@code segments/}. A member in holdout is
 * kept out of activation and used to measure lift.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SegmentMembership {

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

  public static SegmentMembership create(
      String customerId, String segment, String group, boolean holdout) {
    return new AutoValue_SegmentMembership(customerId, segment, group, holdout);
  }
}
