package dev.audiencesegmenter.io.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HubSpot's contacts batch upsert as the contract describes it: Bearer auth, at most 100
 * inputs (more is a 400), upsert by email, and per-contact validation errors: an email with
 * "invalid" in it is refused with {@code errors[]} naming it in {@code context.ids}, answered
 * with 207 (or 200 when {@code partialAs200}).
 */
public final class FakeHubSpot implements AutoCloseable {
  public final FakeVendorServer server;
  public final Map<String, JsonNode> contacts = new ConcurrentHashMap<>();
  public final Map<String, AtomicInteger> writesPerEmail = new ConcurrentHashMap<>();
  public final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  /** Static lists: list id to the emails of its members. */
  public final Map<String, Set<String>> lists = new ConcurrentHashMap<>();
  /** Membership changes received per list and email ("add:123:ann@ex.com"), to count replays. */
  public final List<String> membershipChanges = new CopyOnWriteArrayList<>();
  private final Map<String, String> emailById = new ConcurrentHashMap<>();
  private final String token;
  public volatile boolean partialAs200;

  public FakeHubSpot(String token) throws IOException {
    this.token = token;
    this.server = new FakeVendorServer(this::handle);
  }

  private static final Pattern MEMBERSHIP =
      Pattern.compile("/crm/v3/lists/([0-9]+)/memberships/(add|remove)");

  /** Emails unsubscribed from all email ({@code .../statuses/batch/unsubscribe-all}). */
  public final Set<String> unsubscribedFromAll = ConcurrentHashMap.newKeySet();
  /** The app lacks the communication-preferences scope (or the portal the feature): 403. */
  public volatile boolean subscriptionsForbidden;

  static final String UNSUBSCRIBE_ALL =
      "/communication-preferences/v4/statuses/batch/unsubscribe-all";

  private Response handle(Request request) {
    if (request.path().equals(UNSUBSCRIBE_ALL)) {
      return unsubscribeAll(request);
    }
    Matcher membership = MEMBERSHIP.matcher(request.path());
    if (membership.matches()) {
      return membership(request, membership.group(1), membership.group(2));
    }
    if (!request.path().equals("/crm/v3/objects/contacts/batch/upsert")
        || !request.method().equals("POST")) {
      return Response.json(404, "{\"status\":\"error\",\"message\":\"Not found\"}");
    }
    if (!("Bearer " + token).equals(request.header("Authorization"))) {
      return Response.json(401, "{\"status\":\"error\",\"message\":\"Authentication credentials "
          + "not found\",\"category\":\"INVALID_AUTHENTICATION\"}");
    }
    JsonNode body = Json.parse(request.body());
    JsonNode inputs = body == null ? null : body.get("inputs");
    if (inputs == null || !inputs.isArray()) {
      return Response.json(400, "{\"status\":\"error\",\"message\":\"Invalid input JSON\"}");
    }
    batchSizes.add(inputs.size());
    if (inputs.size() > 100) {
      return Response.json(400, "{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\","
          + "\"message\":\"Batch input limit exceeded: " + inputs.size() + " > 100\"}");
    }
    ObjectNode response = Json.object();
    ArrayNode results = response.putArray("results");
    ArrayNode errors = response.putArray("errors");
    for (JsonNode input : inputs) {
      String email = input.path("id").asText();
      if (!"email".equals(input.path("idProperty").asText())) {
        return Response.json(400, "{\"status\":\"error\",\"message\":\"idProperty must be "
            + "email\"}");
      }
      if (email.contains("invalid")) {
        ObjectNode error = errors.addObject();
        error.put("status", "error");
        error.put("category", "VALIDATION_ERROR");
        error.put("message", "Property values were not valid: email " + email);
        error.putObject("context").putArray("ids").add(email);
        continue;
      }
      contacts.put(email, input.path("properties"));
      emailById.put(Integer.toString(Math.abs(email.hashCode())), email);
      writesPerEmail.computeIfAbsent(email, key -> new AtomicInteger()).incrementAndGet();
      ObjectNode result = results.addObject();
      result.put("id", Integer.toString(Math.abs(email.hashCode())));
      result.put("new", true);
      result.set("properties", input.path("properties"));
    }
    response.put("status", "COMPLETE");
    response.put("numErrors", errors.size());
    int status = errors.isEmpty() || partialAs200 ? 200 : 207;
    return new Response(status, Map.of("Content-Type", "application/json",
        "X-HubSpot-RateLimit-Max", "190", "X-HubSpot-RateLimit-Remaining", "150",
        "X-HubSpot-RateLimit-Interval-Milliseconds", "10000"), response.toString());
  }

  /**
   * {@code PUT /crm/v3/lists/{id}/memberships/add|remove}: a JSON array of record ids, at most
   * 100_000 [U]; unknown ids come back in {@code recordIdsMissing}. Lists "404..." do not exist.
   */
  private Response membership(Request request, String listId, String direction) {
    if (!request.method().equals("PUT")) {
      return Response.json(405, "{\"status\":\"error\",\"message\":\"Method not allowed\"}");
    }
    if (!("Bearer " + token).equals(request.header("Authorization"))) {
      return Response.json(401, "{\"status\":\"error\",\"message\":\"Authentication "
          + "credentials not found\"}");
    }
    if (listId.startsWith("404")) {
      return Response.json(404, "{\"status\":\"error\",\"message\":\"List " + listId
          + " does not exist\",\"category\":\"OBJECT_NOT_FOUND\"}");
    }
    JsonNode ids = Json.parse(request.body());
    if (ids == null || !ids.isArray()) {
      return Response.json(400, "{\"status\":\"error\",\"message\":\"Invalid input JSON\"}");
    }
    Set<String> members = lists.computeIfAbsent(listId, key -> ConcurrentHashMap.newKeySet());
    ObjectNode response = Json.object();
    ArrayNode changed = response.putArray(direction.equals("add") ? "recordIdsAdded"
        : "recordIdsRemoved");
    ArrayNode missing = response.putArray("recordIdsMissing");
    for (JsonNode id : ids) {
      String email = emailById.get(id.asText());
      if (email == null) {
        missing.add(id.asText());
        continue;
      }
      membershipChanges.add(direction + ":" + listId + ":" + email);
      boolean did = direction.equals("add") ? members.add(email) : members.remove(email);
      if (did) {
        changed.add(id.asText());
      }
    }
    return Response.json(200, response.toString());
  }

  /**
   * {@code POST /communication-preferences/v4/statuses/batch/unsubscribe-all}, body
   * {@code {"inputs":[email...]}}: each contact unsubscribed from every email subscription;
   * {@code results[]} per subscriber ({@code subscriberIdString}, {@code statuses[]}). Without
   * the scope, 403 with {@code MISSING_SCOPES} (HubSpot's developer docs, communication
   * preferences v4).
   */
  private Response unsubscribeAll(Request request) {
    if (!request.method().equals("POST")) {
      return Response.json(405, "{\"status\":\"error\",\"message\":\"Method not allowed\"}");
    }
    if (!("Bearer " + token).equals(request.header("Authorization"))) {
      return Response.json(401, "{\"status\":\"error\",\"message\":\"Authentication "
          + "credentials not found\",\"category\":\"INVALID_AUTHENTICATION\"}");
    }
    if (subscriptionsForbidden) {
      return Response.json(403, "{\"status\":\"error\",\"message\":\"This app hasn't been "
          + "granted all required scopes to make this call.\",\"category\":\"MISSING_SCOPES\","
          + "\"errors\":[{\"message\":\"One or more of the following scopes are required.\","
          + "\"context\":{\"requiredGranularScopes\":[\"communication_preferences.write\"]}}]}");
    }
    JsonNode inputs = Json.parse(request.body()) == null ? null
        : Json.parse(request.body()).get("inputs");
    if (inputs == null || !inputs.isArray()) {
      return Response.json(400, "{\"status\":\"error\",\"message\":\"Invalid input JSON\"}");
    }
    ObjectNode response = Json.object();
    response.put("status", "COMPLETE");
    ArrayNode results = response.putArray("results");
    for (JsonNode input : inputs) {
      String email = input.asText();
      unsubscribedFromAll.add(email);
      ObjectNode result = results.addObject();
      result.put("subscriberIdString", email);
      result.putArray("statuses").addObject().put("channel", "EMAIL")
          .put("status", "NOT_SUBSCRIBED").put("subscriberIdString", email);
    }
    return Response.json(200, response.toString());
  }

  public String baseUrl() {
    return server.baseUrl();
  }

  /** The id HubSpot gave the contact with this email. */
  public static String idOf(String email) {
    return Integer.toString(Math.abs(email.hashCode()));
  }

  @Override
  public void close() {
    server.close();
  }
}
