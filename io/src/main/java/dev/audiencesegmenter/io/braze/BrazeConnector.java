package dev.audiencesegmenter.io.braze;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.sink.CallOutcome;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.HttpStatusRules;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.VendorCall;
import dev.audiencesegmenter.io.sink.VendorConnector;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Braze user attributes through {@code POST /users/track} (Bearer REST key with the
 * {@code users.track} permission), at most 75 attribute objects per request. Each user is keyed
 * by {@code external_id} (our key); mapped fields become custom attributes; every segment is a
 * boolean custom attribute ({@link #getSegmentAttributes()}, default {@code segment_<name>}):
 * true while a member, false once exited. Attributes are last-write-wins, so a replay is safe.
 *
 * <p>Exit-only updates carry only the exited attributes set to false, with
 * {@code _update_existing_only}, so Braze never creates a user for them. A withdrawal (no email
 * consent) is the same object with {@code email_subscribe: "unsubscribed"} (Braze's email
 * subscription state) and every segment attribute the job manages set to false: no email,
 * phone or mapped attribute. An SMS withdrawal ({@link ContactUpdate#getSmsWithdrawn()}) is an
 * object of its own with only the external id, {@code _update_existing_only} and
 * {@code subscription_groups: [{subscription_group_id, subscription_state: "unsubscribed"}]}
 * for {@link #withSmsSubscriptionGroup the SMS group}; without a configured group it is
 * dead-lettered (see {@link #withoutSmsWithdrawals} for a workspace without SMS). A push
 * withdrawal ({@link ContactUpdate#getPushWithdrawn()}) is an object of its own with only the
 * external id, {@code _update_existing_only} and {@code push_subscribe: "unsubscribed"}
 * (Braze's push subscription state of the user, all their devices). Non-fatal
 * errors of a 201/200 answer ({@code errors[]} with an {@code index}) dead-letter that user; a
 * 4xx other than 429 is fatal for the request. The default host is the US-01 instance; set
 * {@link #withBaseUrl} to your instance's REST endpoint.
 */
@AutoValue
public abstract class BrazeConnector implements VendorConnector {
  public static final String DEFAULT_BASE_URL = "https://rest.iad-01.braze.com";
  public static final int MAX_ATTRIBUTES_PER_REQUEST = 75;

  public abstract Credential getCredential();

  public abstract String getBaseUrl();

  public abstract String getAccount();

  public abstract Map<String, String> getAttributeMapping();

  /** Segment to boolean attribute name; empty: {@code segment_<segment>} for every segment. */
  public abstract Map<String, String> getSegmentAttributes();

  /** The SMS subscription group whose state an SMS withdrawal sets to unsubscribed. */
  public abstract @Nullable String getSmsSubscriptionGroup();

  /** Whether SMS withdrawals are sent here (default yes; off for a workspace without SMS). */
  public abstract boolean getSmsWithdrawals();

  abstract Builder toBuilder();

  public static BrazeConnector create(Credential restApiKey) {
    if (restApiKey == null) {
      throw new IllegalArgumentException("Braze needs a REST API key");
    }
    return new AutoValue_BrazeConnector.Builder().setCredential(restApiKey)
        .setBaseUrl(DEFAULT_BASE_URL).setAccount("default").setAttributeMapping(Map.of())
        .setSegmentAttributes(Map.of()).setSmsWithdrawals(true).build();
  }

  public BrazeConnector withBaseUrl(String url) {
    return toBuilder().setBaseUrl(Json.checkBaseUrl(url, "Braze")).build();
  }

  /** The workspace, for its rate limit (default "default"). */
  public BrazeConnector withAccount(String account) {
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException("Braze account must not be blank");
    }
    return toBuilder().setAccount(account).build();
  }

  public BrazeConnector withAttributeMapping(Map<String, String> mapping) {
    return toBuilder().setAttributeMapping(Json.checkMapping(mapping, "Braze attribute mapping"))
        .build();
  }

  public BrazeConnector withSegmentAttributes(Map<String, String> mapping) {
    return toBuilder().setSegmentAttributes(Json.checkMapping(mapping,
        "Braze segment attributes")).build();
  }

  /**
   * The id of the SMS subscription group (Braze dashboard, Subscription Groups) in which a
   * customer without SMS consent is set to {@code unsubscribed}. Without it, SMS withdrawals
   * are dead-lettered (Braze has no per-user SMS opt-out outside subscription groups).
   */
  public BrazeConnector withSmsSubscriptionGroup(String groupId) {
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("Braze SMS subscription group id must not be blank, "
          + "got '" + groupId + "'");
    }
    return toBuilder().setSmsSubscriptionGroup(groupId).setSmsWithdrawals(true).build();
  }

  /** For a workspace that sends no SMS: no SMS withdrawal is sent (nor dead-lettered). */
  public BrazeConnector withoutSmsWithdrawals() {
    return toBuilder().setSmsSubscriptionGroup(null).setSmsWithdrawals(false).build();
  }

  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCredential(Credential credential);

    abstract Builder setBaseUrl(String url);

    abstract Builder setAccount(String account);

    abstract Builder setAttributeMapping(Map<String, String> mapping);

    abstract Builder setSegmentAttributes(Map<String, String> mapping);

    abstract Builder setSmsSubscriptionGroup(@Nullable String groupId);

    abstract Builder setSmsWithdrawals(boolean smsWithdrawals);

    abstract BrazeConnector build();
  }

  @Override
  public Credential credential() {
    return getCredential();
  }

  @Override
  public String vendor() {
    return "braze";
  }

  @Override
  public String account() {
    return getAccount();
  }

  @Override
  public int maxRecordsPerRequest() {
    return MAX_ATTRIBUTES_PER_REQUEST;
  }

  @Override
  public long maxBytesPerRequest() {
    return 4L * 1024 * 1024; // undocumented for /users/track
  }

  @Override
  public boolean isEmailPlatform() {
    return true;
  }

  @Override
  public boolean handlesSmsWithdrawals() {
    return getSmsWithdrawals();
  }

  /** Braze's push subscription state is a user attribute: every workspace can take it. */
  @Override
  public boolean handlesPushWithdrawals() {
    return true;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    if (update.getSmsWithdrawn() && getSmsSubscriptionGroup() == null) {
      return "SMS consent withdrawn, but no Braze SMS subscription group is configured "
          + "(sink mapping braze.sms_subscription_group): the SMS unsubscribe was not sent";
    }
    return null; // keyed by external_id, which every update has
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(attributes(update).toString()) + 1;
  }

  private @Nullable String segmentAttribute(String segment) {
    if (getSegmentAttributes().isEmpty()) {
      return "segment_" + segment;
    }
    return getSegmentAttributes().get(segment);
  }

  ObjectNode attributes(ContactUpdate update) {
    ObjectNode object = Json.object();
    object.put("external_id", update.getKey());
    if (update.getPushWithdrawn()) {
      // only the push subscription state: nothing else about the person
      object.put("_update_existing_only", true);
      object.put("push_subscribe", "unsubscribed");
      return object;
    }
    if (update.getSmsWithdrawn()) {
      // only the SMS subscription group's state: no phone, attribute or segment
      object.put("_update_existing_only", true);
      object.putArray("subscription_groups").addObject()
          .put("subscription_group_id", getSmsSubscriptionGroup())
          .put("subscription_state", "unsubscribed");
      return object;
    }
    if (update.getWithdrawn()) {
      // Braze's own opt-out for the email channel; every segment attribute we manage off
      object.put("_update_existing_only", true);
      object.put("email_subscribe", "unsubscribed");
      java.util.TreeSet<String> off = new java.util.TreeSet<>();
      update.getSegmentsExited().forEach(segment -> {
        if (segmentAttribute(segment) != null) {
          off.add(segmentAttribute(segment));
        }
      });
      off.addAll(getSegmentAttributes().values());
      off.forEach(attribute -> object.put(attribute, false));
      return object;
    }
    if (update.getExitOnly()) {
      object.put("_update_existing_only", true);
    } else {
      if (update.getEmail() != null) {
        object.put("email", update.getEmail());
      }
      if (update.getPhone() != null) {
        object.put("phone", update.getPhone());
      }
      getAttributeMapping().forEach((field, attribute) -> {
        if (update.getFields().containsKey(field)) {
          object.put(attribute, update.getFields().get(field));
        }
      });
      for (String segment : update.getSegmentsCurrent()) {
        String attribute = segmentAttribute(segment);
        if (attribute != null) {
          object.put(attribute, true);
        }
      }
    }
    for (String segment : update.getSegmentsExited()) {
      String attribute = segmentAttribute(segment);
      if (attribute != null) {
        object.put(attribute, false);
      }
    }
    return object;
  }

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    ObjectNode body = Json.object();
    ArrayNode attributes = body.putArray("attributes");
    batch.forEach(update -> attributes.add(attributes(update)));
    return List.of(VendorCall.of("POST", URI.create(getBaseUrl() + "/users/track"),
            body.toString(), batch)
        .withHeader("Content-Type", "application/json")
        .withSecretHeader("Authorization", "Bearer " + secret));
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (common.kind() != CallOutcome.Kind.ACCEPTED) {
      return common;
    }
    JsonNode response = Json.parse(body);
    JsonNode errors = response == null ? null : response.get("errors");
    if (errors == null || !errors.isArray() || errors.isEmpty()) {
      return CallOutcome.accepted();
    }
    Map<Integer, String> rejected = new HashMap<>();
    for (JsonNode error : errors) {
      if (!"attributes".equals(error.path("input_array").asText("attributes"))) {
        continue;
      }
      int index = error.path("index").asInt(-1);
      if (index >= 0 && index < call.records().size()) {
        rejected.putIfAbsent(index, error.path("type").asText("rejected"));
      }
    }
    return CallOutcome.partial(rejected);
  }

  @Override
  public final String toString() {
    return "BrazeConnector{baseUrl=" + getBaseUrl() + ", account=" + getAccount()
        + ", smsSubscriptionGroup=" + getSmsSubscriptionGroup()
        + ", credential=" + Credential.MASK + "}";
  }
}
