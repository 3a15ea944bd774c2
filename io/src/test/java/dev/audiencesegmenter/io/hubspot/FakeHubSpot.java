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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HubSpot's contacts batch upsert as the contract describes it: Bearer auth, at most 100
 * inputs (more is a 400), upsert by email, and per-contact validation errors: an email with
 * "invalid" in it is refused with {@code errors[]} naming it in {@code context.ids}, answered
 * with 207 (or 200 when {@code partialAs200}).
 */
final class FakeHubSpot implements AutoCloseable {
  final FakeVendorServer server;
  final Map<String, JsonNode> contacts = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> writesPerEmail = new ConcurrentHashMap<>();
  final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  private final String token;
  volatile boolean partialAs200;

  FakeHubSpot(String token) throws IOException {
    this.token = token;
    this.server = new FakeVendorServer(this::handle);
  }

  private Response handle(Request request) {
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

  String baseUrl() {
    return server.baseUrl();
  }

  @Override
  public void close() {
    server.close();
  }
}
