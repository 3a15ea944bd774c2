package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What an activation sink sends for one customer: identifiers, consent, mapped field values and
 * segment membership. Vendors upsert by a stable identifier (the {@link #getKey() key}, the
 * email, or an external id derived from the key), so sending the same update twice is harmless.
 *
 * <p>{@code segments_current} is the full membership after this run; {@code segments_entered}
 * and {@code segments_exited} are the change since the last synced state ({@link DeltaSync}
 * fills them; without delta sync, entered equals current and exited is empty).
 *
 * <p>Consent ({@link #mayReceiveEmail()}: email consent and not unsubscribed) decides what a
 * platform that {@link VendorConnector#handlesWithdrawals() handles withdrawals} gets (the rules
 * of {@link SendContactUpdates}): with consent, the update; without, a {@code withdrawn} update
 * (unsubscribe or suppress, and out of every segment the job manages), never an upsert.
 *
 * <p>{@code exit_only} marks an update that may remove a customer from segments but must never
 * add or create them: a customer who left the input ({@link DeltaSync}), and every withdrawal.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class ContactUpdate {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Stable key, usually the resolved customer id; the external id in CRMs. */
  @SchemaFieldNumber("0")
  @SchemaFieldName("key")
  public abstract String getKey();

  @SchemaFieldNumber("1")
  @SchemaFieldName("email")
  public abstract @Nullable String getEmail();

  /** E.164 phone number. */
  @SchemaFieldNumber("2")
  @SchemaFieldName("phone")
  public abstract @Nullable String getPhone();

  @SchemaFieldNumber("3")
  @SchemaFieldName("email_consent")
  public abstract boolean getEmailConsent();

  @SchemaFieldNumber("4")
  @SchemaFieldName("sms_consent")
  public abstract boolean getSmsConsent();

  @SchemaFieldNumber("5")
  @SchemaFieldName("unsubscribed")
  public abstract boolean getUnsubscribed();

  /** Field values by our field name (feature columns, profile traits); mapped per vendor. */
  @SchemaFieldNumber("6")
  @SchemaFieldName("fields")
  public abstract Map<String, String> getFields();

  @SchemaFieldNumber("7")
  @SchemaFieldName("segments_current")
  public abstract List<String> getSegmentsCurrent();

  @SchemaFieldNumber("8")
  @SchemaFieldName("segments_entered")
  public abstract List<String> getSegmentsEntered();

  @SchemaFieldNumber("9")
  @SchemaFieldName("segments_exited")
  public abstract List<String> getSegmentsExited();

  @SchemaFieldNumber("10")
  @SchemaFieldName("exit_only")
  public abstract boolean getExitOnly();

  /**
   * Consent withdrawn: the platform is to unsubscribe or suppress the contact on its channel in
   * its own way and take them out of every segment list, tag or attribute the job manages, and
   * to get nothing else about them. Set by {@link SendContactUpdates}; implies exit-only.
   */
  @SchemaFieldNumber("11")
  @SchemaFieldName("withdrawn")
  public abstract boolean getWithdrawn();

  /**
   * Only the SMS channel's withdrawal: the platform is to unsubscribe the contact from SMS
   * marketing in its own way, and nothing else. Carries the key and the phone only ({@link
   * #smsWithdrawal}); made by {@link DeltaSync} next to the customer's own update (if any) for
   * a platform that {@link VendorConnector#handlesSmsWithdrawals() handles SMS withdrawals}.
   */
  @SchemaFieldNumber("12")
  @SchemaFieldName("sms_withdrawn")
  public abstract boolean getSmsWithdrawn();

  /**
   * Push consent as the latest signal says it; null when the customer never gave a push signal
   * (unknown, which is not a refusal: only an explicit refusal or {@link #getUnsubscribed()}
   * withdraws push, see {@link #refusesPush()}). Not sent to platforms as such, and not part
   * of {@link DeltaSync#payloadHash}.
   */
  @SchemaFieldNumber("13")
  @SchemaFieldName("push_consent")
  public abstract @Nullable Boolean getPushConsent();

  /**
   * Only the push channel's withdrawal: the platform is to set the contact's push subscription
   * to unsubscribed, and nothing else. Carries the key only ({@link #pushWithdrawal}); made by
   * {@link DeltaSync} next to the customer's own update (if any) for a platform that {@link
   * VendorConnector#handlesPushWithdrawals() handles push withdrawals}.
   */
  @SchemaFieldNumber("14")
  @SchemaFieldName("push_withdrawn")
  public abstract boolean getPushWithdrawn();

  public abstract Builder toBuilder();

  public static Builder builder(String key) {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("A contact update needs a non-blank key, got '"
          + key + "'");
    }
    return new AutoValue_ContactUpdate.Builder()
        .setKey(key)
        .setEmailConsent(false)
        .setSmsConsent(false)
        .setUnsubscribed(false)
        .setFields(Map.of())
        .setSegmentsCurrent(List.of())
        .setSegmentsEntered(List.of())
        .setSegmentsExited(List.of())
        .setExitOnly(false)
        .setWithdrawn(false)
        .setSmsWithdrawn(false)
        .setPushConsent(null)
        .setPushWithdrawn(false);
  }

  /**
   * The SMS withdrawal of {@code key}: its phone number, exit-only, and nothing else about the
   * person (no email, consent flags, fields or segments).
   */
  public static ContactUpdate smsWithdrawal(String key, String phone) {
    if (phone == null || phone.isBlank()) {
      throw new IllegalArgumentException("An SMS withdrawal needs a phone number, got '"
          + phone + "' for " + key);
    }
    return builder(key).setPhone(phone).setExitOnly(true).setSmsWithdrawn(true).build();
  }

  /**
   * The push withdrawal of {@code key}: the key only (platforms hold push tokens by their own
   * user id), exit-only, nothing else about the person.
   */
  public static ContactUpdate pushWithdrawal(String key) {
    return builder(key).setExitOnly(true).setPushWithdrawn(true).build();
  }

  /**
   * Whether this update is a withdrawal on a platform that {@code handlesWithdrawals}: marked
   * so, or a customer still in the input who may not be emailed (a customer gone from the input
   * is an exit-only update: consent unknown, only taken out of segments).
   */
  public boolean isWithdrawal(boolean handlesWithdrawals) {
    return getWithdrawn() || handlesWithdrawals && !mayReceiveEmail() && !getExitOnly();
  }

  /** Whether the customer may be added to an email platform. */
  public boolean mayReceiveEmail() {
    return getEmailConsent() && !getUnsubscribed();
  }

  /** Whether the customer may get marketing SMS: SMS consent and not unsubscribed. */
  public boolean mayReceiveSms() {
    return getSmsConsent() && !getUnsubscribed();
  }

  /**
   * Whether the customer has refused push: an explicit push refusal, or unsubscribed from
   * everything. No push signal at all is not a refusal (most customers never gave one).
   */
  public boolean refusesPush() {
    return getUnsubscribed() || Boolean.FALSE.equals(getPushConsent());
  }

  /** The update as one JSON object (keys sorted in maps), as dead letters and dry runs show it. */
  public String toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("key", getKey());
    node.put("email", getEmail());
    node.put("phone", getPhone());
    node.put("email_consent", getEmailConsent());
    node.put("sms_consent", getSmsConsent());
    node.put("unsubscribed", getUnsubscribed());
    ObjectNode fields = node.putObject("fields");
    new TreeMap<>(getFields()).forEach(fields::put);
    putList(node.putArray("segments_current"), getSegmentsCurrent());
    putList(node.putArray("segments_entered"), getSegmentsEntered());
    putList(node.putArray("segments_exited"), getSegmentsExited());
    node.put("exit_only", getExitOnly());
    if (getWithdrawn()) { // only when set, so payload hashes of earlier states still match
      node.put("withdrawn", true);
    }
    if (getSmsWithdrawn()) {
      node.put("sms_withdrawn", true);
    }
    if (getPushConsent() != null) {
      node.put("push_consent", getPushConsent());
    }
    if (getPushWithdrawn()) {
      node.put("push_withdrawn", true);
    }
    return node.toString();
  }

  private static void putList(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }

  @AutoValue.Builder
  public abstract static class Builder {
    abstract Builder setKey(String key);

    public abstract Builder setEmail(@Nullable String email);

    public abstract Builder setPhone(@Nullable String phone);

    public abstract Builder setEmailConsent(boolean consent);

    public abstract Builder setSmsConsent(boolean consent);

    public abstract Builder setUnsubscribed(boolean unsubscribed);

    public abstract Builder setFields(Map<String, String> fields);

    public abstract Builder setSegmentsCurrent(List<String> segments);

    public abstract Builder setSegmentsEntered(List<String> segments);

    public abstract Builder setSegmentsExited(List<String> segments);

    public abstract Builder setExitOnly(boolean exitOnly);

    public abstract Builder setWithdrawn(boolean withdrawn);

    public abstract Builder setSmsWithdrawn(boolean smsWithdrawn);

    public abstract Builder setPushConsent(@Nullable Boolean consent);

    public abstract Builder setPushWithdrawn(boolean pushWithdrawn);

    public abstract ContactUpdate build();
  }
}
