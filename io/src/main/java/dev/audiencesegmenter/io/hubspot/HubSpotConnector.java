package dev.audiencesegmenter.io.hubspot;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * HubSpot CRM contacts: {@code POST /crm/v3/objects/contacts/batch/upsert} with
 * {@code idProperty=email}, at most 100 contacts per request, a private-app token as Bearer.
 * Mapped fields become contact properties; the customer's current segments are written, joined
 * by {@code ;} (a multiple-checkbox property), into {@link #getSegmentsProperty()}.
 *
 * <p>With {@link #withSegmentLists}, segment membership is also kept in static HubSpot lists
 * (processing type {@code MANUAL} or {@code SNAPSHOT}): after the upsert, whose answer gives
 * the contacts' record ids, contacts that entered a mapped segment are added with
 * {@code PUT /crm/v3/lists/{listId}/memberships/add} and those that left it removed with
 * {@code .../memberships/remove} (bodies: JSON arrays of record ids). Both ignore records already
 * in (or not in) the list, so a replay is harmless; ids the answer reports in
 * {@code recordIdsMissing} are dead-lettered.
 *
 * <p>A withdrawal (no email consent) is upserted with no segment, removed from every mapped
 * list, and unsubscribed from all email with {@code POST
 * /communication-preferences/v4/statuses/batch/unsubscribe-all} ({@code {"inputs":[email]}},
 * scope {@code communication_preferences.write}). Where the account cannot (a 4xx such as 403
 * {@code MISSING_SCOPES}), the list removals still happen and the contact is dead-lettered
 * with HubSpot's reason, so the next run tries again.
 *
 * <p>Partial failures (207, or 200 with {@code errors[]}) dead-letter the contacts named in
 * each error's {@code context.ids}. A 429 of the {@code DAILY} policy is not retried (the quota
 * resets at midnight): those contacts are dead-lettered.
 *
 * <pre>{@code
 * updates.apply("ToHubSpot", HubSpotConnector.create(Credential.fromEnvironment("HUBSPOT_TOKEN"))
 *     .withPropertyMapping(Map.of("monetary_total", "lifetime_value"))
 *     .sink());
 * }</pre>
 */
@AutoValue
public abstract class HubSpotConnector implements VendorConnector {
  public static final String DEFAULT_BASE_URL = "https://api.hubapi.com";
  public static final int MAX_CONTACTS_PER_REQUEST = 100;
  public static final String UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert";
  public static final String LISTS_PATH = "/crm/v3/lists/";
  public static final String UNSUBSCRIBE_ALL_PATH =
      "/communication-preferences/v4/statuses/batch/unsubscribe-all";

  public abstract String getBaseUrl();

  public abstract Credential getCredential();

  @Override
  public Credential credential() {
    return getCredential();
  }

  /** A name for the portal, for rate limits and display (default "default"). */
  public abstract String getAccount();

  /** Our field name to HubSpot contact property; unmapped fields are not sent. */
  public abstract Map<String, String> getPropertyMapping();

  public abstract String getSegmentsProperty();

  /** Segment name to the id of a static HubSpot list kept in step with it; may be empty. */
  public abstract Map<String, String> getSegmentLists();

  abstract Builder toBuilder();

  public static HubSpotConnector create(Credential token) {
    if (token == null) {
      throw new IllegalArgumentException("HubSpot needs a private-app access token");
    }
    return new AutoValue_HubSpotConnector.Builder().setBaseUrl(DEFAULT_BASE_URL)
        .setCredential(token).setAccount("default").setPropertyMapping(Map.of())
        .setSegmentsProperty("audience_segments").setSegmentLists(Map.of()).build();
  }

  /** Keeps these segments (name to static list id, digits) in HubSpot lists as well. */
  public HubSpotConnector withSegmentLists(Map<String, String> segmentToListId) {
    Map<String, String> checked = Json.checkMapping(segmentToListId, "HubSpot segment lists");
    checked.forEach((segment, list) -> {
      if (!list.matches("[0-9]+")) {
        throw new IllegalArgumentException("HubSpot list id of segment '" + segment
            + "' must be digits, got '" + list + "'");
      }
    });
    return toBuilder().setSegmentLists(checked).build();
  }

  public HubSpotConnector withBaseUrl(String url) {
    return toBuilder().setBaseUrl(Json.checkBaseUrl(url, "HubSpot")).build();
  }

  public HubSpotConnector withAccount(String account) {
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException("HubSpot account must not be blank");
    }
    return toBuilder().setAccount(account).build();
  }

  public HubSpotConnector withPropertyMapping(Map<String, String> mapping) {
    return toBuilder().setPropertyMapping(Json.checkMapping(mapping, "HubSpot property mapping"))
        .build();
  }

  public HubSpotConnector withSegmentsProperty(String property) {
    if (property == null || property.isBlank()) {
      throw new IllegalArgumentException("HubSpot segments property must not be blank");
    }
    return toBuilder().setSegmentsProperty(property).build();
  }

  /** The sink: {@link SendContactUpdates} through this connector, to configure further. */
  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setBaseUrl(String url);

    abstract Builder setCredential(Credential credential);

    abstract Builder setAccount(String account);

    abstract Builder setPropertyMapping(Map<String, String> mapping);

    abstract Builder setSegmentsProperty(String property);

    abstract Builder setSegmentLists(Map<String, String> lists);

    abstract HubSpotConnector build();
  }

  @Override
  public String vendor() {
    return "hubspot";
  }

  @Override
  public String account() {
    return getAccount() + "@" + getBaseUrl();
  }

  @Override
  public int maxRecordsPerRequest() {
    return MAX_CONTACTS_PER_REQUEST;
  }

  @Override
  public long maxBytesPerRequest() {
    return 2L * 1024 * 1024; // not documented; a safe request size
  }

  @Override
  public boolean isEmailPlatform() {
    return false;
  }

  /** A CRM that also sends marketing email: a withdrawal unsubscribes there too. */
  @Override
  public boolean handlesWithdrawals() {
    return true;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    return update.getEmail() == null || update.getEmail().isBlank()
        ? "no email: HubSpot contacts are upserted by email" : null;
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(input(update).toString()) + 1;
  }

  ObjectNode input(ContactUpdate update) {
    ObjectNode input = Json.object();
    input.put("idProperty", "email");
    input.put("id", update.getEmail());
    ObjectNode properties = input.putObject("properties");
    properties.put("email", update.getEmail());
    if (update.getPhone() != null) {
      properties.put("phone", update.getPhone());
    }
    getPropertyMapping().forEach((field, property) -> {
      if (update.getFields().containsKey(field)) {
        properties.put(property, update.getFields().get(field));
      }
    });
    properties.put(getSegmentsProperty(),
        String.join(";", new TreeSet<>(update.getSegmentsCurrent())));
    return input;
  }

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    ObjectNode body = Json.object();
    ArrayNode inputs = body.putArray("inputs");
    batch.forEach(update -> inputs.add(input(update)));
    List<VendorCall> calls = new ArrayList<>();
    calls.add(VendorCall.of("POST", URI.create(getBaseUrl() + UPSERT_PATH),
            body.toString(), batch)
        .withHeader("Content-Type", "application/json")
        .withSecretHeader("Authorization", "Bearer " + secret));
    List<ContactUpdate> withdrawn = new ArrayList<>();
    ObjectNode unsubscribe = Json.object();
    ArrayNode emails = unsubscribe.putArray("inputs");
    for (ContactUpdate update : batch) {
      if (update.getWithdrawn()) {
        withdrawn.add(update);
        emails.add(update.getEmail());
      }
    }
    if (!withdrawn.isEmpty()) {
      calls.add(VendorCall.of("POST", URI.create(getBaseUrl() + UNSUBSCRIBE_ALL_PATH),
              unsubscribe.toString(), withdrawn)
          .withHeader("Content-Type", "application/json")
          .withSecretHeader("Authorization", "Bearer " + secret)
          .withState(UNSUBSCRIBE, "all"));
    }
    return calls;
  }

  /**
   * The answer to a batch unsubscribe-all. Where the account cannot (a 4xx: the app lacks the
   * communication-preferences scope, or the portal the feature), each contact is dead-lettered
   * with HubSpot's reason; the lists were already left, and the next run tries again.
   */
  private CallOutcome unsubscribeOutcome(VendorCall call, int status, CallOutcome common,
      String body) {
    if (common.kind() == CallOutcome.Kind.TRANSIENT) {
      return common;
    }
    Map<Integer, String> rejected = new HashMap<>();
    if (common.kind() == CallOutcome.Kind.PERMANENT) {
      JsonNode error = Json.parse(body);
      String category = error == null ? "" : error.path("category").asText("");
      String why = "could not unsubscribe the contact from all email (removed from every list "
          + "the job manages): HTTP " + status + ": " + HttpStatusRules.vendorMessage(body)
          + (category.isEmpty() ? "" : " (" + category + ")");
      for (int i = 0; i < call.records().size(); i++) {
        rejected.put(i, why);
      }
      return CallOutcome.partial(rejected);
    }
    return CallOutcome.partial(upsertRejections(call, Json.parse(body)));
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    if (status == 429) {
      JsonNode error = Json.parse(body);
      if (error != null && "DAILY".equals(error.path("policyName").asText())) {
        return CallOutcome.retry("HTTP 429: " + HttpStatusRules.vendorMessage(body)
            + " (daily limit)", Duration.ofHours(24), true);
      }
    }
    if (status == 477) { // HubSpot: migration in progress, retry after the header's delay
      return CallOutcome.retry("HTTP 477: " + HttpStatusRules.vendorMessage(body),
          HttpStatusRules.requestedDelay(headers).orElse(null), false);
    }
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (call.state(UNSUBSCRIBE) != null) {
      return unsubscribeOutcome(call, status, common, body);
    }
    if (common.kind() != CallOutcome.Kind.ACCEPTED) {
      return common;
    }
    JsonNode response = Json.parse(body);
    if (call.state(LIST_ID) != null) {
      return membershipOutcome(call, response);
    }
    Map<Integer, String> rejected = upsertRejections(call, response);
    if (getSegmentLists().isEmpty()) {
      return CallOutcome.partial(rejected);
    }
    Map<Integer, String> all = new HashMap<>(rejected);
    List<VendorCall> memberships = membershipCalls(call, response, all);
    return CallOutcome.then(all, memberships, Duration.ZERO);
  }

  private static final String LIST_ID = "listId";
  private static final String UNSUBSCRIBE = "unsubscribe";
  private static final String RECORD_IDS = "recordIds";

  /**
   * List adds and removals for the contacts of an accepted upsert, one call per list and
   * direction (a batch holds at most 100 contacts, so one call each).
   */
  private List<VendorCall> membershipCalls(VendorCall upsert, @Nullable JsonNode response,
      Map<Integer, String> rejected) {
    Map<String, String> idByEmail = new HashMap<>();
    if (response != null) {
      for (JsonNode result : response.path("results")) {
        idByEmail.put(result.path("properties").path("email").asText("")
            .toLowerCase(Locale.ROOT), result.path("id").asText());
      }
    }
    List<VendorCall> calls = new ArrayList<>();
    for (Map.Entry<String, String> list : new java.util.TreeMap<>(getSegmentLists()).entrySet()) {
      for (String direction : List.of("add", "remove")) {
        List<ContactUpdate> members = new ArrayList<>();
        ArrayNode ids = Json.MAPPER.createArrayNode();
        List<String> idsInOrder = new ArrayList<>();
        for (int i = 0; i < upsert.records().size(); i++) {
          ContactUpdate update = upsert.records().get(i);
          List<String> segments = direction.equals("add") ? update.getSegmentsEntered()
              : update.getSegmentsExited();
          boolean leaves = direction.equals("remove") && update.getWithdrawn();
          if (rejected.containsKey(i) || !leaves && !segments.contains(list.getKey())) {
            continue;
          }
          String id = idByEmail.get(update.getEmail().toLowerCase(Locale.ROOT));
          if (id == null) { // cannot change its lists: fail it so the next run tries again
            rejected.put(i, "no record id in HubSpot's answer, so list " + list.getValue()
                + " was not changed");
            continue;
          }
          members.add(update);
          ids.add(id);
          idsInOrder.add(id);
        }
        if (!members.isEmpty()) {
          calls.add(upsert.followUp("PUT", URI.create(getBaseUrl() + LISTS_PATH + list.getValue()
                  + "/memberships/" + direction), ids.toString(), members)
              .withState(LIST_ID, list.getValue())
              .withState(RECORD_IDS, String.join(",", idsInOrder)));
        }
      }
    }
    return calls;
  }

  /** Records whose id HubSpot reports in {@code recordIdsMissing} are rejected. */
  private CallOutcome membershipOutcome(VendorCall call, @Nullable JsonNode response) {
    Set<String> missing = new HashSet<>();
    if (response != null) {
      response.path("recordIdsMissing").forEach(id -> missing.add(id.asText()));
    }
    String[] ids = call.state(RECORD_IDS).split(",");
    Map<Integer, String> rejected = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (missing.contains(ids[i])) {
        rejected.put(i, "record " + ids[i] + " missing: not changed in list "
            + call.state(LIST_ID));
      }
    }
    return CallOutcome.partial(rejected);
  }

  private Map<Integer, String> upsertRejections(VendorCall call, @Nullable JsonNode response) {
    JsonNode errors = response == null ? null : response.get("errors");
    if (errors == null || !errors.isArray() || errors.isEmpty()) {
      return Map.of();
    }
    Map<String, Integer> byEmail = new HashMap<>();
    List<ContactUpdate> records = call.records();
    for (int i = 0; i < records.size(); i++) {
      byEmail.putIfAbsent(records.get(i).getEmail().toLowerCase(Locale.ROOT), i);
    }
    Map<Integer, String> rejected = new HashMap<>();
    List<String> unattributed = new ArrayList<>();
    for (JsonNode error : errors) {
      String message = error.path("message").asText("rejected");
      String category = error.path("category").asText("");
      String text = category.isEmpty() ? message : category + ": " + message;
      boolean attributed = false;
      for (JsonNode id : error.path("context").path("ids")) {
        Integer index = byEmail.get(id.asText().toLowerCase(Locale.ROOT));
        if (index != null) {
          rejected.putIfAbsent(index, text);
          attributed = true;
        }
      }
      if (!attributed) {
        unattributed.add(text);
      }
    }
    if (!unattributed.isEmpty()) {
      // Errors that name no contact: every contact missing from results[] is suspect.
      Set<String> confirmed = new HashSet<>();
      for (JsonNode result : response.path("results")) {
        confirmed.add(result.path("properties").path("email").asText("")
            .toLowerCase(Locale.ROOT));
      }
      for (int i = 0; i < records.size(); i++) {
        if (!confirmed.contains(records.get(i).getEmail().toLowerCase(Locale.ROOT))) {
          rejected.putIfAbsent(i, String.join("; ", unattributed));
        }
      }
    }
    return rejected;
  }

  @Override
  public final String toString() {
    return "HubSpotConnector{baseUrl=" + getBaseUrl() + ", account=" + getAccount()
        + ", credential=" + Credential.MASK + "}";
  }
}
