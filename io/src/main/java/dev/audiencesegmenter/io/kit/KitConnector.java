package dev.audiencesegmenter.io.kit;

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
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Kit (formerly ConvertKit) subscribers through API v4's bulk endpoints, which take an OAuth
 * access token ({@code Authorization: Bearer}; a v4 API key is refused there with 401). Batches
 * of at most 100, the most Kit processes synchronously with per-record results (more would be
 * queued, with results only to a callback URL).
 *
 * <p>A batch is a chain of calls:
 * <ol>
 *   <li>When segments are kept as tags ({@link #withSegmentTags}): {@code POST /v4/bulk/tags}
 *       with every managed tag name, which creates the missing ones and answers every id.
 *   <li>When fields are mapped to custom fields ({@link #withCustomFields}): {@code GET
 *       /v4/custom_fields} (all pages), to find each field's id by key or label; a mapped field
 *       Kit does not have refuses the batch, naming it (Kit ignores unknown fields silently, so
 *       it has to be created in Kit first).
 *   <li>Customers with email consent: {@code POST /v4/bulk/subscribers} (email and first name;
 *       no {@code state}, so a subscriber who unsubscribed in Kit stays unsubscribed), then with
 *       the ids of its answer {@code POST /v4/bulk/custom_fields/subscribers} (values by
 *       custom field id), {@code POST /v4/bulk/tags/subscribers} for the segments entered and
 *       {@code DELETE /v4/bulk/tags/subscribers} for those left, each at most 100 items.
 *   <li>Exits and withdrawals never create a subscriber: each is looked up by email
 *       ({@code GET /v4/subscribers?email_address=...&status=all}); one Kit does not have needs
 *       nothing; one it has is untagged from the segments left (a withdrawal: from every managed
 *       tag) and a withdrawal unsubscribed ({@code POST /v4/subscribers/{id}/unsubscribe}).
 * </ol>
 * Every bulk answer is 200 with {@code failures[]} for the records Kit refused: those are
 * dead-lettered with Kit's message; a failure that names no record dead-letters the records
 * the answer does not confirm. Kit allows 600 requests per rolling minute per OAuth token; a
 * 429 (plain text, no {@code Retry-After}) is backed off; 413 (bulk queue full) is retried.
 */
@AutoValue
public abstract class KitConnector implements VendorConnector {
  public static final String DEFAULT_BASE_URL = "https://api.kit.com";
  /** Items Kit processes synchronously per bulk request. */
  public static final int MAX_RECORDS_PER_REQUEST = 100;
  private static final String STEP = "step";
  private static final String TAG = "tag:";
  private static final String FIELD = "field:";
  private static final String SUBSCRIBER_IDS = "subscriberIds";

  public abstract Credential getCredential();

  public abstract String getBaseUrl();

  public abstract String getAccount();

  /** Our field sent as the subscriber's first name; null for none. */
  public abstract @Nullable String getFirstNameField();

  /** Our field name to Kit custom field (its key or label). */
  public abstract Map<String, String> getCustomFields();

  /** Segment to Kit tag name; may be empty. */
  public abstract Map<String, String> getSegmentTags();

  abstract Builder toBuilder();

  /** A connector sending with this OAuth access token (Kit's bulk endpoints need OAuth). */
  public static KitConnector create(Credential oauthAccessToken) {
    if (oauthAccessToken == null) {
      throw new IllegalArgumentException("Kit needs an OAuth access token");
    }
    return new AutoValue_KitConnector.Builder().setCredential(oauthAccessToken)
        .setBaseUrl(DEFAULT_BASE_URL).setAccount("default").setCustomFields(Map.of())
        .setSegmentTags(Map.of()).build();
  }

  public KitConnector withBaseUrl(String url) {
    return toBuilder().setBaseUrl(Json.checkBaseUrl(url, "Kit")).build();
  }

  /** The creator account, for its rate limit (default "default"). */
  public KitConnector withAccount(String account) {
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException("Kit account must not be blank");
    }
    return toBuilder().setAccount(account).build();
  }

  public KitConnector withFirstNameField(String field) {
    if (field == null || field.isBlank()) {
      throw new IllegalArgumentException("Kit first name field must not be blank");
    }
    return toBuilder().setFirstNameField(field).build();
  }

  public KitConnector withCustomFields(Map<String, String> fieldToCustomField) {
    return toBuilder().setCustomFields(Json.checkMapping(fieldToCustomField,
        "Kit custom fields")).build();
  }

  public KitConnector withSegmentTags(Map<String, String> segmentToTag) {
    return toBuilder().setSegmentTags(Json.checkMapping(segmentToTag, "Kit segment tags"))
        .build();
  }

  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCredential(Credential credential);

    abstract Builder setBaseUrl(String url);

    abstract Builder setAccount(String account);

    abstract Builder setFirstNameField(@Nullable String field);

    abstract Builder setCustomFields(Map<String, String> fields);

    abstract Builder setSegmentTags(Map<String, String> tags);

    abstract KitConnector build();
  }

  @Override
  public Credential credential() {
    return getCredential();
  }

  @Override
  public String vendor() {
    return "kit";
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
    return 2L * 1024 * 1024; // Kit caps the bulk queue (300 MB), not a request
  }

  @Override
  public boolean isEmailPlatform() {
    return true;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    return update.getEmail() == null || update.getEmail().isBlank()
        ? "no email: Kit subscribers are keyed by email address" : null;
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(subscriber(update).toString()) + 1;
  }

  ObjectNode subscriber(ContactUpdate update) {
    ObjectNode subscriber = Json.object();
    subscriber.put("email_address", update.getEmail());
    String firstName = getFirstNameField() == null ? null
        : update.getFields().get(getFirstNameField());
    if (firstName != null) {
      subscriber.put("first_name", firstName);
    }
    return subscriber;
  }

  private static String email(ContactUpdate update) {
    return update.getEmail().toLowerCase(Locale.ROOT);
  }

  // ---- planning ----

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    // never sent: carries the headers (the secret one too) that every call follows up from
    VendorCall seed = authorized(VendorCall.of("GET", URI.create(getBaseUrl()), "", batch),
        secret);
    VendorCall first = needsTags(batch) ? tagsCall(seed) : needsFields(batch) ? fieldsCall(seed)
        : null;
    return first != null ? List.of(first) : work(seed, batch);
  }

  /** Whether some record gains or loses a managed tag: their ids are needed. */
  private boolean needsTags(List<ContactUpdate> batch) {
    return batch.stream().anyMatch(update -> !tagsEntered(update).isEmpty()
        || !tagsLeft(update).isEmpty());
  }

  /** Whether some record is subscribed with custom field values: the fields' ids are needed. */
  private boolean needsFields(List<ContactUpdate> batch) {
    return !getCustomFields().isEmpty()
        && batch.stream().anyMatch(update -> !update.getExitOnly());
  }

  /** {@code POST /v4/bulk/tags} with every managed tag: creates the missing, answers all ids. */
  private VendorCall tagsCall(VendorCall from) {
    ObjectNode body = Json.object();
    ArrayNode tags = body.putArray("tags");
    new TreeSet<>(getSegmentTags().values()).forEach(name -> tags.addObject().put("name", name));
    body.putNull("callback_url");
    return from.followUp("POST", URI.create(getBaseUrl() + "/v4/bulk/tags"), body.toString(),
        from.records()).withState(STEP, "tags");
  }

  private VendorCall fieldsCall(VendorCall from) {
    return from.followUp("GET", URI.create(getBaseUrl() + "/v4/custom_fields?per_page=1000"),
        "", from.records()).withState(STEP, "fields");
  }

  private static VendorCall authorized(VendorCall call, String secret) {
    return call.withHeader("Content-Type", "application/json")
        .withSecretHeader("Authorization", "Bearer " + secret);
  }

  /** The upsert of the consenting and a lookup per exit, with what {@code from} resolved. */
  private List<VendorCall> work(VendorCall from, List<ContactUpdate> batch) {
    List<VendorCall> calls = new ArrayList<>();
    List<ContactUpdate> joining = new ArrayList<>();
    ObjectNode body = Json.object();
    ArrayNode subscribers = body.putArray("subscribers");
    for (ContactUpdate update : batch) {
      if (update.getExitOnly()) {
        continue;
      }
      joining.add(update);
      subscribers.add(subscriber(update));
    }
    body.putNull("callback_url");
    if (!joining.isEmpty()) {
      calls.add(from.followUp("POST", URI.create(getBaseUrl() + "/v4/bulk/subscribers"),
          body.toString(), joining).withState(STEP, "subscribers"));
    }
    for (ContactUpdate update : batch) {
      if (update.getExitOnly() && (update.getWithdrawn() || !tagsLeft(update).isEmpty())) {
        calls.add(from.followUp("GET", URI.create(getBaseUrl() + "/v4/subscribers?email_address="
            + URLEncoder.encode(update.getEmail(), StandardCharsets.UTF_8) + "&status=all"), "",
            List.of(update)).withState(STEP, "lookup"));
      }
    }
    return calls;
  }

  /** The managed tags a customer is to lose: every one on a withdrawal. */
  private List<String> tagsLeft(ContactUpdate update) {
    TreeSet<String> tags = new TreeSet<>();
    getSegmentTags().forEach((segment, tag) -> {
      if (update.getWithdrawn() || update.getSegmentsExited().contains(segment)) {
        tags.add(tag);
      }
    });
    return List.copyOf(tags);
  }

  private List<String> tagsEntered(ContactUpdate update) {
    TreeSet<String> tags = new TreeSet<>();
    getSegmentTags().forEach((segment, tag) -> {
      if (!update.getExitOnly() && update.getSegmentsEntered().contains(segment)) {
        tags.add(tag);
      }
    });
    return List.copyOf(tags);
  }

  // ---- answers ----

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    if (status == 413) { // the bulk queue is full: Kit asks to try again later
      return CallOutcome.retry("HTTP 413: " + message(body),
          HttpStatusRules.requestedDelay(headers).orElse(null), true);
    }
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (common.kind() != CallOutcome.Kind.ACCEPTED) {
      String text = "HTTP " + status + ": " + message(body);
      return common.kind() == CallOutcome.Kind.TRANSIENT
          ? CallOutcome.retry(text, common.retryAfter(), common.throttled())
          : CallOutcome.fail(text);
    }
    JsonNode answer = body == null || body.isBlank() ? Json.object() : Json.parse(body);
    if (answer == null) {
      return CallOutcome.fail("HTTP " + status + ": not JSON: " + message(body));
    }
    return switch (call.state(STEP)) {
      case "tags" -> tagsResolved(call, answer);
      case "fields" -> fieldsResolved(call, answer);
      case "subscribers" -> subscribed(call, answer);
      case "lookup" -> lookedUp(call, answer);
      case "fieldValues", "tagging", "untagging" -> bulkFailures(call, answer);
      case "unsubscribe" -> CallOutcome.accepted();
      default -> throw new IllegalStateException("unknown Kit step " + call.state(STEP));
    };
  }

  /** Kit's {@code {"errors": [...]}} joined, else the body. */
  static String message(@Nullable String body) {
    JsonNode node = Json.parse(body);
    if (node != null && node.path("errors").isArray() && !node.path("errors").isEmpty()) {
      List<String> errors = new ArrayList<>();
      node.path("errors").forEach(error -> errors.add(error.asText()));
      return String.join("; ", errors);
    }
    return HttpStatusRules.vendorMessage(body);
  }

  private CallOutcome tagsResolved(VendorCall call, JsonNode answer) {
    for (JsonNode tag : answer.path("tags")) {
      call.withState(TAG + tag.path("name").asText(), tag.path("id").asText());
    }
    for (String name : getSegmentTags().values()) {
      if (call.state(TAG + name) == null) {
        JsonNode failure = answer.path("failures").path(0);
        return CallOutcome.fail("Kit did not create or find tag '" + name + "'"
            + (failure.isMissingNode() ? "" : ": " + failure.path("errors")));
      }
    }
    if (needsFields(call.records())) {
      return CallOutcome.then(Map.of(), List.of(fieldsCall(call)), Duration.ZERO);
    }
    return CallOutcome.then(Map.of(), work(call, call.records()), Duration.ZERO);
  }

  private CallOutcome fieldsResolved(VendorCall call, JsonNode answer) {
    for (JsonNode field : answer.path("custom_fields")) {
      String id = field.path("id").asText();
      call.withState(FIELD + field.path("key").asText(), id);
      call.withState(FIELD + field.path("label").asText(), id);
    }
    JsonNode page = answer.path("pagination");
    if (page.path("has_next_page").asBoolean(false)) {
      return CallOutcome.then(Map.of(), List.of(call.followUp("GET", URI.create(getBaseUrl()
              + "/v4/custom_fields?per_page=1000&after=" + URLEncoder.encode(
                  page.path("end_cursor").asText(), StandardCharsets.UTF_8)), "",
          call.records()).withState(STEP, "fields")), Duration.ZERO);
    }
    for (String field : new TreeSet<>(getCustomFields().values())) {
      if (call.state(FIELD + field) == null) {
        return CallOutcome.fail("Kit has no custom field '" + field + "' (by key or label): "
            + "create it in Kit first, Kit ignores values of unknown fields");
      }
    }
    return CallOutcome.then(Map.of(), work(call, call.records()), Duration.ZERO);
  }

  private CallOutcome subscribed(VendorCall call, JsonNode answer) {
    List<ContactUpdate> records = call.records();
    Map<String, Integer> indexByEmail = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      indexByEmail.putIfAbsent(email(records.get(i)), i);
    }
    Map<String, String> idByEmail = new HashMap<>();
    for (JsonNode subscriber : answer.path("subscribers")) {
      idByEmail.put(subscriber.path("email_address").asText("").toLowerCase(Locale.ROOT),
          subscriber.path("id").asText());
    }
    Map<Integer, String> rejected = new HashMap<>();
    List<String> unattributed = new ArrayList<>();
    for (JsonNode failure : answer.path("failures")) {
      String text = String.join("; ", texts(failure.path("errors")));
      Integer index = indexByEmail.get(failure.path("subscriber").path("email_address")
          .asText("").toLowerCase(Locale.ROOT));
      if (index != null) {
        rejected.putIfAbsent(index, text);
      } else {
        unattributed.add(text);
      }
    }
    for (int i = 0; i < records.size(); i++) {
      if (!rejected.containsKey(i) && !idByEmail.containsKey(email(records.get(i)))) {
        rejected.put(i, unattributed.isEmpty() ? "no result returned for this subscriber"
            : String.join("; ", unattributed));
      }
    }
    List<VendorCall> next = new ArrayList<>();
    next.addAll(fieldValueCalls(call, idByEmail, rejected));
    next.addAll(taggingCalls(call, idByEmail, rejected, true));
    next.addAll(taggingCalls(call, idByEmail, rejected, false));
    return CallOutcome.then(rejected, next, Duration.ZERO);
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(text -> texts.add(text.asText()));
    return texts.isEmpty() ? List.of("refused") : texts;
  }

  /** One item per (record, target), cut into calls of at most 100 items. */
  private record Item(ContactUpdate record, String subscriberId, ObjectNode body) {}

  private List<VendorCall> itemCalls(VendorCall from, String method, String path, String array,
      String step, List<Item> items) {
    List<VendorCall> calls = new ArrayList<>();
    for (int start = 0; start < items.size(); start += MAX_RECORDS_PER_REQUEST) {
      List<Item> part = items.subList(start, Math.min(items.size(),
          start + MAX_RECORDS_PER_REQUEST));
      ObjectNode body = Json.object();
      ArrayNode values = body.putArray(array);
      LinkedHashMap<String, ContactUpdate> records = new LinkedHashMap<>();
      List<String> ids = new ArrayList<>();
      for (Item item : part) {
        values.add(item.body());
        if (records.putIfAbsent(item.record().getKey(), item.record()) == null) {
          ids.add(item.subscriberId());
        }
      }
      body.putNull("callback_url");
      calls.add(from.followUp(method, URI.create(getBaseUrl() + path), body.toString(),
              List.copyOf(records.values())).withState(STEP, step)
          .withState(SUBSCRIBER_IDS, String.join(",", ids)));
    }
    return calls;
  }

  /** The records Kit accepted, with the subscriber id it gave each. */
  private static List<Map.Entry<ContactUpdate, String>> subscribed(VendorCall from,
      Map<String, String> idByEmail, Map<Integer, String> rejected) {
    List<Map.Entry<ContactUpdate, String>> subscribed = new ArrayList<>();
    List<ContactUpdate> records = from.records();
    for (int i = 0; i < records.size(); i++) {
      if (!rejected.containsKey(i)) {
        subscribed.add(Map.entry(records.get(i), idByEmail.get(email(records.get(i)))));
      }
    }
    return subscribed;
  }

  private List<VendorCall> fieldValueCalls(VendorCall from, Map<String, String> idByEmail,
      Map<Integer, String> rejected) {
    List<Item> items = new ArrayList<>();
    for (Map.Entry<ContactUpdate, String> subscriber : subscribed(from, idByEmail, rejected)) {
      ContactUpdate update = subscriber.getKey();
      String id = subscriber.getValue();
      for (Map.Entry<String, String> field : new java.util.TreeMap<>(getCustomFields())
          .entrySet()) {
        String value = update.getFields().get(field.getKey());
        if (value != null) {
          ObjectNode item = Json.object();
          item.put("subscriber_id", Long.parseLong(id));
          item.put("subscriber_custom_field_id",
              Long.parseLong(from.state(FIELD + field.getValue())));
          item.put("value", value);
          items.add(new Item(update, id, item));
        }
      }
    }
    return itemCalls(from, "POST", "/v4/bulk/custom_fields/subscribers", "custom_field_values",
        "fieldValues", items);
  }

  private List<VendorCall> taggingCalls(VendorCall from, Map<String, String> idByEmail,
      Map<Integer, String> rejected, boolean add) {
    List<Item> items = new ArrayList<>();
    for (Map.Entry<ContactUpdate, String> subscriber : subscribed(from, idByEmail, rejected)) {
      ContactUpdate update = subscriber.getKey();
      for (String tag : add ? tagsEntered(update) : tagsLeft(update)) {
        items.add(new Item(update, subscriber.getValue(),
            tagging(from, tag, subscriber.getValue())));
      }
    }
    return itemCalls(from, add ? "POST" : "DELETE", "/v4/bulk/tags/subscribers", "taggings",
        add ? "tagging" : "untagging", items);
  }

  private static ObjectNode tagging(VendorCall from, String tag, String subscriberId) {
    ObjectNode item = Json.object();
    item.put("tag_id", Long.parseLong(from.state(TAG + tag)));
    item.put("subscriber_id", Long.parseLong(subscriberId));
    return item;
  }

  /** An exit or withdrawal: nothing when Kit does not have them, else untag / unsubscribe. */
  private CallOutcome lookedUp(VendorCall call, JsonNode answer) {
    JsonNode found = answer.path("subscribers").path(0);
    if (found.isMissingNode()) {
      return CallOutcome.accepted(); // not a subscriber: nothing to take them out of
    }
    String id = found.path("id").asText();
    ContactUpdate update = call.records().get(0);
    List<VendorCall> next = new ArrayList<>();
    if (update.getWithdrawn()) {
      next.add(call.followUp("POST", URI.create(getBaseUrl() + "/v4/subscribers/" + id
          + "/unsubscribe"), "{}", call.records()).withState(STEP, "unsubscribe"));
    }
    List<Item> items = new ArrayList<>();
    for (String tag : tagsLeft(update)) {
      items.add(new Item(update, id, tagging(call, tag, id)));
    }
    next.addAll(itemCalls(call, "DELETE", "/v4/bulk/tags/subscribers", "taggings", "untagging",
        items));
    return CallOutcome.then(Map.of(), next, Duration.ZERO);
  }

  /**
   * A bulk answer's {@code failures[]}, matched to records by the subscriber id they echo; one
   * that echoes none fails every record of the call its answer does not confirm.
   */
  private CallOutcome bulkFailures(VendorCall call, JsonNode answer) {
    String[] ids = call.state(SUBSCRIBER_IDS).split(",");
    Map<String, Integer> indexById = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      indexById.put(ids[i], i);
    }
    Map<Integer, String> rejected = new HashMap<>();
    List<String> unattributed = new ArrayList<>();
    for (JsonNode failure : answer.path("failures")) {
      JsonNode echoed = failure.has("tagging") ? failure.path("tagging")
          : failure.path("custom_field_value");
      String text = call.state(STEP) + ": " + String.join("; ", texts(failure.path("errors")));
      Integer index = indexById.get(echoed.path("subscriber_id").asText(""));
      if (index != null) {
        rejected.putIfAbsent(index, text);
      } else {
        unattributed.add(text);
      }
    }
    if (!unattributed.isEmpty()) {
      java.util.Set<String> confirmed = new java.util.HashSet<>();
      for (JsonNode done : answer.path("tagging".equals(call.state(STEP)) ? "subscribers"
          : "custom_field_values")) {
        confirmed.add(done.path("tagging".equals(call.state(STEP)) ? "id" : "subscriber_id")
            .asText());
      }
      for (int i = 0; i < ids.length; i++) {
        if (!confirmed.contains(ids[i])) {
          rejected.putIfAbsent(i, String.join("; ", unattributed));
        }
      }
    }
    return CallOutcome.partial(rejected);
  }

  @Override
  public final String toString() {
    return "KitConnector{baseUrl=" + getBaseUrl() + ", account=" + getAccount()
        + ", credential=" + Credential.MASK + "}";
  }
}
