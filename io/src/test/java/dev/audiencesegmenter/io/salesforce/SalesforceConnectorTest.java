package dev.audiencesegmenter.io.salesforce;

import static dev.audiencesegmenter.io.sink.SinkTesting.assertNoSecret;
import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static dev.audiencesegmenter.io.sink.SinkTesting.contact;
import static dev.audiencesegmenter.io.sink.SinkTesting.contacts;
import static dev.audiencesegmenter.io.sink.SinkTesting.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.Credential;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.model.DeadLetter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class SalesforceConnectorTest {
  static final String TOKEN = "00D5e000000abcd!AQ0AQsecretSalesforceToken";
  static final String PATH = "/services/data/v60.0/composite/sobjects/Contact/Customer_Id__c";

  /** sObject Collections upsert as the contract describes it. */
  static final class FakeSalesforce {
    final FakeVendorServer server;
    final Map<String, JsonNode> records = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    FakeSalesforce() throws Exception {
      server = new FakeVendorServer(this::handle);
    }

    Response handle(Request request) {
      if (!("Bearer " + TOKEN).equals(request.header("Authorization"))) {
        return Response.json(401, "[{\"message\":\"Session expired or invalid\","
            + "\"errorCode\":\"INVALID_SESSION_ID\"}]");
      }
      if (!request.path().equals(PATH) || !request.method().equals("PATCH")) {
        return Response.json(404, "[{\"errorCode\":\"NOT_FOUND\",\"message\":\"The requested "
            + "resource does not exist\"}]");
      }
      JsonNode body = Json.parse(request.body());
      JsonNode input = body.path("records");
      batchSizes.add(input.size());
      if (input.size() > 200) {
        return Response.json(400, "[{\"message\":\"Exceeded max size limit of 200\","
            + "\"errorCode\":\"EXCEEDED_ID_LIMIT\",\"fields\":[]}]");
      }
      ArrayNode results = Json.MAPPER.createArrayNode();
      for (JsonNode record : input) {
        ObjectNode result = results.addObject();
        if (!"Contact".equals(record.path("attributes").path("type").asText())) {
          result.put("success", false).putArray("errors").addObject()
              .put("statusCode", "INVALID_TYPE").put("message", "attributes.type missing");
          continue;
        }
        String email = record.path("Email").asText();
        if (email.contains("invalid")) {
          ObjectNode error = result.put("success", false).putArray("errors").addObject();
          error.put("statusCode", "INVALID_EMAIL_ADDRESS");
          error.put("message", "Email: invalid email address: " + email);
          error.putArray("fields").add("Email");
          continue;
        }
        String id = record.path("Customer_Id__c").asText();
        boolean created = records.put(id, record) == null;
        writes.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
        result.put("id", "003" + Math.abs(id.hashCode())).put("success", true)
            .put("created", created).putArray("errors");
      }
      return new Response(200, Map.of("Content-Type", "application/json",
          "Sforce-Limit-Info", "api-usage=18/5000"), results.toString());
    }
  }

  FakeSalesforce salesforce;

  @BeforeEach
  void start() throws Exception {
    salesforce = new FakeSalesforce();
  }

  @AfterEach
  void stop() {
    salesforce.server.close();
  }

  @Test
  void upsertsByExternalIdIn200sAndDeadLettersFailedRecords(TestPipeline pipeline) {
    salesforce.server.enqueue(Response.json(403, "[{\"message\":\"TotalRequests Limit "
        + "exceeded.\",\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\"}]"));
    salesforce.server.enqueue(Response.json(503, "[{\"message\":\"Server unavailable\","
        + "\"errorCode\":\"SERVER_UNAVAILABLE\"}]"));
    List<ContactUpdate> input = new ArrayList<>(contacts(450));
    input.add(contact("c-bad", "invalid@example.com"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(
        SalesforceConnector.create(Credential.of(TOKEN), salesforce.server.baseUrl(), "Contact",
                "Customer_Id__c")
            .withFieldMapping(Map.of("monetary_total", "Lifetime_Value__c")).sink()
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50)));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "salesforceDead1");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(450, salesforce.records.size());
    assertTrue(salesforce.writes.values().stream().allMatch(n -> n.get() == 1));
    assertTrue(salesforce.batchSizes.stream().allMatch(n -> n <= 200));
    JsonNode record = salesforce.records.get("c-0010");
    assertEquals("user-10@example.com", record.path("Email").asText());
    assertEquals("42.50", record.path("Lifetime_Value__c").asText());
    assertEquals("loyal_customers", record.path("Audience_Segments__c").asText());
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("INVALID_EMAIL_ADDRESS: Email: invalid email"),
        dead.peek().toString());
    assertNoSecret(dead, TOKEN);
    assertEquals(2, counter(run, "sink.salesforce", "requests_retried"));
    assertEquals(1, counter(run, "sink.salesforce", "requests_throttled"));
  }

  @Test
  void anExpiredTokenIsPermanentAndNamesSalesforcesCode(TestPipeline pipeline) {
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(3))).apply(
        SalesforceConnector.create(Credential.of("expired-token-value"),
            salesforce.server.baseUrl(), "Contact", "Customer_Id__c").sink().withNumShards(1));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "salesforceDead2");
    pipeline.run().waitUntilFinish();
    assertEquals(3, dead.size());
    assertTrue(dead.peek().getReason().contains("INVALID_SESSION_ID"), dead.peek().toString());
    assertNoSecret(dead, "expired-token-value");
    assertEquals(1, salesforce.server.requests().size());
  }

  @Test
  void namesAreCheckedAtConstruction() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SalesforceConnector.create(Credential.of(TOKEN), "https://x.my.salesforce.com",
            "Contact; DROP", "Customer_Id__c"));
    assertTrue(e.getMessage().contains("Contact; DROP"));
  }
}
