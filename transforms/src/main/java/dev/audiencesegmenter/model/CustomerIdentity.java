package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;

/** One normalized identifier and the customer it resolved to: a row of {@code identities/}. */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class CustomerIdentity {

  @SchemaFieldNumber("0")
  @SchemaFieldName("customer_id")
  public abstract String getCustomerId();

  @SchemaFieldNumber("1")
  @SchemaFieldName("id_type")
  public abstract String getIdType();

  @SchemaFieldNumber("2")
  @SchemaFieldName("id_value")
  public abstract String getIdValue();

  public static CustomerIdentity create(String customerId, String idType, String idValue) {
    return new AutoValue_CustomerIdentity(customerId, idType, idValue);
  }
}
