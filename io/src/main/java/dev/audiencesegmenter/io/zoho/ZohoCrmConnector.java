package dev.audiencesegmenter.io.zoho;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.CallOutcome;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.HttpStatusRules;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.VendorCall;
import dev.audiencesegmenter.io.sink.VendorConnector;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Zoho CRM records (Contacts by default) through {@code POST /crm/v8/{module}/upsert} with an
 * OAuth access token ({@code Authorization: Zoho-oauthtoken ...}), at most 100 records per
 * request. Records are matched on a user-defined unique field holding our key
 * ({@code duplicate_check_fields}, default {@code Customer_Id}; mark the field unique in Zoho),
 * carry the email, mapped fields and the current segments (a multi-select picklist, default
 * {@code Audience_Segments}, replaced on every write). {@code trigger} is empty unless
 * {@link #withTriggers} names workflows to run.
 *
 * <p>Zoho answers per record, in request order ({@code data[i]}, its {@code json_path} naming
 * the index): 200 when all succeeded, 207 when mixed, 400 when every record failed. Each failed
 * record is dead-lettered with Zoho's {@code code: message (field)}; the others are stored.
 *
 * <p><b>Never creating a contact for an exit or a withdrawal.</b> Zoho has no update-only
 * upsert, but {@code Last_Name} is mandatory on a new Contact: exit-only updates and withdrawals
 * carry only the key, the segments field (and for a withdrawal {@code Email_Opt_Out: true},
 * Zoho's own opt-out), never a last name, so a contact Zoho does not know is refused with
 * {@code MANDATORY_NOT_FOUND} on {@code Last_Name}, which for them means "nothing to change".
 * Upserts of new customers need a column mapped to {@code Last_Name} or a {@link
 * #withLastNameFallback fallback}; without either Zoho refuses them and they are dead-lettered
 * with its answer.
 *
 * <p><b>Tags per segment</b> ({@link #withSegmentTags}): after the upsert, records that entered
 * a mapped segment are tagged ({@code POST .../actions/add_tags}, {@code over_write: false}) and
 * those that left it, or withdrew, untagged ({@code .../actions/remove_tags}), by the record ids
 * of the upsert's answer.
 *
 * <p>Limits: Zoho counts API credits per rolling day and concurrent calls per org (by edition;
 * upserts of more than 10 records also share a sub-concurrency of 10, so at most 10 requests
 * are in flight per account). Both overruns answer 429 {@code TOO_MANY_REQUESTS} without a
 * {@code Retry-After}; the sink backs off, honouring {@code details.retry_after} when Zoho
 * sends one. Set the base URL to your data center's API domain ({@code www.zohoapis.eu},
 * {@code .in}, {@code .com.au}, {@code .jp}, {@code .com.cn}, {@code .ca}, {@code .sa}).
 */
@AutoValue
public abstract class ZohoCrmConnector implements VendorConnector {
  public static final String DEFAULT_BASE_URL = "https://www.zohoapis.com";
  public static final int MAX_RECORDS_PER_REQUEST = 100;
  /** Upserts of more than 10 records share this sub-concurrency in every edition. */
  public static final int MAX_CONCURRENT_UPSERTS = 10;
  private static final Pattern API_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
  private static final Set<String> TRIGGERS =
      Set.of("workflow", "approval", "blueprint", "pathfinder", "orchestration");
  private static final String STEP = "step";
  private static final String RECORD_IDS = "recordIds";

  public abstract Credential getCredential();

  public abstract String getBaseUrl();

  public abstract String getAccount();

  public abstract String getApiVersion();

  public abstract String getModule();

  /** The unique field holding our key, the upsert's duplicate check. */
  public abstract String getExternalIdField();

  /** Zoho's email field (Contacts: {@code Email}); null to send no email. */
  public abstract @Nullable String getEmailField();

  /** Our field name to Zoho field API name; unmapped fields are not sent. */
  public abstract Map<String, String> getFieldMapping();

  /** The multi-select picklist (or text) field holding the current segments; null for none. */
  public abstract @Nullable String getSegmentsField();

  /** Segment to Zoho tag name, kept on the records while they are members; may be empty. */
  public abstract Map<String, String> getSegmentTags();

  /** What Zoho runs on each write ({@code trigger}): empty, nothing. */
  public abstract List<String> getTriggers();

  /** The {@code Last_Name} of a customer whose mapped fields give none; null: none sent. */
  public abstract @Nullable String getLastNameFallback();

  abstract Builder toBuilder();

  /** A connector sending with this OAuth access token (scope ZohoCRM.modules.contacts.ALL). */
  public static ZohoCrmConnector create(Credential accessToken) {
    if (accessToken == null) {
      throw new IllegalArgumentException("Zoho CRM needs an OAuth access token");
    }
    return new AutoValue_ZohoCrmConnector.Builder().setCredential(accessToken)
        .setBaseUrl(DEFAULT_BASE_URL).setAccount("default").setApiVersion("v8")
        .setModule("Contacts").setExternalIdField("Customer_Id").setEmailField("Email")
        .setFieldMapping(Map.of()).setSegmentsField("Audience_Segments")
        .setSegmentTags(Map.of()).setTriggers(List.of()).build();
  }

  /** The API domain of the org's data center (default {@code https://www.zohoapis.com}). */
  public ZohoCrmConnector withBaseUrl(String url) {
    return toBuilder().setBaseUrl(Json.checkBaseUrl(url, "Zoho CRM")).build();
  }

  /** The org, for the rate and concurrency limits (default "default"). */
  public ZohoCrmConnector withAccount(String account) {
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException("Zoho CRM account must not be blank");
    }
    return toBuilder().setAccount(account).build();
  }

  public ZohoCrmConnector withApiVersion(String version) {
    if (version == null || !version.matches("v[0-9]+")) {
      throw new IllegalArgumentException("Zoho CRM API version must look like v8, got '"
          + version + "'");
    }
    return toBuilder().setApiVersion(version).build();
  }

  /** The module's API name (default {@code Contacts}; {@code Leads} works the same way). */
  public ZohoCrmConnector withModule(String module) {
    return toBuilder().setModule(apiName(module, "module")).build();
  }

  public ZohoCrmConnector withExternalIdField(String field) {
    return toBuilder().setExternalIdField(apiName(field, "external id field")).build();
  }

  public ZohoCrmConnector withEmailField(String field) {
    return toBuilder().setEmailField(apiName(field, "email field")).build();
  }

  public ZohoCrmConnector withFieldMapping(Map<String, String> mapping) {
    Map<String, String> checked = Json.checkMapping(mapping, "Zoho CRM field mapping");
    checked.values().forEach(field -> apiName(field, "field"));
    return toBuilder().setFieldMapping(checked).build();
  }

  public ZohoCrmConnector withSegmentsField(String field) {
    return toBuilder().setSegmentsField(apiName(field, "segments field")).build();
  }

  /** No segments field: segments only as tags ({@link #withSegmentTags}), or not at all. */
  public ZohoCrmConnector withoutSegmentsField() {
    return toBuilder().setSegmentsField(null).build();
  }

  /** Keeps these segments as tags (segment to tag name, at most 25 characters). */
  public ZohoCrmConnector withSegmentTags(Map<String, String> segmentToTag) {
    Map<String, String> checked = Json.checkMapping(segmentToTag, "Zoho CRM segment tags");
    checked.forEach((segment, tag) -> {
      if (tag.length() > 25) {
        throw new IllegalArgumentException("Zoho CRM tag of segment '" + segment + "' is "
            + tag.length() + " characters, over Zoho's 25: '" + tag + "'");
      }
    });
    return toBuilder().setSegmentTags(checked).build();
  }

  /** Runs these on each write: workflow, approval, blueprint, pathfinder, orchestration. */
  public ZohoCrmConnector withTriggers(List<String> triggers) {
    for (String trigger : triggers) {
      if (!TRIGGERS.contains(trigger)) {
        throw new IllegalArgumentException("Unknown Zoho CRM trigger '" + trigger + "'; known: "
            + new TreeSet<>(TRIGGERS));
      }
    }
    return toBuilder().setTriggers(List.copyOf(triggers)).build();
  }

  /**
   * The {@code Last_Name} sent for a customer whose mapped fields carry none (our data rarely
   * has names, and Zoho refuses a new contact without one), such as {@code "(unknown)"}. Never
   * sent on exits and withdrawals, which must not create a contact.
   */
  public ZohoCrmConnector withLastNameFallback(String lastName) {
    if (lastName == null || lastName.isBlank()) {
      throw new IllegalArgumentException("Zoho CRM last name fallback must not be blank, got '"
          + lastName + "'");
    }
    return toBuilder().setLastNameFallback(lastName).build();
  }

  private static String apiName(String name, String what) {
    if (name == null || !API_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Zoho CRM " + what + " must be an API name (letters, "
          + "digits, underscores), got '" + name + "'");
    }
    return name;
  }

  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCredential(Credential credential);

    abstract Builder setBaseUrl(String url);

    abstract Builder setAccount(String account);

    abstract Builder setApiVersion(String version);

    abstract Builder setModule(String module);

    abstract Builder setExternalIdField(String field);

    abstract Builder setEmailField(@Nullable String field);

    abstract Builder setFieldMapping(Map<String, String> mapping);

    abstract Builder setSegmentsField(@Nullable String field);

    abstract Builder setSegmentTags(Map<String, String> tags);

    abstract Builder setTriggers(List<String> triggers);

    abstract Builder setLastNameFallback(@Nullable String fallback);

    abstract ZohoCrmConnector build();
  }

  @Override
  public Credential credential() {
    return getCredential();
  }

  @Override
  public String vendor() {
    return "zoho";
  }

  @Override
  public String account() {
    return getAccount() + "@" + getBaseUrl();
  }

  @Override
  public int maxRecordsPerRequest() {
    return MAX_RECORDS_PER_REQUEST;
  }

  @Override
  public long maxBytesPerRequest() {
    return 2L * 1024 * 1024; // not documented; a safe request size
  }

  @Override
  public int maxConcurrentRequestsPerAccount() {
    return MAX_CONCURRENT_UPSERTS;
  }

  @Override
  public boolean isEmailPlatform() {
    return false;
  }

  /** A CRM whose contacts carry an email opt-out: a withdrawal sets it. */
  @Override
  public boolean handlesWithdrawals() {
    return true;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    return null; // keyed by our key, which every update has
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(record(update).toString()) + 1;
  }

  ObjectNode record(ContactUpdate update) {
    ObjectNode record = Json.object();
    record.put(getExternalIdField(), update.getKey());
    if (update.getWithdrawn()) {
      // Zoho's own opt-out and out of every segment: nothing else about the person
      record.put("Email_Opt_Out", true);
      if (getSegmentsField() != null) {
        record.putArray(getSegmentsField());
      }
      return record;
    }
    if (!update.getExitOnly()) {
      if (getEmailField() != null && update.getEmail() != null) {
        record.put(getEmailField(), update.getEmail());
      }
      getFieldMapping().forEach((field, target) -> {
        if (update.getFields().containsKey(field)) {
          record.put(target, update.getFields().get(field));
        }
      });
      if (getLastNameFallback() != null && !record.hasNonNull("Last_Name")) {
        record.put("Last_Name", getLastNameFallback());
      }
    }
    if (getSegmentsField() != null) {
      ArrayNode segments = record.putArray(getSegmentsField());
      new TreeSet<>(update.getSegmentsCurrent()).forEach(segments::add);
    }
    return record;
  }

  private String modulePath() {
    return getBaseUrl() + "/crm/" + getApiVersion() + "/" + getModule();
  }

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    ObjectNode body = Json.object();
    ArrayNode data = body.putArray("data");
    batch.forEach(update -> data.add(record(update)));
    body.putArray("duplicate_check_fields").add(getExternalIdField());
    ArrayNode trigger = body.putArray("trigger");
    getTriggers().forEach(trigger::add);
    return List.of(VendorCall.of("POST", URI.create(modulePath() + "/upsert"), body.toString(),
            batch)
        .withHeader("Content-Type", "application/json")
        .withSecretHeader("Authorization", "Zoho-oauthtoken " + secret)
        .withState(STEP, "upsert"));
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    JsonNode response = Json.parse(body);
    JsonNode data = response == null ? null : response.get("data");
    boolean perRecord = data != null && data.isArray() && !data.isEmpty();
    if (status == 429) {
      Duration asked = HttpStatusRules.requestedDelay(headers).orElse(null);
      long seconds = response == null ? 0
          : response.path("details").path("retry_after").asLong(0);
      return CallOutcome.retry("HTTP 429: " + code(response) + HttpStatusRules.vendorMessage(
          body), asked == null && seconds > 0 ? Duration.ofSeconds(seconds) : asked, true);
    }
    if (!(status == 400 && perRecord)) { // a 400 with data[] is per-record: every record failed
      CallOutcome common = HttpStatusRules.classify(status, headers, body);
      if (common.kind() != CallOutcome.Kind.ACCEPTED) {
        String message = "HTTP " + status + ": " + code(response)
            + HttpStatusRules.vendorMessage(body);
        return common.kind() == CallOutcome.Kind.TRANSIENT
            ? CallOutcome.retry(message, common.retryAfter(), common.throttled())
            : CallOutcome.fail(message);
      }
    }
    if (!perRecord) {
      return CallOutcome.fail("HTTP " + status + ": no per-record results in Zoho's answer: "
          + HttpStatusRules.vendorMessage(body));
    }
    return "upsert".equals(call.state(STEP)) ? upserted(call, data) : tagged(call, data);
  }

  private static String code(@Nullable JsonNode response) {
    String code = response == null ? "" : response.path("code").asText("");
    return code.isEmpty() ? "" : code + ": ";
  }

  /** Per record: stored (its id kept for tags), nothing to change, or rejected. */
  private CallOutcome upserted(VendorCall call, JsonNode data) {
    List<ContactUpdate> records = call.records();
    Map<Integer, String> rejected = new HashMap<>();
    Map<Integer, String> ids = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      JsonNode result = data.path(i);
      ContactUpdate update = records.get(i);
      if (result.isMissingNode()) {
        rejected.put(i, "no result returned for this record");
      } else if ("success".equals(result.path("status").asText())) {
        String id = result.path("details").path("id").asText("");
        if (!id.isEmpty()) {
          ids.put(i, id);
        }
      } else if (update.getExitOnly() && unknownRecord(result)) {
        continue; // Zoho does not have it: nothing to take it out of
      } else {
        rejected.put(i, perRecordError(result));
      }
    }
    return CallOutcome.then(rejected, tagCalls(call, ids, rejected), Duration.ZERO);
  }

  /** The answer to an update that carried no last name, for a record Zoho does not have. */
  private static boolean unknownRecord(JsonNode result) {
    return "MANDATORY_NOT_FOUND".equals(result.path("code").asText())
        && "Last_Name".equals(result.path("details").path("api_name").asText());
  }

  private static String perRecordError(JsonNode result) {
    String field = result.path("details").path("api_name").asText("");
    String hint = unknownRecord(result) ? ": a new contact needs a last name (map a column to "
        + "Last_Name, or set a last name fallback)" : "";
    return result.path("code").asText("ERROR") + ": " + result.path("message").asText("")
        + (field.isEmpty() ? "" : " (" + field + ")") + hint;
  }

  /** Tag and untag calls for the records stored, by the ids Zoho gave them. */
  private List<VendorCall> tagCalls(VendorCall upsert, Map<Integer, String> ids,
      Map<Integer, String> rejected) {
    if (getSegmentTags().isEmpty()) {
      return List.of();
    }
    List<VendorCall> calls = new ArrayList<>();
    for (String direction : List.of("add_tags", "remove_tags")) {
      // tag name -> records and their ids, in record order
      Map<String, List<Integer>> byTag = new LinkedHashMap<>();
      List<ContactUpdate> records = upsert.records();
      for (int i = 0; i < records.size(); i++) {
        ContactUpdate update = records.get(i);
        if (rejected.containsKey(i) || !ids.containsKey(i)) {
          continue;
        }
        for (Map.Entry<String, String> tag : getSegmentTags().entrySet()) {
          boolean change = direction.equals("add_tags")
              ? !update.getExitOnly() && update.getSegmentsEntered().contains(tag.getKey())
              : update.getWithdrawn() || update.getSegmentsExited().contains(tag.getKey());
          if (change) {
            byTag.computeIfAbsent(tag.getValue(), name -> new ArrayList<>()).add(i);
          }
        }
      }
      byTag.forEach((tag, members) -> {
        ObjectNode body = Json.object();
        body.putArray("tags").addObject().put("name", tag);
        ArrayNode idArray = body.putArray("ids");
        List<ContactUpdate> carried = new ArrayList<>();
        List<String> idList = new ArrayList<>();
        for (int index : members) {
          idArray.add(ids.get(index));
          idList.add(ids.get(index));
          carried.add(records.get(index));
        }
        if (direction.equals("add_tags")) {
          body.put("over_write", false);
        }
        calls.add(upsert.followUp("POST", URI.create(modulePath() + "/actions/" + direction),
                body.toString(), carried)
            .withState(STEP, direction + ":" + tag)
            .withState(RECORD_IDS, String.join(",", idList)));
      });
    }
    return calls;
  }

  /** Per record id of a tag call: Zoho's {@code data[]} names each by {@code details.id}. */
  private CallOutcome tagged(VendorCall call, JsonNode data) {
    String[] ids = call.state(RECORD_IDS).split(",");
    Map<String, JsonNode> byId = new HashMap<>();
    for (JsonNode result : data) {
      byId.putIfAbsent(result.path("details").path("id").asText(""), result);
    }
    Map<Integer, String> rejected = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      JsonNode result = byId.containsKey(ids[i]) ? byId.get(ids[i]) : data.path(i);
      if (!"success".equals(result.path("status").asText())) {
        rejected.put(i, call.state(STEP) + ": " + (result.isMissingNode()
            ? "no result returned for record " + ids[i] : perRecordError(result)));
      }
    }
    return CallOutcome.partial(rejected);
  }

  @Override
  public final String toString() {
    return "ZohoCrmConnector{baseUrl=" + getBaseUrl() + ", account=" + getAccount()
        + ", module=" + getModule() + ", externalIdField=" + getExternalIdField()
        + ", credential=" + Credential.MASK + "}";
  }
}
