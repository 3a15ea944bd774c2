package dev.audiencesegmenter.io.salesforce;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Salesforce records through sObject Collections upsert,
 * {@code PATCH /services/data/vXX.X/composite/sobjects/{SObject}/{ExternalIdField}} with an
 * OAuth access token as Bearer, at most 200 records per request, {@code allOrNone=false}. Each
 * record carries the key in the external id field, mapped fields, and the current segments
 * joined by {@code ;} (a multi-select picklist or text field, default {@code Audience_Segments__c}).
 * Results come back in request order; failed ones are dead-lettered with Salesforce's
 * {@code statusCode: message}. The daily API limit ({@code 403 REQUEST_LIMIT_EXCEEDED}) is
 * retried with the sink's backoff (raise its max backoff for long waits); other 4xx are permanent. Bulk API 2.0 is not used.
 */
@AutoValue
public abstract class SalesforceConnector implements VendorConnector {
  public static final int MAX_RECORDS_PER_REQUEST = 200;
  public static final String DEFAULT_API_VERSION = "v60.0";
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

  public abstract Credential getCredential();

  /** The org's instance URL, e.g. {@code https://mycompany.my.salesforce.com}. */
  public abstract String getInstanceUrl();

  public abstract String getApiVersion();

  public abstract String getSObject();

  public abstract String getExternalIdField();

  public abstract Map<String, String> getFieldMapping();

  public abstract @Nullable String getEmailField();

  public abstract String getSegmentsField();

  abstract Builder toBuilder();

  /**
   * Upserts {@code sObject} records (e.g. {@code Contact}) matched on {@code externalIdField}
   * (e.g. {@code Customer_Id__c}) at {@code instanceUrl}.
   */
  public static SalesforceConnector create(Credential accessToken, String instanceUrl,
      String sObject, String externalIdField) {
    if (accessToken == null) {
      throw new IllegalArgumentException("Salesforce needs an access token");
    }
    return new AutoValue_SalesforceConnector.Builder().setCredential(accessToken)
        .setInstanceUrl(Json.checkBaseUrl(instanceUrl, "Salesforce instance"))
        .setApiVersion(DEFAULT_API_VERSION).setSObject(checkName(sObject, "sObject"))
        .setExternalIdField(checkName(externalIdField, "external id field"))
        .setFieldMapping(Map.of()).setEmailField("Email")
        .setSegmentsField("Audience_Segments__c").build();
  }

  private static String checkName(String name, String what) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid Salesforce " + what + " '" + name + "'");
    }
    return name;
  }

  public SalesforceConnector withApiVersion(String version) {
    if (version == null || !version.matches("v\\d+\\.\\d")) {
      throw new IllegalArgumentException("Salesforce API version must look like v60.0, got '"
          + version + "'");
    }
    return toBuilder().setApiVersion(version).build();
  }

  public SalesforceConnector withFieldMapping(Map<String, String> mapping) {
    Map<String, String> checked = Json.checkMapping(mapping, "Salesforce field mapping");
    checked.values().forEach(field -> checkName(field, "field"));
    return toBuilder().setFieldMapping(checked).build();
  }

  public SalesforceConnector withSegmentsField(String field) {
    return toBuilder().setSegmentsField(checkName(field, "segments field")).build();
  }

  /** The field the email goes to (default {@code Email}). */
  public SalesforceConnector withEmailField(String field) {
    return toBuilder().setEmailField(checkName(field, "email field")).build();
  }

  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCredential(Credential credential);

    abstract Builder setInstanceUrl(String url);

    abstract Builder setApiVersion(String version);

    abstract Builder setSObject(String sObject);

    abstract Builder setExternalIdField(String field);

    abstract Builder setFieldMapping(Map<String, String> mapping);

    abstract Builder setEmailField(String field);

    abstract Builder setSegmentsField(String field);

    abstract SalesforceConnector build();
  }

  @Override
  public Credential credential() {
    return getCredential();
  }

  @Override
  public String vendor() {
    return "salesforce";
  }

  @Override
  public String account() {
    return getInstanceUrl();
  }

  @Override
  public int maxRecordsPerRequest() {
    return MAX_RECORDS_PER_REQUEST;
  }

  @Override
  public long maxBytesPerRequest() {
    return 4L * 1024 * 1024;
  }

  @Override
  public boolean isEmailPlatform() {
    return false;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    return null;
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(record(update).toString()) + 1;
  }

  ObjectNode record(ContactUpdate update) {
    ObjectNode record = Json.object();
    record.putObject("attributes").put("type", getSObject());
    record.put(getExternalIdField(), update.getKey());
    if (getEmailField() != null && update.getEmail() != null) {
      record.put(getEmailField(), update.getEmail());
    }
    getFieldMapping().forEach((field, target) -> {
      if (update.getFields().containsKey(field)) {
        record.put(target, update.getFields().get(field));
      }
    });
    record.put(getSegmentsField(), String.join(";", new TreeSet<>(update.getSegmentsCurrent())));
    return record;
  }

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    ObjectNode body = Json.object();
    body.put("allOrNone", false);
    ArrayNode records = body.putArray("records");
    batch.forEach(update -> records.add(record(update)));
    return List.of(VendorCall.of("PATCH", URI.create(getInstanceUrl() + "/services/data/"
            + getApiVersion() + "/composite/sobjects/" + getSObject() + "/"
            + getExternalIdField()), body.toString(), batch)
        .withHeader("Content-Type", "application/json")
        .withSecretHeader("Authorization", "Bearer " + secret));
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    JsonNode response = Json.parse(body);
    if (status == 403 && response != null
        && "REQUEST_LIMIT_EXCEEDED".equals(response.path(0).path("errorCode").asText())) {
      return CallOutcome.retry("HTTP 403 REQUEST_LIMIT_EXCEEDED: "
          + HttpStatusRules.vendorMessage(body), HttpStatusRules.requestedDelay(headers)
          .orElse(null), true);
    }
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (common.kind() != CallOutcome.Kind.ACCEPTED) {
      if (response != null && response.isArray() && response.size() > 0) {
        String message = "HTTP " + status + ": " + response.get(0).path("errorCode").asText()
            + ": " + response.get(0).path("message").asText();
        return common.kind() == CallOutcome.Kind.TRANSIENT
            ? CallOutcome.retry(message, common.retryAfter(), common.throttled())
            : CallOutcome.fail(message);
      }
      return common;
    }
    if (response == null || !response.isArray()) {
      return CallOutcome.fail("HTTP " + status + ": unexpected answer: "
          + HttpStatusRules.vendorMessage(body));
    }
    Map<Integer, String> rejected = new HashMap<>();
    for (int i = 0; i < call.records().size(); i++) {
      JsonNode result = response.path(i);
      if (result.isMissingNode()) {
        rejected.put(i, "no result returned for this record");
      } else if (!result.path("success").asBoolean(false)) {
        List<String> messages = new ArrayList<>();
        for (JsonNode error : result.path("errors")) {
          messages.add(error.path("statusCode").asText() + ": " + error.path("message").asText()
              + (error.path("fields").isEmpty() ? "" : " " + error.path("fields")));
        }
        rejected.put(i, messages.isEmpty() ? "failed" : String.join("; ", messages));
      }
    }
    return CallOutcome.partial(rejected);
  }

  @Override
  public final String toString() {
    return "SalesforceConnector{instanceUrl=" + getInstanceUrl() + ", sObject=" + getSObject()
        + ", externalIdField=" + getExternalIdField() + ", credential=" + Credential.MASK + "}";
  }
}
