package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/**
 * A change of customer ids against the previous run: a row of {@code merges/}. For a
 * {@code merge}, {@code kept_id} survives and {@code other_id}, a previous customer, was
 * absorbed into it; {@code linking_identifier} is an identifier of the absorbed customer and
 * {@code linked_to} the identifier it is now linked with. For a {@code split}, {@code kept_id}
 * stays with the larger part and {@code other_id} is the new id of a part that broke away.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class IdentityChange {
  public static final String MERGE = "merge";
  public static final String SPLIT = "split";

  @SchemaFieldNumber("0")
  @SchemaFieldName("change")
  public abstract String getChange();

  @SchemaFieldNumber("1")
  @SchemaFieldName("kept_id")
  public abstract String getKeptId();

  @SchemaFieldNumber("2")
  @SchemaFieldName("other_id")
  public abstract String getOtherId();

  /** {@code type:value}, or empty when no single identifier explains the change. */
  @SchemaFieldNumber("3")
  @SchemaFieldName("linking_identifier")
  public abstract String getLinkingIdentifier();

  @SchemaFieldNumber("4")
  @SchemaFieldName("linked_to")
  public abstract String getLinkedTo();

  @SchemaFieldNumber("5")
  @SchemaFieldName("reason")
  public abstract String getReason();

  public static IdentityChange create(String change, String keptId, String otherId,
      String linkingIdentifier, String linkedTo, String reason) {
    return new AutoValue_IdentityChange(change, keptId, otherId, linkingIdentifier, linkedTo,
        reason);
  }
}
