package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/**
 * A record that a step rejected: a row of {@code dead-letter/}. {@code record} is the raw input
 * as read (a line of a file, or the record rendered as JSON), so it can be fixed and replayed.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class DeadLetter {

  /** The named step that rejected the record, e.g. {@code ReadEvents/Parse}. */
  @SchemaFieldNumber("0")
  @SchemaFieldName("step")
  public abstract String getStep();

  /** Why, in words a user can act on. */
  @SchemaFieldNumber("1")
  @SchemaFieldName("reason")
  public abstract String getReason();

  @SchemaFieldNumber("2")
  @SchemaFieldName("record")
  public abstract String getRecord();

  public static DeadLetter create(String step, String reason, String record) {
    return new AutoValue_DeadLetter(step, reason, record);
  }
}
