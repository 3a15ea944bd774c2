package dev.audiencesegmenter.io.klaviyo;

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
 * that list. Only consenting customers are imported: an import creates a missing profile.
 *
 * <p>The job runs asynchronously, so a batch is sent only once the job says so: after the
 * create call ({@code 202}) the sink polls {@code GET /api/profile-bulk-import-jobs/{id}}, soon
 * and then less often ({@link #pollDelay}), until {@code complete} (or {@code cancelled}: the
 * batch is dead-lettered); when {@code failed_count > 0} it reads {@code .../import-errors}
 * (following {@code links.next}) and dead-letters each failed profile with Klaviyo's
 * {@code detail}, matched on the external id in {@code original_payload} (else the email, else
 * the JSON pointer's index). A job refused as a whole (400) for profiles its
 * {@code source.pointer}s name ({@code /data/attributes/profiles/data/5/...}) dead-letters those
 * profiles only, and the others go again as a new job in the same run; other request-level
 * errors (4xx with JSON:API {@code errors[]}) dead-letter the whole batch.
 *
 * <p><b>List membership per segment</b> ({@link #withSegmentLists}): once the job is complete,
 * its profiles' Klaviyo ids are read from {@code .../profiles?page[size]=100} (following
 * {@code links.next}), and profiles that entered a mapped segment are added with
 * {@code POST /api/lists/{id}/relationships/profiles}, those that left it removed with
 * {@code DELETE} on the same path (JSON:API bodies of profile ids, at most 1000; both
 * idempotent).
 *
 * <p><b>Exit-only updates</b> (a customer who left the input) are never imported: the profiles
 * are found by external id ({@code GET /api/profiles?filter=any(external_id,[...])}, at most
 * 100, a read that never creates one), removed from the lists of the segments they left, and
 * their segments property emptied ({@code PATCH /api/profiles/{id}}); one not found needs
 * nothing.
 *
 * <p><b>Withdrawals</b> (no email consent) are never imported either: a Bulk Unsubscribe
 * Profiles job
 * ({@code POST /api/profile-subscription-bulk-delete-jobs}, at most 100 profiles, each only
 * its email and {@code subscriptions.email.marketing.consent: UNSUBSCRIBED}; 202), then, as
 * for exits, the profiles found by external id are taken out of every list the job manages
 * ({@link #withListId} and {@link #withSegmentLists}) and their segments property emptied.
 *
 * <p>An <b>SMS withdrawal</b> ({@link ContactUpdate#getSmsWithdrawn()}) is the same Bulk
 * Unsubscribe job for the SMS channel: each profile only its {@code phone_number} (E.164) and
 * {@code subscriptions.sms.marketing.consent: UNSUBSCRIBED}; nothing else is changed (a
 * customer who keeps email consent stays in their lists).
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

  /** Segment name to the id of a Klaviyo list kept in step with it; may be empty. */
  public abstract Map<String, String> getSegmentLists();

  public abstract Duration getJobPollInterval();

  /** Polls before a job still running is given up (its batch dead-lettered). */
  public abstract int getJobMaxPolls();

  abstract Builder toBuilder();

  public static KlaviyoConnector create(Credential privateApiKey) {
    if (privateApiKey == null) {
      throw new IllegalArgumentException("Klaviyo needs a private API key");
    }
    return new AutoValue_KlaviyoConnector.Builder().setCredential(privateApiKey)
        .setBaseUrl(DEFAULT_BASE_URL).setRevision(DEFAULT_REVISION).setAccount("default")
        .setPropertyMapping(Map.of()).setSegmentsProperty("audience_segments")
        .setSegmentLists(Map.of()).setJobPollInterval(Duration.ofSeconds(5))
        .setJobMaxPolls(720).build();
  }

  /** Keeps these segments (name to Klaviyo list id) in Klaviyo lists. */
  public KlaviyoConnector withSegmentLists(Map<String, String> segmentToListId) {
    Map<String, String> checked = Json.checkMapping(segmentToListId, "Klaviyo segment lists");
    checked.forEach((segment, list) -> {
      if (!list.matches("[A-Za-z0-9]+")) {
        throw new IllegalArgumentException("Invalid Klaviyo list id '" + list
            + "' for segment '" + segment + "'");
      }
    });
    return toBuilder().setSegmentLists(checked).build();
  }

  /**
   * How often and how long to poll an import job: at most every {@code interval} (default 5 s)
   * and {@code maxPolls} times (default 720: about an hour); see {@link #pollDelay}.
   */
  public KlaviyoConnector withJobPolling(Duration interval, int maxPolls) {
    if (interval == null || interval.isNegative() || maxPolls < 1) {
      throw new IllegalArgumentException("Klaviyo job polling needs a non-negative interval "
          + "and at least 1 poll, got " + interval + " and " + maxPolls);
    }
    return toBuilder().setJobPollInterval(interval).setJobMaxPolls(maxPolls).build();
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

    abstract Builder setSegmentLists(Map<String, String> lists);

    abstract Builder setJobPollInterval(Duration interval);

    abstract Builder setJobMaxPolls(int polls);

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

  /** Klaviyo sends SMS: an SMS withdrawal is its Bulk Unsubscribe for the SMS channel. */
  @Override
  public boolean handlesSmsWithdrawals() {
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

  /** Profiles per unsubscribe job and per profile look-up (Klaviyo's limit for both). */
  static final int MAX_PROFILES_PER_LOOKUP = 100;

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    List<ContactUpdate> joining = new ArrayList<>();
    List<ContactUpdate> exitOnly = new ArrayList<>();
    List<ContactUpdate> withdrawn = new ArrayList<>();
    List<ContactUpdate> smsWithdrawn = new ArrayList<>();
    for (ContactUpdate update : batch) {
      (update.getSmsWithdrawn() ? smsWithdrawn : update.getWithdrawn() ? withdrawn
          : update.getExitOnly() ? exitOnly : joining).add(update);
    }
    List<VendorCall> calls = new ArrayList<>();
    if (!joining.isEmpty()) {
      calls.add(job(joining, getListId(), secret));
    }
    List<ContactUpdate> withEmail = new ArrayList<>();
    withdrawn.forEach(update -> {
      if (update.getEmail() != null) {
        withEmail.add(update);
      }
    });
    for (List<ContactUpdate> part : parts(withEmail)) {
      calls.add(unsubscribe(part, "email", secret));
    }
    // an SMS withdrawal is only the unsubscribe: no look-up, list or profile change
    for (List<ContactUpdate> part : parts(smsWithdrawn)) {
      calls.add(unsubscribe(part, "sms", secret));
    }
    // exits and withdrawals are never imported (an import creates the profile): the
    // profiles are looked up, and only those found are changed
    List<ContactUpdate> leaving = new ArrayList<>(withdrawn);
    leaving.addAll(exitOnly);
    for (List<ContactUpdate> part : parts(leaving)) {
      calls.add(lookup(part, secret));
    }
    return calls;
  }

  private static List<List<ContactUpdate>> parts(List<ContactUpdate> updates) {
    List<List<ContactUpdate>> parts = new ArrayList<>();
    for (int i = 0; i < updates.size(); i += MAX_PROFILES_PER_LOOKUP) {
      parts.add(updates.subList(i, Math.min(updates.size(), i + MAX_PROFILES_PER_LOOKUP)));
    }
    return parts;
  }

  private VendorCall withHeaders(VendorCall call, String secret) {
    return call.withHeader("Content-Type", "application/vnd.api+json")
        .withHeader("Accept", "application/vnd.api+json")
        .withHeader("revision", getRevision())
        .withSecretHeader("Authorization", "Klaviyo-API-Key " + secret);
  }

  /**
   * Bulk Unsubscribe Profiles: the marketing consent of {@code channel} ({@code email}, by the
   * email; {@code sms}, by the E.164 phone number) set to {@code UNSUBSCRIBED}, nothing else
   * about the person (Klaviyo's own opt-out).
   */
  private VendorCall unsubscribe(List<ContactUpdate> withdrawn, String channel,
      String secret) {
    ObjectNode body = Json.object();
    ObjectNode data = body.putObject("data");
    data.put("type", "profile-subscription-bulk-delete-job");
    ArrayNode profiles = data.putObject("attributes").putObject("profiles").putArray("data");
    for (ContactUpdate update : withdrawn) {
      ObjectNode attributes = profiles.addObject().put("type", "profile")
          .putObject("attributes");
      if (channel.equals("sms")) {
        attributes.put("phone_number", update.getPhone());
      } else {
        attributes.put("email", update.getEmail());
      }
      attributes.putObject("subscriptions").putObject(channel).putObject("marketing")
          .put("consent", "UNSUBSCRIBED");
    }
    return withHeaders(VendorCall.of("POST", URI.create(getBaseUrl()
        + "/api/profile-subscription-bulk-delete-jobs"), body.toString(), withdrawn), secret)
        .withState(STEP, "unsubscribe");
  }

  /**
   * Get Profiles by external id: a read, which never creates a profile, for the ids that list
   * removals and profile updates need.
   */
  private VendorCall lookup(List<ContactUpdate> updates, String secret) {
    ArrayNode ids = Json.MAPPER.createArrayNode();
    updates.forEach(update -> ids.add(update.getKey()));
    String filter = java.net.URLEncoder.encode("any(external_id," + ids + ")",
        java.nio.charset.StandardCharsets.UTF_8);
    return withHeaders(VendorCall.of("GET", URI.create(getBaseUrl() + "/api/profiles?filter="
        + filter + "&page%5Bsize%5D=" + MAX_PROFILES_PER_LOOKUP), "", updates), secret)
        .withState(STEP, "lookup");
  }

  /**
   * For the profiles a look-up found: out of every list the job manages (withdrawals) or of
   * the lists of the segments they left (exits), and the segments property emptied.
   */
  private List<VendorCall> leave(VendorCall lookup, @Nullable JsonNode response) {
    Map<Integer, String> profileIds = profileIds(lookup, response);
    Map<String, String> lists = new java.util.TreeMap<>(); // list id to segment, "" for listId
    getSegmentLists().forEach((segment, list) -> lists.put(list, segment));
    if (getListId() != null) {
      lists.putIfAbsent(getListId(), "");
    }
    List<VendorCall> calls = new ArrayList<>();
    for (Map.Entry<String, String> list : lists.entrySet()) {
      List<ContactUpdate> members = new ArrayList<>();
      ArrayNode data = Json.MAPPER.createArrayNode();
      for (Map.Entry<Integer, String> entry : new java.util.TreeMap<>(profileIds).entrySet()) {
        ContactUpdate update = lookup.records().get(entry.getKey());
        if (update.getWithdrawn() || update.getSegmentsExited().contains(list.getValue())) {
          members.add(update);
          data.addObject().put("type", "profile").put("id", entry.getValue());
        }
      }
      if (!members.isEmpty()) {
        ObjectNode body = Json.object();
        body.set("data", data);
        calls.add(lookup.followUp("DELETE", URI.create(getBaseUrl() + "/api/lists/"
                + list.getKey() + "/relationships/profiles"), body.toString(), members)
            .withState(STEP, "list").withState(LIST, list.getKey()));
      }
    }
    for (Map.Entry<Integer, String> entry : new java.util.TreeMap<>(profileIds).entrySet()) {
      ObjectNode body = Json.object();
      ObjectNode data = body.putObject("data");
      data.put("type", "profile");
      data.put("id", entry.getValue());
      data.putObject("attributes").putObject("properties").putArray(getSegmentsProperty());
      calls.add(lookup.followUp("PATCH", URI.create(getBaseUrl() + "/api/profiles/"
              + entry.getValue()), body.toString(), List.of(lookup.records().get(entry.getKey())))
          .withState(STEP, "patch"));
    }
    return calls;
  }

  /** Klaviyo profile id by record index, matched on the external id, else the email. */
  private static Map<Integer, String> profileIds(VendorCall call, @Nullable JsonNode response) {
    Map<String, Integer> byId = index(call.records());
    Map<Integer, String> profileIds = new HashMap<>();
    if (response != null) {
      for (JsonNode profile : response.path("data")) {
        JsonNode attributes = profile.path("attributes");
        Integer index = byId.get("key:" + attributes.path("external_id").asText(""));
        if (index == null) {
          index = byId.get("email:" + attributes.path("email").asText("")
              .toLowerCase(java.util.Locale.ROOT));
        }
        if (index != null) {
          profileIds.put(index, profile.path("id").asText());
        }
      }
    }
    return profileIds;
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
        .withSecretHeader("Authorization", "Klaviyo-API-Key " + secret)
        .withState(STEP, "create");
  }

  private static final String STEP = "step";
  private static final Pattern PROFILE_POINTER = Pattern.compile("/data/attributes/profiles/data/(\\d+)");
  private static final String JOB = "job";
  private static final String POLLS = "polls";
  private static final String LIST = "list";
  private static final String IDS = "ids";

  /** Wait before the first poll of a job; each later wait doubles, up to the interval. */
  static final Duration FIRST_POLL_DELAY = Duration.ofMillis(250);

  /**
   * The wait before poll {@code polls} (0 for the first) of an import job: 0.25 s, then doubling
   * up to {@link #getJobPollInterval()}. A small job is usually complete within a second or two,
   * and a long one is still polled only every interval (Klaviyo allows 150 polls a minute).
   */
  Duration pollDelay(int polls) {
    Duration delay = FIRST_POLL_DELAY.multipliedBy(1L << Math.min(polls, 20));
    return delay.compareTo(getJobPollInterval()) < 0 ? delay : getJobPollInterval();
  }

  private String jobUrl(String job) {
    return getBaseUrl() + "/api/profile-bulk-import-jobs/" + job;
  }

  private CallOutcome jobStep(VendorCall call, @Nullable JsonNode response, String body) {
    switch (call.state(STEP)) {
      case "create" -> {
        String id = response == null ? "" : response.path("data").path("id").asText("");
        if (id.isEmpty()) {
          return CallOutcome.fail("no job id in Klaviyo's answer: "
              + HttpStatusRules.vendorMessage(body));
        }
        return CallOutcome.pollAgain(get(call, jobUrl(id), "poll").withState(JOB, id)
            .withState(POLLS, "0"), pollDelay(0));
      }
      case "poll" -> {
        JsonNode attributes = response == null ? null : response.path("data").path("attributes");
        String status = attributes == null ? "" : attributes.path("status").asText("");
        if (status.equals("complete")) {
          List<VendorCall> next = new ArrayList<>();
          if (attributes.path("failed_count").asLong(0) > 0) {
            next.add(get(call, jobUrl(call.state(JOB)) + "/import-errors?page[size]=100",
                "errors"));
          }
          if (needsListChanges(call.records())) {
            next.add(get(call, jobUrl(call.state(JOB)) + "/profiles?page[size]=100",
                "profiles"));
          }
          return CallOutcome.then(Map.of(), next, Duration.ZERO);
        }
        if (status.equals("cancelled")) {
          return CallOutcome.fail("import job " + call.state(JOB) + " was cancelled");
        }
        int polls = Integer.parseInt(call.state(POLLS)) + 1;
        if (polls >= getJobMaxPolls()) {
          return CallOutcome.fail("import job " + call.state(JOB) + " still " + status
              + " after " + polls + " polls");
        }
        return CallOutcome.pollAgain(get(call, jobUrl(call.state(JOB)), "poll")
            .withState(POLLS, Integer.toString(polls)), pollDelay(polls));
      }
      case "errors" -> {
        return CallOutcome.then(importErrors(call, response), nextPage(call, response, "errors"),
            Duration.ZERO);
      }
      case "profiles" -> {
        List<VendorCall> next = new ArrayList<>(listChanges(call, response));
        next.addAll(nextPage(call, response, "profiles"));
        return CallOutcome.then(Map.of(), next, Duration.ZERO);
      }
      case "list", "unsubscribe", "patch" -> {
        return CallOutcome.accepted();
      }
      case "lookup" -> {
        List<VendorCall> next = new ArrayList<>(leave(call, response));
        next.addAll(nextPage(call, response, "lookup"));
        return CallOutcome.then(Map.of(), next, Duration.ZERO);
      }
      default -> throw new IllegalStateException("unknown Klaviyo step " + call.state(STEP));
    }
  }

  private VendorCall get(VendorCall call, String url, String step) {
    return call.followUp("GET", URI.create(url), "", call.records())
        .withState(STEP, step);
  }

  private List<VendorCall> nextPage(VendorCall call, @Nullable JsonNode response, String step) {
    String next = response == null ? "" : response.path("links").path("next").asText("");
    return next.isEmpty() || next.equals("null") ? List.of() : List.of(get(call, next, step));
  }

  private boolean needsListChanges(List<ContactUpdate> records) {
    for (ContactUpdate update : records) {
      for (String segment : getSegmentLists().keySet()) {
        if (update.getSegmentsExited().contains(segment)
            || !update.getExitOnly() && update.getSegmentsEntered().contains(segment)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Index of each record by its external id, then email. */
  private static Map<String, Integer> index(List<ContactUpdate> records) {
    Map<String, Integer> byId = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      byId.putIfAbsent("key:" + records.get(i).getKey(), i);
      if (records.get(i).getEmail() != null) {
        byId.putIfAbsent("email:" + records.get(i).getEmail().toLowerCase(java.util.Locale.ROOT),
            i);
      }
    }
    return byId;
  }

  private static final Pattern POINTER = Pattern.compile("/profiles/data/(\\d+)");

  private Map<Integer, String> importErrors(VendorCall call, @Nullable JsonNode response) {
    Map<String, Integer> byId = index(call.records());
    Map<Integer, String> rejected = new HashMap<>();
    if (response == null) {
      return rejected;
    }
    for (JsonNode error : response.path("data")) {
      JsonNode attributes = error.path("attributes");
      JsonNode payload = attributes.path("original_payload");
      Integer index = byId.get("key:" + payload.path("external_id").asText(""));
      if (index == null) {
        index = byId.get("email:" + payload.path("email").asText("")
            .toLowerCase(java.util.Locale.ROOT));
      }
      if (index == null) {
        java.util.regex.Matcher pointer = POINTER.matcher(attributes.path("source")
            .path("pointer").asText(""));
        if (pointer.find()) {
          int position = Integer.parseInt(pointer.group(1));
          index = position < call.records().size() ? position : null;
        }
      }
      if (index != null) {
        rejected.putIfAbsent(index, (attributes.path("code").asText("") + " "
            + attributes.path("detail").asText(attributes.path("title").asText("failed")))
            .trim());
      }
    }
    return rejected;
  }

  /** Add and remove calls for the profiles of one page, per mapped list. */
  private List<VendorCall> listChanges(VendorCall call, @Nullable JsonNode response) {
    Map<Integer, String> profileIds = profileIds(call, response);
    List<VendorCall> calls = new ArrayList<>();
    for (Map.Entry<String, String> list : new java.util.TreeMap<>(getSegmentLists())
        .entrySet()) {
      for (String method : List.of("POST", "DELETE")) {
        List<ContactUpdate> members = new ArrayList<>();
        ArrayNode data = Json.MAPPER.createArrayNode();
        for (Map.Entry<Integer, String> entry : new java.util.TreeMap<>(profileIds).entrySet()) {
          ContactUpdate update = call.records().get(entry.getKey());
          boolean wanted = method.equals("POST")
              ? !update.getExitOnly() && update.getSegmentsEntered().contains(list.getKey())
              : update.getSegmentsExited().contains(list.getKey());
          if (wanted) {
            members.add(update);
            data.addObject().put("type", "profile").put("id", entry.getValue());
          }
        }
        if (!members.isEmpty()) {
          ObjectNode body = Json.object();
          body.set("data", data);
          calls.add(call.followUp(method, URI.create(getBaseUrl() + "/api/lists/"
                  + list.getValue() + "/relationships/profiles"), body.toString(), members)
              .withHeader("Content-Type", "application/vnd.api+json")
              .withState(STEP, "list").withState(LIST, list.getValue()));
        }
      }
    }
    return calls;
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (common.kind() == CallOutcome.Kind.ACCEPTED) {
      return call.state(STEP) == null ? common : jobStep(call, Json.parse(body), body);
    }
    JsonNode errors = Json.parse(body) == null ? null : Json.parse(body).get("errors");
    if (errors == null || !errors.isArray() || errors.isEmpty()) {
      return common;
    }
    JsonNode first = errors.get(0);
    String message = "HTTP " + status + ": " + first.path("code").asText("") + " "
        + first.path("detail").asText(first.path("title").asText(""));
    if (status == 400 && "create".equals(call.state(STEP))) {
      // Klaviyo validates a job's profiles as a whole; its pointers name the bad ones
      Map<Integer, String> culprits = new HashMap<>();
      for (JsonNode error : errors) {
        java.util.regex.Matcher profile = PROFILE_POINTER.matcher(
            error.path("source").path("pointer").asText(""));
        if (profile.lookingAt()) {
          culprits.putIfAbsent(Integer.parseInt(profile.group(1)), "HTTP 400: "
              + error.path("code").asText("") + " " + error.path("detail").asText(""));
        }
      }
      if (!culprits.isEmpty()) {
        return CallOutcome.refusedForRecords(message, culprits);
      }
    }
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
