package dev.audiencesegmenter.io.klaviyo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Klaviyo's bulk profile import as the contract describes it: {@code Klaviyo-API-Key} auth, a
 * required {@code revision} header, at most 10,000 profiles and 5 MB per job; the create call
 * answers 202 with a queued job, which each status poll moves on (queued, processing,
 * complete). Profiles whose email contains "reject" fail inside the job and are listed by
 * {@code /import-errors}; an email containing "bad-request" fails the whole request (400). The
 * job's profiles ({@code /profiles}) and import errors are paged by 100 with {@code links.next};
 * lists take {@code POST}/{@code DELETE /api/lists/{id}/relationships/profiles} (at most 1000
 * ids, 204; unknown profile ids are a 400 [U]).
 */
public final class FakeKlaviyo implements AutoCloseable {
  public final FakeVendorServer server;
  private final String key;
  public final Map<String, AtomicInteger> importsPerProfile = new ConcurrentHashMap<>();
  public final Map<String, JsonNode> profiles = new ConcurrentHashMap<>();
  public final List<Integer> jobSizes = new CopyOnWriteArrayList<>();
  public final Map<String, String> listOfProfile = new ConcurrentHashMap<>();
  /** Segment lists: list id to external ids of members. */
  public final Map<String, Set<String>> lists = new ConcurrentHashMap<>();
  public final List<String> listChanges = new CopyOnWriteArrayList<>();
  public final AtomicInteger polls = new AtomicInteger();
  /** Emails unsubscribed from email marketing by bulk unsubscribe jobs, in order. */
  public final List<String> unsubscribedEmails = new CopyOnWriteArrayList<>();
  /** Phone numbers unsubscribed from SMS marketing by bulk unsubscribe jobs, in order. */
  public final List<String> unsubscribedPhones = new CopyOnWriteArrayList<>();
  /** Profile updates by id ({@code PATCH /api/profiles/{id}}), as external ids. */
  public final List<String> profilePatches = new CopyOnWriteArrayList<>();
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  private static final class Job {
    final List<String> imported = new ArrayList<>();
    final List<JsonNode> errors = new ArrayList<>();
    int total;
    int step;
  }

  public FakeKlaviyo(String key) throws Exception {
    this.key = key;
    server = new FakeVendorServer(this::handle);
  }

  static Response error(int status, String code, String detail) {
    return new Response(status, Map.of("Content-Type", "application/vnd.api+json"),
        "{\"errors\":[{\"id\":\"e1\",\"status\":" + status + ",\"code\":\"" + code
            + "\",\"title\":\"Error\",\"detail\":\"" + detail + "\"}]}");
  }

  public static String profileId(String externalId) {
    return "01P" + externalId.replaceAll("[^A-Za-z0-9]", "");
  }

  private static final Pattern JOB = Pattern.compile(
      "/api/profile-bulk-import-jobs/(job-[0-9]+)(/import-errors|/profiles)?");
  private static final Pattern LIST = Pattern.compile(
      "/api/lists/([A-Za-z0-9]+)/relationships/profiles");

  private static final Pattern PROFILE = Pattern.compile("/api/profiles/([A-Za-z0-9]+)");
  private static final Pattern FILTER = Pattern.compile(
      "^(?:any\\(external_id,(\\[.*\\])\\)|equals\\(external_id,(\".*\")\\))$");

  /**
   * Bulk Unsubscribe Profiles, {@code POST /api/profile-subscription-bulk-delete-jobs}: at most
   * 100 profiles, each with {@code subscriptions} naming the channels to revoke, every one with
   * marketing consent {@code UNSUBSCRIBED}: {@code email} needs the profile's email,
   * {@code sms} its {@code phone_number} in E.164; an optional {@code relationships.list} also
   * removes them from that list; a profile not found is created and unsubscribed; answers 202
   * without a body.
   */
  private Response unsubscribe(Request request) {
    JsonNode data = Json.parse(request.body()).path("data");
    if (!"profile-subscription-bulk-delete-job".equals(data.path("type").asText())) {
      return error(400, "invalid", "data.type must be profile-subscription-bulk-delete-job");
    }
    JsonNode profilesIn = data.path("attributes").path("profiles").path("data");
    if (profilesIn.size() > 100) {
      return error(400, "invalid", "At most 100 profiles may be unsubscribed per request.");
    }
    for (JsonNode profile : profilesIn) {
      JsonNode attributes = profile.path("attributes");
      JsonNode subscriptions = attributes.path("subscriptions");
      if (!subscriptions.isObject() || subscriptions.isEmpty()) {
        return error(400, "invalid", "Each profile needs subscriptions.");
      }
      for (java.util.Iterator<String> it = subscriptions.fieldNames(); it.hasNext(); ) {
        String channel = it.next();
        String consent = subscriptions.path(channel).path("marketing").path("consent")
            .asText("");
        if (!consent.equals("UNSUBSCRIBED")) {
          return error(400, "invalid", "subscriptions." + channel
              + ".marketing.consent must be UNSUBSCRIBED.");
        }
        if (channel.equals("email") && !attributes.hasNonNull("email")) {
          return error(400, "invalid", "Unsubscribing from email needs an email.");
        }
        if (channel.equals("sms") && !attributes.path("phone_number").asText("")
            .matches("\\+[1-9][0-9]{1,14}")) {
          return error(400, "invalid", "Unsubscribing from SMS needs a phone_number in E.164 "
              + "format.");
        }
        if (!List.of("email", "sms", "push", "whatsapp").contains(channel)) {
          return error(400, "invalid", "Unknown channel " + channel + ".");
        }
      }
    }
    String listId = data.path("relationships").path("list").path("data").path("id")
        .asText(null);
    for (JsonNode profile : profilesIn) {
      JsonNode attributes = profile.path("attributes");
      if (attributes.path("subscriptions").has("sms")) {
        unsubscribedPhones.add(attributes.path("phone_number").asText());
      }
      if (!attributes.path("subscriptions").has("email")) {
        continue;
      }
      String email = attributes.path("email").asText();
      unsubscribedEmails.add(email);
      if (listId != null) {
        profiles.forEach((id, stored) -> {
          if (email.equalsIgnoreCase(stored.path("email").asText())) {
            lists.getOrDefault(listId, Set.of()).remove(id);
            listOfProfile.remove(id, listId);
          }
        });
      }
    }
    return new Response(202, Map.of(), "");
  }

  /**
   * Get Profiles, {@code GET /api/profiles?filter=any(external_id,[...])} (or
   * {@code equals(external_id,"...")}), at most 100 values and {@code page[size]} 100; answers
   * the profiles found, none for unknown ids (never creates).
   */
  private Response findProfiles(Request request) {
    String query = java.net.URLDecoder.decode(request.query() == null ? "" : request.query(),
        StandardCharsets.UTF_8);
    String filter = "";
    for (String part : query.split("&")) {
      if (part.startsWith("filter=")) {
        filter = part.substring("filter=".length());
      }
    }
    Matcher matcher = FILTER.matcher(filter);
    if (!matcher.matches()) {
      return error(400, "invalid", "Invalid filter: " + filter);
    }
    JsonNode values = Json.parse(matcher.group(1) != null ? matcher.group(1)
        : "[" + matcher.group(2) + "]");
    if (values == null || values.size() > 100) {
      return error(400, "invalid", "A filter takes at most 100 values.");
    }
    ObjectNode response = Json.object();
    ArrayNode data = response.putArray("data");
    for (JsonNode value : values) {
      JsonNode attributes = profiles.get(value.asText());
      if (attributes != null) {
        ObjectNode profile = data.addObject();
        profile.put("type", "profile");
        profile.put("id", profileId(value.asText()));
        profile.set("attributes", attributes);
      }
    }
    response.putObject("links").putNull("next");
    return Response.json(200, response.toString());
  }

  /** Update Profile, {@code PATCH /api/profiles/{id}}: merges the given properties. */
  private Response patchProfile(Request request, String profileId) {
    String external = null;
    for (String id : profiles.keySet()) {
      if (profileId(id).equals(profileId)) {
        external = id;
      }
    }
    if (external == null) {
      return error(404, "not_found", "Profile " + profileId + " not found");
    }
    JsonNode data = Json.parse(request.body()).path("data");
    if (!profileId.equals(data.path("id").asText())) {
      return error(409, "conflict", "The id in the body does not match the URL.");
    }
    ObjectNode attributes = (ObjectNode) profiles.get(external);
    JsonNode properties = data.path("attributes").path("properties");
    if (properties.isObject()) {
      attributes.with("properties").setAll((ObjectNode) properties);
    }
    profilePatches.add(external);
    return Response.json(200, "{\"data\":{\"type\":\"profile\",\"id\":\"" + profileId
        + "\"}}");
  }

  Response handle(Request request) {
    if (!("Klaviyo-API-Key " + key).equals(request.header("Authorization"))) {
      return error(401, "not_authenticated", "Missing or invalid private key.");
    }
    if (request.header("revision") == null) {
      return error(400, "invalid", "A revision header is required.");
    }
    Matcher job = JOB.matcher(request.path());
    if (job.matches() && request.method().equals("GET")) {
      return job.group(2) == null ? status(job.group(1))
          : page(request, job.group(1), job.group(2));
    }
    Matcher list = LIST.matcher(request.path());
    if (list.matches()) {
      return list(request, list.group(1));
    }
    if (request.path().equals("/api/profile-subscription-bulk-delete-jobs")
        && request.method().equals("POST")) {
      return unsubscribe(request);
    }
    if (request.path().equals("/api/profiles") && request.method().equals("GET")) {
      return findProfiles(request);
    }
    Matcher patch = PROFILE.matcher(request.path());
    if (patch.matches() && request.method().equals("PATCH")) {
      return patchProfile(request, patch.group(1));
    }
    if (!request.path().equals("/api/profile-bulk-import-jobs")
        || !request.method().equals("POST")) {
      return error(404, "not_found", "Not found");
    }
    if (request.body().getBytes(StandardCharsets.UTF_8).length > 5_000_000) {
      return error(413, "payload_too_large", "Request body exceeds 5 MB.");
    }
    JsonNode body = Json.parse(request.body());
    JsonNode data = body.path("data").path("attributes").path("profiles").path("data");
    jobSizes.add(data.size());
    if (data.size() > 10_000) {
      return error(400, "invalid", "A job may hold at most 10000 profiles.");
    }
    String listId = body.path("data").path("relationships").path("lists").path("data")
        .path(0).path("id").asText(null);
    // the job is validated as a whole: a malformed email refuses it, each pointer naming one
    ArrayNode invalid = Json.MAPPER.createArrayNode();
    for (int i = 0; i < data.size(); i++) {
      String email = data.get(i).path("attributes").path("email").asText();
      if (email.contains("bad-request")) {
        ObjectNode error = invalid.addObject();
        error.put("id", "e" + i);
        error.put("status", 400);
        error.put("code", "invalid");
        error.put("title", "Invalid input.");
        error.put("detail", "Invalid email address: " + email);
        error.putObject("source").put("pointer", "/data/attributes/profiles/data/" + i
            + "/attributes/email");
      }
    }
    if (!invalid.isEmpty()) {
      return new Response(400, Map.of("Content-Type", "application/vnd.api+json"),
          "{\"errors\":" + invalid + "}");
    }
    Job created = new Job();
    created.total = data.size();
    int index = 0;
    for (JsonNode profile : data) {
      String id = profile.path("attributes").path("external_id").asText();
      String email = profile.path("attributes").path("email").asText();
      if (email.contains("reject")) {
        ObjectNode error = Json.object();
        error.put("type", "import-error");
        error.put("id", "err-" + id);
        ObjectNode attributes = error.putObject("attributes");
        attributes.put("code", "invalid");
        attributes.put("title", "Invalid input.");
        attributes.put("detail", "Invalid email address: " + email);
        attributes.putObject("source").put("pointer", "/data/attributes/profiles/data/"
            + index);
        attributes.set("original_payload", profile.path("attributes"));
        created.errors.add(error);
      } else {
        importsPerProfile.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        profiles.put(id, profile.path("attributes"));
        created.imported.add(id);
        if (listId != null) {
          listOfProfile.put(id, listId);
        }
      }
      index++;
    }
    String jobId = "job-" + jobSizes.size() + "-" + System.nanoTime() % 100000;
    jobId = "job-" + Math.abs(jobId.hashCode());
    jobs.put(jobId, created);
    return new Response(202, Map.of("Content-Type", "application/vnd.api+json",
        "RateLimit-Limit", "10", "RateLimit-Remaining", "9", "RateLimit-Reset", "1"),
        "{\"data\":{\"type\":\"profile-bulk-import-job\",\"id\":\"" + jobId
            + "\",\"attributes\":{\"status\":\"queued\",\"total_count\":" + data.size() + "}}}");
  }

  private Response status(String jobId) {
    Job job = jobs.get(jobId);
    if (job == null) {
      return error(404, "not_found", "Job " + jobId + " not found");
    }
    polls.incrementAndGet();
    String status;
    synchronized (job) {
      status = job.step == 0 ? "queued" : job.step == 1 ? "processing" : "complete";
      job.step++;
    }
    boolean done = status.equals("complete");
    return Response.json(200, "{\"data\":{\"type\":\"profile-bulk-import-job\",\"id\":\""
        + jobId + "\",\"attributes\":{\"status\":\"" + status + "\",\"total_count\":"
        + job.total + ",\"completed_count\":" + (done ? job.imported.size() : 0)
        + ",\"failed_count\":" + (done ? job.errors.size() : 0) + "}}}");
  }

  private Response page(Request request, String jobId, String what) {
    Job job = jobs.get(jobId);
    if (job == null) {
      return error(404, "not_found", "Job " + jobId + " not found");
    }
    int cursor = 0;
    String query = request.query() == null ? "" : request.query();
    Matcher c = Pattern.compile("page%5Bcursor%5D=([0-9]+)|page\\[cursor\\]=([0-9]+)")
        .matcher(query);
    if (c.find()) {
      cursor = Integer.parseInt(c.group(1) != null ? c.group(1) : c.group(2));
    }
    ObjectNode response = Json.object();
    ArrayNode data = response.putArray("data");
    int size = what.equals("/profiles") ? job.imported.size() : job.errors.size();
    for (int i = cursor; i < Math.min(size, cursor + 100); i++) {
      if (what.equals("/profiles")) {
        String id = job.imported.get(i);
        ObjectNode profile = data.addObject();
        profile.put("type", "profile");
        profile.put("id", profileId(id));
        profile.set("attributes", profiles.get(id));
      } else {
        data.add(job.errors.get(i));
      }
    }
    ObjectNode links = response.putObject("links");
    links.putNull("next");
    if (cursor + 100 < size) {
      links.put("next", server.baseUrl() + request.path() + "?page%5Bsize%5D=100&page%5Bcursor%5D="
          + (cursor + 100));
    }
    return Response.json(200, response.toString());
  }

  private Response list(Request request, String listId) {
    JsonNode data = Json.parse(request.body()).path("data");
    if (data.size() > 1000) {
      return error(400, "invalid", "At most 1000 profiles per request.");
    }
    Set<String> members = lists.computeIfAbsent(listId, k -> ConcurrentHashMap.newKeySet());
    for (JsonNode profile : data) {
      String external = null;
      for (String id : profiles.keySet()) {
        if (profileId(id).equals(profile.path("id").asText())) {
          external = id;
        }
      }
      if (external == null) {
        return error(400, "invalid", "Profile " + profile.path("id").asText()
            + " does not exist.");
      }
      if (request.method().equals("POST")) {
        members.add(external);
        listChanges.add("add:" + listId + ":" + external);
      } else if (request.method().equals("DELETE")) {
        members.remove(external);
        listOfProfile.remove(external, listId);
        listChanges.add("remove:" + listId + ":" + external);
      } else {
        return error(405, "method_not_allowed", "Method not allowed");
      }
    }
    return new Response(204, Map.of(), "");
  }

  @Override
  public void close() {
    server.close();
  }
}
