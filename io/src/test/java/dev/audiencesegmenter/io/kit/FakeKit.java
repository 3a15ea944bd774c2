package dev.audiencesegmenter.io.kit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kit's API v4 as its documentation describes it, for the connector's tests: OAuth Bearer token
 * (else 401 {@code {"errors":["The access token is invalid"]}}); bulk endpoints answering 200
 * with {@code failures[]} for up to 100 items and {@code 202 {}} above (queued: nothing comes
 * back, and the fake stores nothing, since the results would only reach a callback URL); an
 * email with "invalid" in it refused as "Email address is invalid"; tags created or found by
 * name; custom fields listed with {@code id}, {@code key} and {@code label}; lookup by email with
 * {@code status=all}; unsubscribe by id (204). A 429 is plain text "Retry later".
 */
public final class FakeKit implements AutoCloseable {
  public static final String TOKEN = "kit-oauth-fixture-token-4c1e";

  public final FakeVendorServer server;
  /** Subscribers by lower-case email: id, first_name, state, fields. */
  public final Map<String, ObjectNode> subscribers = new ConcurrentHashMap<>();
  /** Bulk create writes per email. */
  public final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
  /** Tag ids per lower-case email. */
  public final Map<String, Set<Long>> taggings = new ConcurrentHashMap<>();
  public final Map<String, Long> tagIds = new ConcurrentHashMap<>();
  /** Custom fields: id to key; labels are the key capitalised with spaces. */
  public final Map<Long, String> customFields = new ConcurrentHashMap<>();
  public final List<Integer> bulkSizes = new CopyOnWriteArrayList<>();
  private final Map<Long, String> emailById = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(500);

  public FakeKit() throws Exception {
    server = new FakeVendorServer(this::handle);
  }

  public String baseUrl() {
    return server.baseUrl();
  }

  /** A custom field Kit has, e.g. key "lifetime_value", label "Lifetime value". */
  public long customField(String key) {
    long id = nextId.incrementAndGet();
    customFields.put(id, key);
    return id;
  }

  /** A subscriber Kit already has, with these tags (created as needed). */
  public synchronized long seed(String email, String state, String... tags) {
    long id = nextId.incrementAndGet();
    ObjectNode subscriber = Json.object();
    subscriber.put("id", id);
    subscriber.put("email_address", email);
    subscriber.put("state", state);
    subscribers.put(email.toLowerCase(Locale.ROOT), subscriber);
    emailById.put(id, email.toLowerCase(Locale.ROOT));
    Set<Long> own = ConcurrentHashMap.newKeySet();
    for (String tag : tags) {
      own.add(tagId(tag));
    }
    taggings.put(email.toLowerCase(Locale.ROOT), own);
    return id;
  }

  private long tagId(String name) {
    return tagIds.computeIfAbsent(name, n -> nextId.incrementAndGet());
  }

  static Response errors(int status, String... messages) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    for (String message : messages) {
      array.add(message);
    }
    return Response.json(status, "{\"errors\":" + array + "}");
  }

  Response handle(Request request) {
    if (!("Bearer " + TOKEN).equals(request.header("Authorization"))) {
      return errors(401, "The access token is invalid");
    }
    String route = request.method() + " " + request.path();
    if (route.startsWith("POST /v4/subscribers/") && route.endsWith("/unsubscribe")) {
      return unsubscribe(request.path());
    }
    JsonNode body = request.body().isEmpty() ? Json.object() : Json.parse(request.body());
    return switch (route) {
      case "POST /v4/bulk/subscribers" -> bulkSubscribers(body);
      case "POST /v4/bulk/tags" -> bulkTags(body);
      case "GET /v4/custom_fields" -> listCustomFields();
      case "POST /v4/bulk/custom_fields/subscribers" -> bulkFieldValues(body);
      case "POST /v4/bulk/tags/subscribers" -> bulkTaggings(body, true);
      case "DELETE /v4/bulk/tags/subscribers" -> bulkTaggings(body, false);
      case "GET /v4/subscribers" -> lookup(request.query());
      default -> errors(404, "Not Found");
    };
  }

  private static boolean queued(JsonNode items) {
    return items.size() > 100; // Kit queues it and answers 202 {}; results go to a callback
  }

  private synchronized Response bulkSubscribers(JsonNode body) {
    JsonNode items = body.path("subscribers");
    bulkSizes.add(items.size());
    if (!items.isArray() || items.isEmpty()) {
      return errors(422, "No subscribers included for processing");
    }
    if (queued(items)) {
      return Response.json(202, "{}");
    }
    ObjectNode answer = Json.object();
    ArrayNode done = answer.putArray("subscribers");
    ArrayNode failures = answer.putArray("failures");
    for (JsonNode item : items) {
      String email = item.path("email_address").asText("");
      if (email.isEmpty() || email.contains("invalid")) {
        ObjectNode failure = failures.addObject();
        failure.putArray("errors").add("Email address is invalid");
        ObjectNode echoed = failure.putObject("subscriber");
        echoed.put("first_name", item.path("first_name").asText(null));
        echoed.putNull("email_address"); // Kit echoes the rejected email as null
        echoed.put("state", "active");
        continue;
      }
      String key = email.toLowerCase(Locale.ROOT);
      ObjectNode subscriber = subscribers.computeIfAbsent(key, k -> {
        ObjectNode created = Json.object();
        long id = nextId.incrementAndGet();
        created.put("id", id);
        created.put("email_address", email);
        created.put("state", item.has("state") ? item.path("state").asText() : "active");
        emailById.put(id, k);
        return created;
      });
      if (item.hasNonNull("first_name")) {
        subscriber.put("first_name", item.path("first_name").asText());
      }
      if (item.hasNonNull("state")) {
        subscriber.put("state", item.path("state").asText());
      }
      writes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      done.add(subscriber.deepCopy().put("created_at", "2026-12-06T11:43:55Z"));
    }
    return Response.json(200, answer.toString());
  }

  private synchronized Response bulkTags(JsonNode body) {
    JsonNode items = body.path("tags");
    if (!items.isArray() || items.isEmpty()) {
      return errors(422, "No tags included for processing");
    }
    ObjectNode answer = Json.object();
    ArrayNode tags = answer.putArray("tags");
    answer.putArray("failures");
    for (JsonNode item : items) {
      String name = item.path("name").asText();
      tags.addObject().put("id", tagId(name)).put("name", name)
          .put("created_at", "2026-12-06T11:43:55Z");
    }
    return Response.json(200, answer.toString());
  }

  private Response listCustomFields() {
    ObjectNode answer = Json.object();
    ArrayNode fields = answer.putArray("custom_fields");
    customFields.forEach((id, key) -> fields.addObject().put("id", id)
        .put("name", "ck_field_" + id + "_" + key).put("key", key).put("label", label(key)));
    answer.putObject("pagination").put("has_previous_page", false).put("has_next_page", false)
        .put("per_page", 1000);
    return Response.json(200, answer.toString());
  }

  static String label(String key) {
    String spaced = key.replace('_', ' ');
    return Character.toUpperCase(spaced.charAt(0)) + spaced.substring(1);
  }

  private synchronized Response bulkFieldValues(JsonNode body) {
    JsonNode items = body.path("custom_field_values");
    if (!items.isArray() || items.isEmpty()) {
      return errors(422, "No custom field values included for processing");
    }
    if (queued(items)) {
      return Response.json(202, "{}");
    }
    ObjectNode answer = Json.object();
    ArrayNode done = answer.putArray("custom_field_values");
    ArrayNode failures = answer.putArray("failures");
    for (JsonNode item : items) {
      String email = emailById.get(item.path("subscriber_id").asLong());
      String key = customFields.get(item.path("subscriber_custom_field_id").asLong());
      if (email == null || key == null) {
        ObjectNode failure = failures.addObject();
        failure.putArray("errors").add(email == null ? "Subscriber does not exist"
            : "Custom field does not exist");
        failure.set("custom_field_value", item);
        continue;
      }
      subscribers.get(email).with("fields").put(key, item.path("value").asText());
      done.add(item);
    }
    return Response.json(200, answer.toString());
  }

  private synchronized Response bulkTaggings(JsonNode body, boolean add) {
    JsonNode items = body.path("taggings");
    if (!items.isArray() || items.isEmpty()) {
      return errors(422, "No taggings included for processing");
    }
    if (queued(items)) {
      return Response.json(202, "{}");
    }
    ObjectNode answer = Json.object();
    ArrayNode done = add ? answer.putArray("subscribers") : null;
    ArrayNode failures = answer.putArray("failures");
    for (JsonNode item : items) {
      long tagId = item.path("tag_id").asLong();
      String email = emailById.get(item.path("subscriber_id").asLong());
      boolean tagKnown = tagIds.containsValue(tagId);
      if (email == null || !tagKnown) {
        ObjectNode failure = failures.addObject();
        failure.putArray("errors").add(email == null ? "Subscriber does not exist"
            : "Tag does not exist");
        ObjectNode echoed = failure.putObject("tagging");
        echoed.put("tag_id", tagKnown ? tagId : null);
        echoed.put("subscriber_id", email == null ? null : item.path("subscriber_id").asLong());
        continue;
      }
      Set<Long> own = taggings.computeIfAbsent(email, k -> ConcurrentHashMap.newKeySet());
      if (add) {
        own.add(tagId);
        done.add(subscribers.get(email).deepCopy().put("tagged_at", "2026-12-06T11:43:55Z"));
      } else {
        own.remove(tagId);
      }
    }
    return Response.json(200, answer.toString());
  }

  private Response lookup(String query) {
    Map<String, String> params = new java.util.HashMap<>();
    for (String pair : (query == null ? "" : query).split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        params.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1),
            StandardCharsets.UTF_8));
      }
    }
    ObjectNode answer = Json.object();
    ArrayNode found = answer.putArray("subscribers");
    ObjectNode subscriber = subscribers.get(params.getOrDefault("email_address", "")
        .toLowerCase(Locale.ROOT));
    // without status=all only active subscribers are listed
    if (subscriber != null && ("all".equals(params.get("status"))
        || "active".equals(subscriber.path("state").asText()))) {
      found.add(subscriber);
    }
    answer.putObject("pagination").put("has_next_page", false).put("per_page", 500);
    return Response.json(200, answer.toString());
  }

  private synchronized Response unsubscribe(String path) {
    String id = path.substring("/v4/subscribers/".length(), path.length()
        - "/unsubscribe".length());
    String email = emailById.get(Long.parseLong(id));
    if (email == null) {
      return errors(404, "Not Found");
    }
    subscribers.get(email).put("state", "cancelled");
    return new Response(204, Map.of(), "");
  }

  @Override
  public void close() {
    server.close();
  }
}
