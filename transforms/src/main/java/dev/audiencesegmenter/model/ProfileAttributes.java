package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import java.util.Map;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.joda.time.Instant;

/**
 * Traits of a customer as a CRM or a form recorded them at one time: name, country, city,
 * lat/lon, plan, company, industry, employees, device, os, ... When several records give the
 * same trait, the latest {@link #getUpdateTime()} wins.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class ProfileAttributes {

  public abstract String getSource();

  public abstract String getSourceRecordId();

  /** When the source last updated this record. */
  public abstract Instant getUpdateTime();

  /** Identifier type to value, as seen on the record; at least one entry. */
  public abstract Map<String, String> getIdentifiers();

  /** Trait name to value. */
  public abstract Map<String, String> getAttributes();

  public static Builder builder() {
    return new AutoValue_ProfileAttributes.Builder().setAttributes(Map.of());
  }

  public abstract Builder toBuilder();

  /** Builder for {@link ProfileAttributes}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setSource(String source);

    public abstract Builder setSourceRecordId(String sourceRecordId);

    public abstract Builder setUpdateTime(Instant updateTime);

    public abstract Builder setIdentifiers(Map<String, String> identifiers);

    public abstract Builder setAttributes(Map<String, String> attributes);

    public abstract ProfileAttributes build();
  }
}
