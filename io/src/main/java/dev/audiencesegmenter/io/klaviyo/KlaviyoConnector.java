package dev.audiencesegmenter.io.klaviyo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.sink.CallOutcome;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.Credential;
import dev.audiencesegmenter.io.sink.HttpStatusRules;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.VendorCall;
import dev.audiencesegmenter.io.sink.VendorConnector;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Klaviyo profiles through the bulk import job, {@code POST /api/profile-bulk-import-jobs}
 * (JSON:API, {@code Authorization: Klaviyo-API-Key}, a {@code revision} header), at most 10,000
 * profiles and 5 MB per request. The import is an upsert; profiles carry the key as
 * {@code external_id}, mapped fields and the current segments (a list property, default
 * {@code audience_segments}). With {@link #withListId}, consenting profiles are also added to
 * that list; exit-only updates (no consent) go in a job of their own without the list, so they
 * are never added to it, and only update the segments property.
 *
 * <p>The job runs asynchronously: request-level errors (4xx with JSON:API {@code errors[]})
 * are dead-lettered, but rows the job fails later are not polled for yet.
 */
@AutoValue
public abstract class KlaviyoConnector implements VendorConnector {
  public static final String DEFAULT_BASE_URL = "https://a.klaviyo.com";
  public static final String DEFAULT_REVISION = "2024-10-15";
  public static final int MAX_PROFILES_PER_REQUEST = 10_000;
  /** 5 MB, less room for the job envelope. */
  public static final long MAX_BYTES_PER_REQUEST = 5L * 1000 * 1000 - 4096;
  private static final Pattern REVISION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}(\\.pre)?");

  public abstract Credential getCredential();

  public abstract String getBaseUrl();

  public abstract String getRevision();

  public abstract @Nullable String getListId();

  public abstract String getAccount();

  public abstract Map<String, String> getPropertyMapping();

  public abstract String getSegmentsProperty();

  abstract Builder toBuilder();

  public static KlaviyoConnector create(Credential privateApiKey) {
    if (privateApiKey == null) {
      throw new IllegalArgumentException("Klaviyo needs a private API key");
    }
    return new AutoValue_KlaviyoConnector.Builder().setCredential(privateApiKey)
        .setBaseUrl(DEFAULT_BASE_URL).setRevision(DEFAULT_REVISION).setAccount("default")
        .setPropertyMapping(Map.of()).setSegmentsProperty("audience_segments").build();
  }

  public KlaviyoConnector withBaseUrl(String url) {
    return toBuilder().setBaseUrl(Json.checkBaseUrl(url, "Klaviyo")).build();
  }

  /** The API revision date sent in the {@code revision} header. */
  public KlaviyoConnector withRevision(String revision) {
    if (revision == null || !REVISION.matcher(revision).matches()) {
      throw new IllegalArgumentException("Klaviyo revision must look like 2024-10-15, got '"
          + revision + "'");
    }
    return toBuilder().setRevision(revision).build();
  }

  public KlaviyoConnector withListId(String listId) {
    if (listId == null || !listId.matches("[A-Za-z0-9]+")) {
      throw new IllegalArgumentException("Invalid Klaviyo list id '" + listId + "'");
    }
    return toBuilder().setListId(listId).build();
  }

  public KlaviyoConnector withAccount(String account) {
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException("Klaviyo account must not be blank");
    }
    return toBuilder().setAccount(account).build();
  }

  public KlaviyoConnector withPropertyMapping(Map<String, String> mapping) {
    return toBuilder().setPropertyMapping(Json.checkMapping(mapping, "Klaviyo property mapping"))
        .build();
  }

  public KlaviyoConnector withSegmentsProperty(String property) {
    if (property == null || property.isBlank()) {
      throw new IllegalArgumentException("Klaviyo segments property must not be blank");
    }
    return toBuilder().setSegmentsProperty(property).build();
  }

  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCredential(Credential credential);

    abstract Builder setBaseUrl(String url);

    abstract Builder setRevision(String revision);

    abstract Builder setListId(String listId);

    abstract Builder setAccount(String account);

    abstract Builder setPropertyMapping(Map<String, String> mapping);

    abstract Builder setSegmentsProperty(String property);

    abstract KlaviyoConnector build();
  }

  @Override
  public Credential credential() {
    return getCredential();
  }

  @Override
  public String vendor() {
    return "klaviyo";
  }

  @Override
  public String account() {
    return getAccount();
  }

  @Override
  public int maxRecordsPerRequest() {
    return MAX_PROFILES_PER_REQUEST;
  }

  @Override
  public long maxBytesPerRequest() {
    return MAX_BYTES_PER_REQUEST;
  }

  @Override
  public boolean isEmailPlatform() {
    return true;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    return update.getEmail() == null && update.getPhone() == null
        ? "no email or phone: Klaviyo profiles need one" : null;
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(profile(update).toString()) + 1;
  }

  ObjectNode profile(ContactUpdate update) {
    ObjectNode profile = Json.object();
    profile.put("type", "profile");
    ObjectNode attributes = profile.putObject("attributes");
    attributes.put("external_id", update.getKey());
    if (update.getEmail() != null) {
      attributes.put("email", update.getEmail());
    }
    if (update.getPhone() != null) {
      attributes.put("phone_number", update.getPhone());
    }
    ObjectNode properties = attributes.putObject("properties");
    if (!update.getExitOnly()) {
      getPropertyMapping().forEach((field, property) -> {
        if (update.getFields().containsKey(field)) {
          properties.put(property, update.getFields().get(field));
        }
      });
    }
    ArrayNode segments = properties.putArray(getSegmentsProperty());
    new TreeSet<>(update.getExitOnly() ? List.of() : update.getSegmentsCurrent())
        .forEach(segments::add);
    return profile;
  }

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    List<ContactUpdate> joining = new ArrayList<>();
    List<ContactUpdate> exitOnly = new ArrayList<>();
    batch.forEach(update -> (update.getExitOnly() ? exitOnly : joining).add(update));
    List<VendorCall> calls = new ArrayList<>();
    if (!joining.isEmpty()) {
      calls.add(job(joining, getListId(), secret));
    }
    if (!exitOnly.isEmpty()) {
      calls.add(job(exitOnly, null, secret));
    }
    return calls;
  }

  private VendorCall job(List<ContactUpdate> profiles, @Nullable String listId, String secret) {
    ObjectNode body = Json.object();
    ObjectNode data = body.putObject("data");
    data.put("type", "profile-bulk-import-job");
    ArrayNode profileData = data.putObject("attributes").putObject("profiles").putArray("data");
    profiles.forEach(update -> profileData.add(profile(update)));
    if (listId != null) {
      data.putObject("relationships").putObject("lists").putArray("data").addObject()
          .put("type", "list").put("id", listId);
    }
    return VendorCall.of("POST", URI.create(getBaseUrl() + "/api/profile-bulk-import-jobs"),
            body.toString(), profiles)
        .withHeader("Content-Type", "application/vnd.api+json")
        .withHeader("Accept", "application/vnd.api+json")
        .withHeader("revision", getRevision())
        .withSecretHeader("Authorization", "Klaviyo-API-Key " + secret);
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (common.kind() == CallOutcome.Kind.ACCEPTED) {
      return common;
    }
    JsonNode errors = Json.parse(body) == null ? null : Json.parse(body).get("errors");
    if (errors == null || !errors.isArray() || errors.isEmpty()) {
      return common;
    }
    JsonNode first = errors.get(0);
    String message = "HTTP " + status + ": " + first.path("code").asText("") + " "
        + first.path("detail").asText(first.path("title").asText(""));
    return common.kind() == CallOutcome.Kind.TRANSIENT
        ? CallOutcome.retry(message, common.retryAfter(), common.throttled())
        : CallOutcome.fail(message);
  }

  @Override
  public final String toString() {
    return "KlaviyoConnector{baseUrl=" + getBaseUrl() + ", revision=" + getRevision()
        + ", listId=" + getListId() + ", credential=" + Credential.MASK + "}";
  }
}
