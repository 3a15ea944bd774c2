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
 * sent an exit (the email is personal data: keep the folder as protected as the outputs);
 * {@code withdrawn} says a consent withdrawal was delivered, so it is not sent again, and
 * {@code sms_withdrawn} and {@code push_withdrawn} the same for the SMS and push channels. A line without them (an older state)
 * reads as not delivered.
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

  /**
   * The platform has been told that the customer has no consent (unsubscribed, out of every
   * segment), or never received them: nothing more to send until the payload changes.
   */
  @SchemaFieldNumber("5")
  @SchemaFieldName("withdrawn")
  public abstract boolean getWithdrawn();

  /**
   * The SMS channel: the platform has been told that the customer may get no marketing SMS at
   * {@link #getPhone()}, or got that number from us while without SMS consent (our updates
   * never subscribe anyone to SMS, so there was nothing to withdraw). False with SMS consent,
   * and in older states (not delivered).
   */
  @SchemaFieldNumber("6")
  @SchemaFieldName("sms_withdrawn")
  public abstract boolean getSmsWithdrawn();

  /**
   * The push channel: the platform has been told that the customer refused push (their push
   * subscription unsubscribed). False otherwise, and in older states (not delivered).
   */
  @SchemaFieldNumber("7")
  @SchemaFieldName("push_withdrawn")
  public abstract boolean getPushWithdrawn();

  public static SyncStateEntry create(String key, String payloadHash, List<String> segments,
      @Nullable String email, @Nullable String phone) {
    return create(key, payloadHash, segments, email, phone, false);
  }

  public static SyncStateEntry create(String key, String payloadHash, List<String> segments,
      @Nullable String email, @Nullable String phone, boolean withdrawn) {
    return create(key, payloadHash, segments, email, phone, withdrawn, false);
  }

  public static SyncStateEntry create(String key, String payloadHash, List<String> segments,
      @Nullable String email, @Nullable String phone, boolean withdrawn, boolean smsWithdrawn) {
    return create(key, payloadHash, segments, email, phone, withdrawn, smsWithdrawn, false);
  }

  public static SyncStateEntry create(String key, String payloadHash, List<String> segments,
      @Nullable String email, @Nullable String phone, boolean withdrawn, boolean smsWithdrawn,
      boolean pushWithdrawn) {
    return new AutoValue_SyncStateEntry(key, payloadHash, List.copyOf(segments), email, phone,
        withdrawn, smsWithdrawn, pushWithdrawn);
  }
}
