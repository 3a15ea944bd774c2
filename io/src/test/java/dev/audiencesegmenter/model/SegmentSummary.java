package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import java.math.BigDecimal;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/**
 * A small schema'd row type for the writers' tests (a segment's size, share and revenue); the
 * job's {@code summary/} rows are {@code SegmentProfile}s.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SegmentSummary {

  @SchemaFieldNumber("0")
  @SchemaFieldName("segment")
  public abstract String getSegment();

  @SchemaFieldNumber("1")
  @SchemaFieldName("group")
  public abstract String getGroup();

  @SchemaFieldNumber("2")
  @SchemaFieldName("size")
  public abstract long getSize();

  @SchemaFieldNumber("3")
  @SchemaFieldName("holdout_size")
  public abstract long getHoldoutSize();

  @SchemaFieldNumber("4")
  @SchemaFieldName("share")
  public abstract double getShare();

  @SchemaFieldNumber("5")
  @SchemaFieldName("revenue")
  public abstract BigDecimal getRevenue();

  public static SegmentSummary create(
      String segment, String group, long size, long holdoutSize, double share, BigDecimal revenue) {
    return new AutoValue_SegmentSummary(segment, group, size, holdoutSize, share, revenue);
  }
}
