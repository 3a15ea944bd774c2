package dev.audiencesegmenter.report;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/**
 * One cell of a group's transition matrix, a row of {@code stability/}: how many customers
 * were in {@code from_segment} in the previous run and are in {@code to_segment} now. A
 * customer in no segment of the group is in {@value #NONE}; in an overlapping group a customer
 * in several segments is in their names joined by '+', sorted.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SegmentTransition implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  public static final String NONE = "(none)";

  @SchemaFieldNumber("0")
  @SchemaFieldName("group")
  public abstract String getGroup();

  @SchemaFieldNumber("1")
  @SchemaFieldName("from_segment")
  public abstract String getFromSegment();

  @SchemaFieldNumber("2")
  @SchemaFieldName("to_segment")
  public abstract String getToSegment();

  @SchemaFieldNumber("3")
  @SchemaFieldName("customers")
  public abstract long getCustomers();

  public static SegmentTransition create(String group, String from, String to, long customers) {
    return new AutoValue_SegmentTransition(group, from, to, customers);
  }
}
