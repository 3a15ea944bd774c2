package dev.audiencesegmenter.io.zoho;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Zoho CRM's Contacts API as its v8 documentation describes it, for the connector's tests:
 * {@code Authorization: Zoho-oauthtoken} (else 401 {@code INVALID_TOKEN}); upsert of at most
 * 100 records matched on the duplicate-check field {@code Customer_Id}, {@code Last_Name}
 * mandatory on a new contact, an email with "invalid" in it refused as {@code INVALID_DATA},
 * per-record results in request order with 200 (all stored), 207 (mixed) or 400 (none); the
 * sub-concurrency of 10 (an eleventh request in flight gets 429 {@code TOO_MANY_REQUESTS});
 * add_tags / remove_tags by record id (at most 500). The 100-record overrun's wording is the
 * fake's own (Zoho documents the limit, not its message).
 */
public final class FakeZoho implements AutoCloseable {
  public static final String TOKEN = "1000.fixture0zoho0access0token.7d2c";

  public final FakeVendorServer server;
  /** Contacts by Customer_Id. */
  public final Map<String, ObjectNode> contacts = new ConcurrentHashMap<>();
  /** Successful writes per Customer_Id. */
  public final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
  /** Tag names per Customer_Id. */
  public final Map<String, Set<String>> tags = new ConcurrentHashMap<>();
  public final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  /**
   * Time each admitted call takes. Calls over the concurrency limit are refused on arrival,
   * before this, as a gateway would (the server's own latency would delay the refusals too).
   */
  public volatile long processingMillis;
  private final Map<String, String> customerIdByRecordId = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(4_150_868_000_000_376_008L);

  public FakeZoho() throws Exception {
    server = new FakeVendorServer(this::handle);
  }

  /** A contact Zoho already has (last name "Seeded"), with these tags. */
  public synchronized void seed(String customerId, String... tagNames) {
    ObjectNode contact = Json.object();
    String id = String.valueOf(nextId.incrementAndGet());
    contact.put("id", id);
    contact.put("Customer_Id", customerId);
    contact.put("Last_Name", "Seeded");
    contacts.put(customerId, contact);
    customerIdByRecordId.put(id, customerId);
    Set<String> own = ConcurrentHashMap.newKeySet();
    own.addAll(List.of(tagNames));
    tags.put(customerId, own);
  }

  public String baseUrl() {
    return server.baseUrl();
  }

  static Response error(int status, String code, String message) {
    return Response.json(status, "{\"code\":\"" + code + "\",\"details\":{},\"message\":\""
        + message + "\",\"status\":\"error\"}");
  }

  Response handle(Request request) {
    if (!("Zoho-oauthtoken " + TOKEN).equals(request.header("Authorization"))) {
      return error(401, "INVALID_TOKEN", "invalid oauth token");
    }
    if (server.inFlight() > ZohoCrmConnector.MAX_CONCURRENT_UPSERTS) {
      return error(429, "TOO_MANY_REQUESTS", "concurrency limit of the org exceeded");
    }
    if (processingMillis > 0) {
      try {
        Thread.sleep(processingMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!request.method().equals("POST")) {
      return error(400, "INVALID_REQUEST_METHOD", "The http request method type is not a "
          + "valid one");
    }
    return switch (request.path()) {
      case "/crm/v8/Contacts/upsert" -> upsert(Json.parse(request.body()));
      case "/crm/v8/Contacts/actions/add_tags" -> tag(Json.parse(request.body()), true);
      case "/crm/v8/Contacts/actions/remove_tags" -> tag(Json.parse(request.body()), false);
      default -> error(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access "
          + "is a correct one");
    };
  }

  private Response upsert(JsonNode body) {
    JsonNode data = body.path("data");
    batchSizes.add(data.size());
    if (data.size() > 100) {
      return Response.json(400, "{\"code\":\"LIMIT_EXCEEDED\",\"details\":{\"limit\":100},"
          + "\"message\":\"the number of records in the request exceeds the limit\","
          + "\"status\":\"error\"}");
    }
    if (!"Customer_Id".equals(body.path("duplicate_check_fields").path(0).asText())) {
      return error(400, "INVALID_DATA", "duplicate_check_fields must name a unique field");
    }
    ObjectNode answer = Json.object();
    ArrayNode results = answer.putArray("data");
    int failed = 0;
    for (int i = 0; i < data.size(); i++) {
      ObjectNode result = upsertOne(data.get(i), i);
      results.add(result);
      if (!"success".equals(result.path("status").asText())) {
        failed++;
      }
    }
    int status = failed == 0 ? 200 : failed == data.size() ? 400 : 207;
    return Response.json(status, answer.toString());
  }

  private synchronized ObjectNode upsertOne(JsonNode record, int index) {
    String key = record.path("Customer_Id").asText("");
    if (key.isEmpty()) {
      return recordError("MANDATORY_NOT_FOUND", "required field not found", "Customer_Id",
          index);
    }
    if (record.path("Email").asText("").contains("invalid")) {
      ObjectNode error = recordError("INVALID_DATA", "invalid data", "Email", index);
      ((ObjectNode) error.path("details")).put("expected_data_type", "email");
      return error;
    }
    if (record.has("Audience_Segments") && !record.path("Audience_Segments").isArray()) {
      return recordError("INVALID_DATA", "invalid data", "Audience_Segments", index);
    }
    ObjectNode existing = contacts.get(key);
    if (existing == null && record.path("Last_Name").asText("").isEmpty()) {
      return recordError("MANDATORY_NOT_FOUND", "required field not found", "Last_Name", index);
    }
    String action = existing == null ? "insert" : "update";
    ObjectNode contact = existing == null ? Json.object() : existing;
    if (existing == null) {
      String id = String.valueOf(nextId.incrementAndGet());
      contact.put("id", id);
      customerIdByRecordId.put(id, key);
    }
    record.fields().forEachRemaining(field -> contact.set(field.getKey(), field.getValue()));
    contacts.put(key, contact);
    writes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    ObjectNode result = Json.object();
    result.put("code", "SUCCESS");
    result.put("duplicate_field", existing == null ? null : "Customer_Id");
    result.put("action", action);
    result.putObject("details").put("id", contact.path("id").asText())
        .put("Modified_Time", "2026-12-06T10:31:43+05:30");
    result.put("message", existing == null ? "record added" : "record updated");
    result.put("status", "success");
    return result;
  }

  private static ObjectNode recordError(String code, String message, String field, int index) {
    ObjectNode error = Json.object();
    error.put("code", code);
    error.putObject("details").put("api_name", field).put("json_path", "$.data[" + index
        + "]." + field);
    error.put("message", message);
    error.put("status", "error");
    return error;
  }

  private Response tag(JsonNode body, boolean add) {
    JsonNode ids = body.path("ids");
    if (ids.size() > 500) {
      return error(400, "LIMIT_EXCEEDED", "at most 500 record ids per request");
    }
    if (body.path("tags").isEmpty()) {
      return error(400, "MANDATORY_NOT_FOUND", "required field not found");
    }
    ObjectNode answer = Json.object();
    ArrayNode results = answer.putArray("data");
    int success = 0;
    for (JsonNode idNode : ids) {
      String id = idNode.asText();
      String key = customerIdByRecordId.get(id);
      ObjectNode result = results.addObject();
      if (key == null) {
        result.put("code", "INVALID_DATA");
        result.putObject("details").put("id", id);
        result.put("message", "the id given seems to be invalid");
        result.put("status", "error");
        continue;
      }
      Set<String> own = tags.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
      ArrayNode tagList = Json.MAPPER.createArrayNode();
      for (JsonNode tag : body.path("tags")) {
        if (add) {
          own.add(tag.path("name").asText());
        } else {
          own.remove(tag.path("name").asText());
        }
      }
      own.forEach(name -> tagList.addObject().put("name", name));
      result.put("code", "SUCCESS");
      ObjectNode details = result.putObject("details");
      details.put("id", id);
      details.set("tags", tagList);
      result.put("message", "tags updated successfully");
      result.put("status", "success");
      success++;
    }
    answer.put("success_count", String.valueOf(success));
    answer.put("locked_count", "0");
    return Response.json(200, answer.toString());
  }

  @Override
  public void close() {
    server.close();
  }
}
