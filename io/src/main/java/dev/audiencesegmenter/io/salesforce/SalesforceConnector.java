package dev.audiencesegmenter.io.salesforce;

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
 * retried with the sink's backoff (raise its max backoff for long waits); other 4xx are permanent.
 *
 * <p><b>Bulk API 2.0</b> ({@link #withBulk}): a batch of at least the threshold (default 2,000
 * records, Salesforce's advice) in {@link BulkMode#AUTO}, or every batch in
 * {@link BulkMode#ALWAYS}, goes as one ingest job instead: create the job
 * ({@code POST .../jobs/ingest}, upsert, CSV, LF), upload the CSV
 * ({@code PUT .../jobs/ingest/{id}/batches}), close it ({@code PATCH} state
 * {@code UploadComplete}, without which it is never processed), poll {@code GET
 * .../jobs/ingest/{id}} until {@code JobComplete}, {@code Failed} or {@code Aborted}, and read
 * {@code failedResults/} (CSV with {@code sf__Error} and the input columns): each failed row is
 * dead-lettered, matched on the external id, with Salesforce's error. A job that fails or
 * aborts dead-letters its whole batch, with the job's {@code errorMessage}. Jobs take up to
 * {@value #BULK_MAX_RECORDS} records (so batches grow to that size when bulk is possible); every
 * step goes through the sink's rate limit and retries. A job created by a request whose answer
 * was lost stays open and unused (Salesforce removes it after some days).
 */
@AutoValue
public abstract class SalesforceConnector implements VendorConnector {
  public static final int MAX_RECORDS_PER_REQUEST = 200;
  /** Records per Bulk API 2.0 job (one upload; far below the 150 MB limit per upload). */
  public static final int BULK_MAX_RECORDS = 10_000;
  public static final int DEFAULT_BULK_THRESHOLD = 2_000;

  /** When to use Bulk API 2.0 ingest jobs. */
  public enum BulkMode {
    /** Batches of at least the threshold. */
    AUTO,
    /** Every batch. */
    ALWAYS,
    /** Never: sObject Collections only, batches of 200. */
    NEVER;

    /** {@code auto}, {@code always} or {@code never} (any case). */
    public static BulkMode parse(String text) {
      for (BulkMode mode : values()) {
        if (mode.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
          return mode;
        }
      }
      throw new IllegalArgumentException("Salesforce bulk mode must be auto, always or never, "
          + "got '" + text + "'");
    }
  }
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

  public abstract BulkMode getBulkMode();

  public abstract int getBulkThreshold();

  /** Wait between two polls of a bulk job's state. */
  public abstract java.time.Duration getBulkPollInterval();

  /** Polls before a bulk job that is still running is given up (its batch dead-lettered). */
  public abstract int getBulkMaxPolls();

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
        .setSegmentsField("Audience_Segments__c").setBulkMode(BulkMode.NEVER)
        .setBulkThreshold(DEFAULT_BULK_THRESHOLD)
        .setBulkPollInterval(java.time.Duration.ofSeconds(5)).setBulkMaxPolls(720).build();
  }

  /**
   * Bulk API 2.0 ingest jobs: {@code AUTO} for batches of at least {@code threshold} records
   * (1 to {@value #BULK_MAX_RECORDS}), {@code ALWAYS}, or {@code NEVER} (the default).
   */
  public SalesforceConnector withBulk(BulkMode mode, int threshold) {
    if (mode == null) {
      throw new IllegalArgumentException("Salesforce bulk mode must not be null");
    }
    if (threshold < 1 || threshold > BULK_MAX_RECORDS) {
      throw new IllegalArgumentException("Salesforce bulk threshold must be in 1.."
          + BULK_MAX_RECORDS + ", got " + threshold);
    }
    return toBuilder().setBulkMode(mode).setBulkThreshold(threshold).build();
  }

  /** How often and how long to poll a bulk job (default every 5 s, 720 times: an hour). */
  public SalesforceConnector withBulkPolling(java.time.Duration interval, int maxPolls) {
    if (interval == null || interval.isNegative() || maxPolls < 1) {
      throw new IllegalArgumentException("Salesforce bulk polling needs a non-negative "
          + "interval and at least 1 poll, got " + interval + " and " + maxPolls);
    }
    return toBuilder().setBulkPollInterval(interval).setBulkMaxPolls(maxPolls).build();
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

    abstract Builder setBulkMode(BulkMode mode);

    abstract Builder setBulkThreshold(int threshold);

    abstract Builder setBulkPollInterval(java.time.Duration interval);

    abstract Builder setBulkMaxPolls(int polls);

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
    return getBulkMode() == BulkMode.NEVER ? MAX_RECORDS_PER_REQUEST : BULK_MAX_RECORDS;
  }

  @Override
  public long maxBytesPerRequest() {
    // a bulk upload may take 150 MB; composite calls are split again to 4 MB in plan()
    return getBulkMode() == BulkMode.NEVER ? COMPOSITE_MAX_BYTES : 100L * 1024 * 1024;
  }

  static final long COMPOSITE_MAX_BYTES = 4L * 1024 * 1024;

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
    boolean bulk = getBulkMode() == BulkMode.ALWAYS
        || getBulkMode() == BulkMode.AUTO && batch.size() >= getBulkThreshold();
    if (bulk) {
      return List.of(createJob(batch, secret));
    }
    List<VendorCall> calls = new ArrayList<>();
    List<ContactUpdate> chunk = new ArrayList<>();
    long bytes = 0;
    for (ContactUpdate update : batch) {
      long size = recordBytes(update);
      if (!chunk.isEmpty() && (chunk.size() >= MAX_RECORDS_PER_REQUEST
          || bytes + size > COMPOSITE_MAX_BYTES)) {
        calls.add(composite(chunk, secret));
        chunk = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(update);
      bytes += size;
    }
    if (!chunk.isEmpty()) {
      calls.add(composite(chunk, secret));
    }
    return calls;
  }

  private VendorCall composite(List<ContactUpdate> batch, String secret) {
    ObjectNode body = Json.object();
    body.put("allOrNone", false);
    ArrayNode records = body.putArray("records");
    batch.forEach(update -> records.add(record(update)));
    return VendorCall.of("PATCH", URI.create(getInstanceUrl() + "/services/data/"
            + getApiVersion() + "/composite/sobjects/" + getSObject() + "/"
            + getExternalIdField()), body.toString(), batch)
        .withHeader("Content-Type", "application/json")
        .withSecretHeader("Authorization", "Bearer " + secret);
  }

  // ---- Bulk API 2.0 ingest ----

  private static final String STEP = "bulkStep";
  private static final String JOB = "bulkJob";
  private static final String POLLS = "bulkPolls";

  private String jobsUrl() {
    return getInstanceUrl() + "/services/data/" + getApiVersion() + "/jobs/ingest";
  }

  private VendorCall createJob(List<ContactUpdate> batch, String secret) {
    ObjectNode body = Json.object();
    body.put("object", getSObject());
    body.put("externalIdFieldName", getExternalIdField());
    body.put("contentType", "CSV");
    body.put("operation", "upsert");
    body.put("lineEnding", "LF");
    return VendorCall.of("POST", URI.create(jobsUrl()), body.toString(), batch)
        .withHeader("Content-Type", "application/json")
        .withHeader("Accept", "application/json")
        .withSecretHeader("Authorization", "Bearer " + secret)
        .withState(STEP, "create");
  }

  /** The batch as CSV: external id, email, mapped fields, segments; LF line endings. */
  String csv(List<ContactUpdate> batch) {
    java.util.LinkedHashSet<String> columns = new java.util.LinkedHashSet<>();
    List<ObjectNode> rows = new ArrayList<>();
    for (ContactUpdate update : batch) {
      ObjectNode row = record(update);
      row.remove("attributes");
      row.fieldNames().forEachRemaining(columns::add);
      rows.add(row);
    }
    StringBuilder out = new StringBuilder();
    try (org.apache.commons.csv.CSVPrinter printer = new org.apache.commons.csv.CSVPrinter(out,
        org.apache.commons.csv.CSVFormat.RFC4180.builder().setRecordSeparator("\n").build())) {
      printer.printRecord(columns);
      for (ObjectNode row : rows) {
        List<String> values = new ArrayList<>();
        for (String column : columns) {
          values.add(row.path(column).asText(""));
        }
        printer.printRecord(values);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString();
  }

  private CallOutcome bulkStep(VendorCall call, int status, HttpHeaders headers, String body,
      @Nullable JsonNode response) {
    String job = call.state(JOB);
    switch (call.state(STEP)) {
      case "create" -> {
        String id = response == null ? "" : response.path("id").asText("");
        if (!id.matches("[A-Za-z0-9]+")) {
          return CallOutcome.fail("HTTP " + status + ": no job id in the answer: "
              + HttpStatusRules.vendorMessage(body));
        }
        return CallOutcome.then(Map.of(), List.of(call.followUp("PUT",
                URI.create(jobsUrl() + "/" + id + "/batches"), csv(call.records()), call.records())
            .withHeader("Content-Type", "text/csv").withState(STEP, "upload")
            .withState(JOB, id)), java.time.Duration.ZERO);
      }
      case "upload" -> {
        return CallOutcome.then(Map.of(), List.of(call.followUp("PATCH",
                URI.create(jobsUrl() + "/" + job), "{\"state\":\"UploadComplete\"}",
                call.records())
            .withHeader("Content-Type", "application/json").withState(STEP, "close")),
            java.time.Duration.ZERO);
      }
      case "close" -> {
        return CallOutcome.then(Map.of(), List.of(poll(call, 0)), java.time.Duration.ZERO);
      }
      case "poll" -> {
        String state = response == null ? "" : response.path("state").asText("");
        switch (state) {
          case "JobComplete" -> {
            if (response.path("numberRecordsFailed").asLong(1) == 0) {
              return CallOutcome.accepted();
            }
            return CallOutcome.then(Map.of(), List.of(call.followUp("GET",
                    URI.create(jobsUrl() + "/" + job + "/failedResults/"), "", call.records())
                .withHeader("Accept", "text/csv").withState(STEP, "failed")),
                java.time.Duration.ZERO);
          }
          case "Failed", "Aborted" -> {
            return CallOutcome.fail("bulk job " + job + " " + state + ": "
                + response.path("errorMessage").asText("no error message"));
          }
          default -> {
            int polls = Integer.parseInt(call.state(POLLS)) + 1;
            if (polls >= getBulkMaxPolls()) {
              return CallOutcome.fail("bulk job " + job + " still " + state + " after "
                  + polls + " polls");
            }
            return CallOutcome.pollAgain(poll(call, polls), getBulkPollInterval());
          }
        }
      }
      case "failed" -> {
        return CallOutcome.partial(failedRows(call, body));
      }
      default -> throw new IllegalStateException("unknown bulk step " + call.state(STEP));
    }
  }

  private VendorCall poll(VendorCall call, int polls) {
    return call.followUp("GET", URI.create(jobsUrl() + "/" + call.state(JOB)), "",
            call.records())
        .withHeader("Accept", "application/json").withState(STEP, "poll")
        .withState(POLLS, Integer.toString(polls));
  }

  /** failedResults/ rows, matched to the job's records on the external id. */
  private Map<Integer, String> failedRows(VendorCall call, String csv) {
    Map<String, Integer> byKey = new HashMap<>();
    for (int i = 0; i < call.records().size(); i++) {
      byKey.putIfAbsent(call.records().get(i).getKey(), i);
    }
    Map<Integer, String> rejected = new HashMap<>();
    try (org.apache.commons.csv.CSVParser parser = org.apache.commons.csv.CSVParser.parse(csv,
        org.apache.commons.csv.CSVFormat.RFC4180.builder().setHeader()
            .setSkipHeaderRecord(true).build())) {
      for (org.apache.commons.csv.CSVRecord row : parser) {
        if (!row.isMapped(getExternalIdField()) || !row.isMapped("sf__Error")) {
          continue;
        }
        Integer index = byKey.get(row.get(getExternalIdField()));
        if (index != null) {
          rejected.putIfAbsent(index, row.get("sf__Error"));
        }
      }
    } catch (java.io.IOException | IllegalArgumentException e) {
      // unreadable results: fail them all so the next run sends them again
      for (int i = 0; i < call.records().size(); i++) {
        rejected.put(i, "unreadable failedResults of bulk job " + call.state(JOB) + ": " + e);
      }
    }
    return rejected;
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    JsonNode response = call.state(STEP) != null && call.state(STEP).equals("failed")
        && status < 300 ? null : Json.parse(body);
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
    if (call.state(STEP) != null) {
      return bulkStep(call, status, headers, body, response);
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
        + ", bulk=" + getBulkMode()
        + ", externalIdField=" + getExternalIdField() + ", credential=" + Credential.MASK + "}";
  }
}
