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
import dev.audiencesegmenter.io.secrets.Credential;
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
public class SalesforceConnectorTest {
  public static final String TOKEN = "00D5e000000abcd!AQ0AQsecretSalesforceToken";
  static final String PATH = "/services/data/v60.0/composite/sobjects/Contact/Customer_Id__c";

  /** sObject Collections upsert as the contract describes it. */
  public static final class FakeSalesforce {
    public final FakeVendorServer server;
    final Map<String, JsonNode> records = new ConcurrentHashMap<>();
    public final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    /** Bulk API 2.0 ingest jobs by id; injected faults per step. */
    final Map<String, BulkJob> jobs = new ConcurrentHashMap<>();
    final List<String> uploads = new CopyOnWriteArrayList<>();
    final AtomicInteger failUploads = new AtomicInteger();
    final AtomicInteger failPolls = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();

    static final class BulkJob {
      String state = "Open";
      String csv;
      int polls;
      int processed;
      final List<String> failedRows = new ArrayList<>();
      String header;
      String errorMessage;
    }

    public FakeSalesforce() throws Exception {
      server = new FakeVendorServer(this::handle);
    }

    static final java.util.regex.Pattern JOB = java.util.regex.Pattern.compile(
        "/services/data/v60.0/jobs/ingest(?:/(750[0-9A-Za-z]+))?(/batches|/failedResults/)?");

    Response handle(Request request) {
      if (!("Bearer " + TOKEN).equals(request.header("Authorization"))) {
        return Response.json(401, "[{\"message\":\"Session expired or invalid\","
            + "\"errorCode\":\"INVALID_SESSION_ID\"}]");
      }
      java.util.regex.Matcher job = JOB.matcher(request.path());
      if (job.matches()) {
        return bulk(request, job.group(1), job.group(2));
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

    /**
     * Bulk API 2.0 ingest as documented: create (Open), one CSV upload while Open [U: one per
     * job], PATCH UploadComplete (never processed without it), each GET moves UploadComplete
     * to InProgress to JobComplete (or Failed when the CSV has a column Bogus__c), and
     * failedResults/ lists failed rows with sf__Id and sf__Error before the input columns.
     */
    Response bulk(Request request, String id, String sub) {
      if (id == null) {
        JsonNode body = Json.parse(request.body());
        if (!request.method().equals("POST") || !"upsert".equals(body.path("operation").asText())
            || !"CSV".equals(body.path("contentType").asText())
            || !"Customer_Id__c".equals(body.path("externalIdFieldName").asText())
            || !"Contact".equals(body.path("object").asText())) {
          return Response.json(400, "[{\"errorCode\":\"INVALIDJOB\",\"message\":\"bad job "
              + "definition\"}]");
        }
        String jobId = "7505e00000" + (jobs.size() + 1) + "AbC";
        jobs.put(jobId, new BulkJob());
        return Response.json(200, "{\"id\":\"" + jobId + "\",\"operation\":\"upsert\","
            + "\"object\":\"Contact\",\"state\":\"Open\",\"contentType\":\"CSV\","
            + "\"lineEnding\":\"LF\",\"apiVersion\":60.0}");
      }
      BulkJob job = jobs.get(id);
      if (job == null) {
        return Response.json(404, "[{\"errorCode\":\"NOT_FOUND\",\"message\":\"job not "
            + "found\"}]");
      }
      synchronized (job) {
        if ("/batches".equals(sub)) {
          if (failUploads.getAndDecrement() > 0) {
            return Response.json(500, "[{\"errorCode\":\"UNKNOWN_EXCEPTION\",\"message\":"
                + "\"An unexpected error occurred\"}]");
          }
          if (!request.method().equals("PUT") || !"text/csv".equals(request.header(
              "Content-Type")) || !job.state.equals("Open") || job.csv != null) {
            return Response.json(400, "[{\"errorCode\":\"INVALIDJOBSTATE\",\"message\":"
                + "\"Job is not open for upload\"}]");
          }
          job.csv = request.body();
          uploads.add(request.body());
          return new Response(201, Map.of(), "");
        }
        if ("/failedResults/".equals(sub)) {
          StringBuilder csv = new StringBuilder("\"sf__Id\",\"sf__Error\"," + job.header
              + "\n");
          job.failedRows.forEach(row -> csv.append(row).append("\n"));
          return new Response(200, Map.of("Content-Type", "text/csv"), csv.toString());
        }
        if (request.method().equals("PATCH")) {
          String state = Json.parse(request.body()).path("state").asText();
          if (!state.equals("UploadComplete") || !job.state.equals("Open") || job.csv == null) {
            return Response.json(400, "[{\"errorCode\":\"INVALIDJOBSTATE\",\"message\":"
                + "\"cannot move from " + job.state + " to " + state + "\"}]");
          }
          closes.incrementAndGet();
          job.state = "UploadComplete";
          return Response.json(200, info(id, job));
        }
        if (failPolls.getAndDecrement() > 0) {
          return Response.json(503, "[{\"errorCode\":\"SERVER_UNAVAILABLE\",\"message\":"
              + "\"Server unavailable\"}]");
        }
        if (job.state.equals("UploadComplete")) {
          job.state = "InProgress";
        } else if (job.state.equals("InProgress")) {
          process(job);
        }
        return Response.json(200, info(id, job));
      }
    }

    private void process(BulkJob job) {
      try (org.apache.commons.csv.CSVParser parser = org.apache.commons.csv.CSVParser.parse(
          job.csv, org.apache.commons.csv.CSVFormat.RFC4180.builder().setHeader()
              .setSkipHeaderRecord(true).build())) {
        job.header = String.join(",", parser.getHeaderNames());
        if (parser.getHeaderNames().contains("Bogus__c")) {
          job.state = "Failed";
          job.errorMessage = "InvalidBatch : Field name not found : Bogus__c";
          return;
        }
        for (org.apache.commons.csv.CSVRecord row : parser) {
          String email = row.get("Email");
          if (email.contains("invalid")) {
            job.failedRows.add("\"\",\"INVALID_EMAIL_ADDRESS:Email: invalid email address: "
                + email + ":Email --\"," + String.join(",", row.toList()));
            continue;
          }
          ObjectNode record = Json.object();
          row.toMap().forEach(record::put);
          String external = row.get("Customer_Id__c");
          records.put(external, record);
          writes.computeIfAbsent(external, key -> new AtomicInteger()).incrementAndGet();
          job.processed++;
        }
        job.state = "JobComplete";
      } catch (java.io.IOException e) {
        job.state = "Failed";
        job.errorMessage = "unreadable CSV: " + e;
      }
    }

    private static String info(String id, BulkJob job) {
      return "{\"id\":\"" + id + "\",\"state\":\"" + job.state + "\",\"object\":\"Contact\","
          + "\"operation\":\"upsert\",\"numberRecordsProcessed\":" + (job.processed
          + job.failedRows.size()) + ",\"numberRecordsFailed\":" + job.failedRows.size()
          + (job.errorMessage == null ? "" : ",\"errorMessage\":\"" + job.errorMessage + "\"")
          + "}";
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

  SendContactUpdates bulkSink(SalesforceConnector.BulkMode mode, Map<String, String> fields) {
    return SalesforceConnector.create(Credential.of(TOKEN), salesforce.server.baseUrl(),
            "Contact", "Customer_Id__c")
        .withFieldMapping(fields).withBulk(mode, 2000)
        .withBulkPolling(Duration.ofMillis(5), 50).sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50)).withNumShards(1);
  }

  @Test
  void largeBatchesGoAsOneBulkJobSurvivingFaultsAndFailedRowsAreDeadLettered(
      TestPipeline pipeline) {
    salesforce.failUploads.set(1);
    salesforce.failPolls.set(2);
    salesforce.server.enqueue(Response.json(503, "[{\"message\":\"Server unavailable\","
        + "\"errorCode\":\"SERVER_UNAVAILABLE\"}]")); // the create call
    List<ContactUpdate> input = new ArrayList<>(contacts(2600));
    for (int i = 0; i < 3; i++) {
      input.add(contact("c-bad" + i, "invalid-" + i + "@example.com"));
    }
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(bulkSink(
        SalesforceConnector.BulkMode.AUTO, Map.of("monetary_total", "Lifetime_Value__c")));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "salesforceBulkDead");
    Queue<String> sent = collect(result.getSentKeys(), "salesforceBulkSent");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(1, salesforce.jobs.size(), "one job for the batch of 2603");
    assertEquals(1, salesforce.uploads.size());
    assertEquals(1, salesforce.closes.get());
    assertEquals(2600, salesforce.records.size());
    assertTrue(salesforce.writes.values().stream().allMatch(n -> n.get() == 1));
    assertEquals(2600, sent.size());
    assertTrue(salesforce.uploads.get(0).startsWith(
        "Customer_Id__c,Email,Lifetime_Value__c,Audience_Segments__c\n"),
        salesforce.uploads.get(0).substring(0, 80));
    JsonNode record = salesforce.records.get("c-0010");
    assertEquals("user-10@example.com", record.path("Email").asText());
    assertEquals("42.50", record.path("Lifetime_Value__c").asText());
    assertEquals("loyal_customers", record.path("Audience_Segments__c").asText());
    assertEquals(3, dead.size());
    for (DeadLetter letter : dead) {
      assertTrue(letter.getReason().startsWith("salesforce rejected the record: "
          + "INVALID_EMAIL_ADDRESS:Email: invalid email address: invalid-"), letter.getReason());
    }
    assertNoSecret(dead, TOKEN);
    assertEquals(4, counter(run, "sink.salesforce", "requests_retried"));
  }

  @Test
  void smallBatchesUseCollectionsInAutoMode(TestPipeline pipeline) {
    pipeline.apply(Create.of(contacts(150))).apply(bulkSink(SalesforceConnector.BulkMode.AUTO,
        Map.of()));
    pipeline.run().waitUntilFinish();
    assertTrue(salesforce.jobs.isEmpty());
    assertEquals(150, salesforce.records.size());
  }

  @Test
  void aFailedJobDeadLettersItsBatchWithTheJobsErrorMessage(TestPipeline pipeline) {
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(5))).apply(bulkSink(
        SalesforceConnector.BulkMode.ALWAYS, Map.of("monetary_total", "Bogus__c")));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "salesforceJobFailed");
    pipeline.run().waitUntilFinish();
    assertEquals(5, dead.size());
    assertTrue(dead.peek().getReason().contains("InvalidBatch : Field name not found : "
        + "Bogus__c"), dead.peek().getReason());
    assertTrue(salesforce.records.isEmpty());
  }

  @Test
  void bulkModeIsParsedNamingABadValue() {
    assertEquals(SalesforceConnector.BulkMode.ALWAYS,
        SalesforceConnector.BulkMode.parse("Always"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SalesforceConnector.BulkMode.parse("sometimes"));
    assertTrue(e.getMessage().contains("'sometimes'"));
    assertThrows(IllegalArgumentException.class, () -> SalesforceConnector.create(
        Credential.of(TOKEN), "https://x.my.salesforce.com", "Contact", "Id__c")
        .withBulk(SalesforceConnector.BulkMode.AUTO, 20_000));
  }
}
