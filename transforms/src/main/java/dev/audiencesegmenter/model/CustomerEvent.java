package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import java.math.BigDecimal;
import java.util.Map;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One thing a customer did, as recorded by one source system: a purchase in the shop, an
 * email open, a web visit, an app feature use. The identifiers map carries every identifier
 * the source saw on the record (email, phone, user_id, ...); identity resolution links them.
 *
 * <p>Revenue is a {@link BigDecimal} so that sums are exact and do not depend on the order a
 * runner combines them in.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class CustomerEvent {

  /** System the record came from: shop, crm, email, web, app, ... */
  public abstract String getSource();

  /** Record id within the source; (source, sourceRecordId) is unique. */
  public abstract String getSourceRecordId();

  /** Event type; see {@link EventTypes} for the well-known ones. */
  public abstract String getEventType();

  public abstract Instant getEventTime();

  /** Identifier type (email, phone, user_id, ...) to value, as seen on the record. */
  public abstract Map<String, String> getIdentifiers();

  /** Money value of the event (negative for refunds), or null. */
  public abstract @Nullable BigDecimal getRevenue();

  /** ISO 4217 currency code, or null for the job's default. */
  public abstract @Nullable String getCurrency();

  /** Anything else the source recorded (sku, channel, feature, page, device, os, ...). */
  public abstract Map<String, String> getProperties();

  /** Latest consent signals carried by the record (email, sms, tracking, ...). */
  public abstract Map<String, Boolean> getConsent();

  public static Builder builder() {
    return new AutoValue_CustomerEvent.Builder()
        .setProperties(Map.of())
        .setConsent(Map.of());
  }

  public abstract Builder toBuilder();

  /** Builder for {@link CustomerEvent}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setSource(String source);

    public abstract Builder setSourceRecordId(String sourceRecordId);

    public abstract Builder setEventType(String eventType);

    public abstract Builder setEventTime(Instant eventTime);

    public abstract Builder setIdentifiers(Map<String, String> identifiers);

    public abstract Builder setRevenue(@Nullable BigDecimal revenue);

    public abstract Builder setCurrency(@Nullable String currency);

    public abstract Builder setProperties(Map<String, String> properties);

    public abstract Builder setConsent(Map<String, Boolean> consent);

    public abstract CustomerEvent build();
  }
}
