package dev.audiencesegmenter.io.sink;

import com.google.auto.value.AutoValue;
import java.util.List;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a vendor last received for one customer: a line of {@code <output>/sync-state/}. The
 * segments and identifiers are kept so a customer who disappears from the input can still be
 * sent an exit (the email is personal data: keep the folder as protected as the outputs).
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class SyncStateEntry {

  @SchemaFieldNumber("0")
  @SchemaFieldName("key")
  public abstract String getKey();

  /** SHA-256 hex of the payload sent ({@link DeltaSync#payloadHash}). */
  @SchemaFieldNumber("1")
  @SchemaFieldName("payload_hash")
  public abstract String getPayloadHash();

  /** Segments the vendor holds for the customer, sorted. */
  @SchemaFieldNumber("2")
  @SchemaFieldName("segments")
  public abstract List<String> getSegments();

  @SchemaFieldNumber("3")
  @SchemaFieldName("email")
  public abstract @Nullable String getEmail();

  @SchemaFieldNumber("4")
  @SchemaFieldName("phone")
  public abstract @Nullable String getPhone();

  public static SyncStateEntry create(String key, String payloadHash, List<String> segments,
      @Nullable String email, @Nullable String phone) {
    return new AutoValue_SyncStateEntry(key, payloadHash, List.copyOf(segments), email, phone);
  }
}
