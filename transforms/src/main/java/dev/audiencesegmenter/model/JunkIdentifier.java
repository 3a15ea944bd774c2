package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/**
 * An identifier value that identity resolution refused to link with: a row of
 * {@code junk-identifiers/}. {@code reason} is {@code placeholder} (a built-in filler such as
 * {@code test@test.com}), {@code blocked} (the user's list), {@code fan_out} (seen with more
 * distinct identifiers of one other type than the configured maximum) or {@code over_limit}
 * (linking it would give a customer more identifiers of a type than its limit allows).
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class JunkIdentifier {

  @SchemaFieldNumber("0")
  @SchemaFieldName("id_type")
  public abstract String getIdType();

  @SchemaFieldNumber("1")
  @SchemaFieldName("id_value")
  public abstract String getIdValue();

  @SchemaFieldNumber("2")
  @SchemaFieldName("reason")
  public abstract String getReason();

  /** The largest number of distinct identifiers of one other type seen with this value. */
  @SchemaFieldNumber("3")
  @SchemaFieldName("fan_out")
  public abstract long getFanOut();

  /** The type {@code fan_out} counts, or empty when the value was seen alone. */
  @SchemaFieldNumber("4")
  @SchemaFieldName("fan_out_type")
  public abstract String getFanOutType();

  /** The rule in words, e.g. "seen with 214 distinct user_id; limit 1 per customer". */
  @SchemaFieldNumber("5")
  @SchemaFieldName("detail")
  public abstract String getDetail();

  public static JunkIdentifier create(String idType, String idValue, String reason, long fanOut,
      String fanOutType, String detail) {
    return new AutoValue_JunkIdentifier(idType, idValue, reason, fanOut, fanOutType, detail);
  }
}
