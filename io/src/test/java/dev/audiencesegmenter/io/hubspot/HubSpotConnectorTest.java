package dev.audiencesegmenter.io.hubspot;

import static dev.audiencesegmenter.io.sink.SinkTesting.assertNoSecret;
import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static dev.audiencesegmenter.io.sink.SinkTesting.contact;
import static dev.audiencesegmenter.io.sink.SinkTesting.contacts;
import static dev.audiencesegmenter.io.sink.SinkTesting.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.model.DeadLetter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class HubSpotConnectorTest {
  static final String TOKEN = "pat-na1-0f3c9a77-secret-token-4711";
  static final String NS = "sink.hubspot";

  FakeHubSpot hubspot;

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(TOKEN);
  }

  @AfterEach
  void stop() {
    hubspot.close();
  }

  SendContactUpdates sink(String account) {
    return HubSpotConnector.create(Credential.of(TOKEN))
        .withBaseUrl(hubspot.baseUrl())
        .withAccount(account)
        .withPropertyMapping(Map.of("monetary_total", "lifetime_value"))
        .sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  @Test
  void sendsEveryContactOnceWithinTheBatchLimitRetryingAndHonouringRetryAfter(
      TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(247));
    input.add(contact("c-bad1", "invalid-1@example.com"));
    input.add(contact("c-bad2", "invalid-2@example.com"));
    input.add(contact("c-bad3", "invalid-3@example.com"));
    hubspot.server.enqueue(Response.json(503, "{\"message\":\"Service unavailable\"}"));
    hubspot.server.enqueue(new Response(429, Map.of("Retry-After", "1",
        "Content-Type", "application/json"), "{\"status\":\"error\",\"message\":\"You have "
        + "reached your ten_secondly_rolling limit.\",\"errorType\":\"RATE_LIMIT\","
        + "\"policyName\":\"TEN_SECONDLY_ROLLING\"}"));

    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink("retries"));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDead1");
    Queue<String> sent = collect(result.getSentKeys(), "hubspotSent1");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    // nothing lost, nothing written twice
    assertEquals(247, hubspot.contacts.size());
    assertTrue(hubspot.writesPerEmail.values().stream().allMatch(n -> n.get() == 1),
        "a contact was written twice: " + hubspot.writesPerEmail);
    assertEquals(247, sent.size());
    assertEquals(247, Stream.of(sent.toArray()).distinct().count());
    assertTrue(hubspot.batchSizes.stream().allMatch(size -> size <= 100), hubspot.batchSizes
        .toString());
    // mapping
    assertEquals("42.50", hubspot.contacts.get("user-5@example.com").path("lifetime_value")
        .asText());
    assertEquals("loyal_customers", hubspot.contacts.get("user-5@example.com")
        .path("audience_segments").asText());
    // rejected records, with HubSpot's message and no secret
    assertEquals(3, dead.size());
    for (DeadLetter letter : dead) {
      assertTrue(letter.getReason().contains("Property values were not valid"), letter
          .toString());
      assertTrue(letter.getRecord().contains("invalid-"), letter.toString());
    }
    assertNoSecret(dead, TOKEN);
    // the 429 asked for 1 s: the same body came back no sooner
    List<Request> requests = hubspot.server.requests();
    Request throttled = requests.get(1);
    Request again = requests.stream().skip(2).filter(r -> r.body().equals(throttled.body()))
        .findFirst().orElseThrow();
    long waitedMillis = (again.receivedNanos() - throttled.receivedNanos()) / 1_000_000;
    assertTrue(waitedMillis >= 1000, "retried after " + waitedMillis + " ms");
    assertEquals(2, counter(run, NS, "requests_retried"));
    assertEquals(1, counter(run, NS, "requests_throttled"));
    assertEquals(247, counter(run, NS, "records_sent"));
    assertEquals(3, counter(run, NS, "records_rejected"));
  }

  @Test
  void partialFailureAnsweredWith200AndErrorsIsReadTheSameWay(TestPipeline pipeline) {
    hubspot.partialAs200 = true;
    List<ContactUpdate> input = new ArrayList<>(contacts(5));
    input.add(contact("c-bad", "invalid@example.com"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink("p200"));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDead2");
    pipeline.run().waitUntilFinish();
    assertEquals(5, hubspot.contacts.size());
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("VALIDATION_ERROR"), dead.peek().toString());
  }

  @Test
  void wrongTokenDeadLettersEverythingWithoutShowingTheToken(TestPipeline pipeline) {
    SendContactUpdates sink = HubSpotConnector.create(Credential.of(TOKEN + "-wrong"))
        .withBaseUrl(hubspot.baseUrl()).withAccount("auth").sink().withNumShards(1)
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(3))).apply(sink);
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDead3");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(3, dead.size());
    assertTrue(dead.peek().getReason().contains("HTTP 401"), dead.peek().toString());
    assertTrue(dead.peek().getReason().contains("Authentication credentials not found"));
    assertNoSecret(dead, TOKEN);
    assertEquals(1, hubspot.server.requests().size(), "a 401 is not retried");
    assertEquals(0, counter(run, NS, "requests_retried"));
  }

  @Test
  void dailyLimitIsNotWaitedForAndPersistent5xxGivesUp(TestPipeline pipeline) {
    hubspot.server.enqueue(Response.json(429, "{\"status\":\"error\",\"message\":\"You have "
        + "reached your daily limit.\",\"errorType\":\"RATE_LIMIT\",\"policyName\":\"DAILY\"}"));
    long started = System.nanoTime();
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(2)))
        .apply(sink("daily").withNumShards(1));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDead4");
    pipeline.run().waitUntilFinish();
    assertTrue((System.nanoTime() - started) / 1_000_000_000 < 15);
    assertEquals(2, dead.size());
    assertTrue(dead.peek().getReason().contains("daily limit"), dead.peek().toString());
    assertEquals(1, hubspot.server.requests().size());
  }

  @Test
  void givesUpAfterMaxRetriesAndDeadLetters(TestPipeline pipeline) {
    for (int i = 0; i < 3; i++) {
      hubspot.server.enqueue(Response.json(502, "{\"message\":\"Bad gateway\"}"));
    }
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(2)))
        .apply(sink("giveup").withNumShards(1).withMaxRetries(2));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDead5");
    pipeline.run().waitUntilFinish();
    assertEquals(2, dead.size());
    assertTrue(dead.peek().getReason().contains("gave up after 3 attempts"),
        dead.peek().toString());
    assertTrue(dead.peek().getReason().contains("Bad gateway"));
    assertEquals(3, hubspot.server.requests().size());
    assertTrue(hubspot.contacts.isEmpty());
  }

  @Test
  void dryRunWritesTheRequestsAndCallsNothing(TestPipeline pipeline, @TempDir Path dir)
      throws Exception {
    pipeline.apply(Create.of(contacts(150)))
        .apply(sink("dry").withDryRunDirectory(dir.toString()));
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertTrue(hubspot.server.requests().isEmpty());
    List<String> lines;
    try (Stream<Path> files = Files.list(dir)) {
      lines = files.filter(file -> file.getFileName().toString().startsWith("hubspot-requests"))
          .flatMap(file -> {
            try {
              return Files.readAllLines(file).stream();
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          }).collect(Collectors.toList());
    }
    assertFalse(lines.isEmpty());
    String all = String.join("\n", lines);
    assertTrue(all.contains("/crm/v3/objects/contacts/batch/upsert"), all);
    assertTrue(all.contains("user-149@example.com"));
    assertTrue(all.contains("\"Authorization\":\"****\""), all);
    assertFalse(all.contains(TOKEN));
    assertEquals(150, counter(run, NS, "records_dry_run"));
  }

  @Test
  void concurrencyStaysWithinTheBound(TestPipeline pipeline) throws Exception {
    hubspot.server.latencyMillis = 20;
    pipeline.apply(Create.of(contacts(1000)))
        .apply(sink("concurrency").withNumShards(8).withMaxConcurrentRequests(2)
            .withMaxRequestsPerSecond(1000));
    pipeline.run().waitUntilFinish();
    assertEquals(1000, hubspot.contacts.size());
    assertTrue(hubspot.server.maxConcurrentRequests() <= 2,
        "in flight: " + hubspot.server.maxConcurrentRequests());
  }

  @Test
  void theFakeRefusesOversizeBatchesAsHubSpotDoes() throws Exception {
    StringBuilder body = new StringBuilder("{\"inputs\":[");
    for (int i = 0; i < 101; i++) {
      body.append(i == 0 ? "" : ",").append("{\"idProperty\":\"email\",\"id\":\"u").append(i)
          .append("@x.com\",\"properties\":{}}");
    }
    body.append("]}");
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(hubspot.baseUrl() + HubSpotConnector.UPSERT_PATH))
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, response.statusCode());
    assertTrue(response.body().contains("limit exceeded"));
  }

  @Test
  void secretsStayOutOfToStringAndDisplayData() {
    HubSpotConnector connector = HubSpotConnector.create(Credential.of(TOKEN));
    SendContactUpdates sink = connector.sink();
    assertFalse(connector.toString().contains(TOKEN));
    assertFalse(sink.toString().contains(TOKEN));
    assertFalse(Credential.of(TOKEN).toString().contains(TOKEN));
    for (DisplayData.Item item : DisplayData.from(sink).items()) {
      assertFalse(String.valueOf(item.getValue()).contains(TOKEN), item.toString());
    }
    assertEquals("fix **** now", Credential.of(TOKEN).redact("fix " + TOKEN + " now"));
  }

  @Test
  void badConfigurationIsRefusedNamingTheValue() {
    IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
        () -> HubSpotConnector.create(Credential.of(TOKEN)).withBaseUrl("ftp://hub"));
    assertTrue(url.getMessage().contains("ftp://hub"));
    assertThrows(IllegalArgumentException.class, () -> Credential.of(" "));
    IllegalArgumentException shards = assertThrows(IllegalArgumentException.class,
        () -> HubSpotConnector.create(Credential.of(TOKEN)).sink().withNumShards(0));
    assertTrue(shards.getMessage().contains("0"));
    IllegalStateException env = assertThrows(IllegalStateException.class,
        () -> Credential.fromEnvironment("AUDIENCE_SEGMENTER_SURELY_UNSET_VAR").reveal());
    assertTrue(env.getMessage().contains("AUDIENCE_SEGMENTER_SURELY_UNSET_VAR"));
  }

  @Test
  void contactsWithoutEmailAreDeadLetteredBeforeSending(TestPipeline pipeline) {
    ContactUpdate noEmail = ContactUpdate.builder("c-x").build();
    SendContactUpdates.Result result = pipeline.apply(Create.of(List.of(noEmail)))
        .apply(sink("noemail"));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDead6");
    pipeline.run().waitUntilFinish();
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("no email"));
    assertTrue(hubspot.server.requests().isEmpty());
  }

  @Test
  void segmentListsGetEnteredContactsAddedAndExitedOnesRemovedSurviving5xx(
      TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(120)); // all entered loyal_customers
    input.add(contact("c-left", "left@example.com").toBuilder().setSegmentsCurrent(List.of())
        .setSegmentsEntered(List.of()).setSegmentsExited(List.of("loyal_customers")).build());
    input.add(contact("c-bad", "invalid-9@example.com"));
    hubspot.lists.computeIfAbsent("777", key -> java.util.concurrent.ConcurrentHashMap
        .newKeySet()).add("left@example.com");
    SendContactUpdates sink = HubSpotConnector.create(Credential.of(TOKEN))
        .withBaseUrl(hubspot.baseUrl()).withAccount("lists")
        .withSegmentLists(Map.of("loyal_customers", "777", "vip", "888"))
        .sink().withNumShards(2).withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
    hubspot.server.enqueue(Response.json(503, "{\"message\":\"Service unavailable\"}"));
    hubspot.server.enqueue(Response.json(502, "{\"message\":\"Bad gateway\"}"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink);
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDeadLists");
    Queue<String> sent = collect(result.getSentKeys(), "hubspotSentLists");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    Set<String> expected = new java.util.TreeSet<>();
    for (int i = 0; i < 120; i++) {
      expected.add("user-" + i + "@example.com");
    }
    assertEquals(expected, new java.util.TreeSet<>(hubspot.lists.get("777")),
        "entered contacts added, left@ removed, the rejected one never added");
    assertTrue(hubspot.lists.getOrDefault("888", Set.of()).isEmpty());
    // every change arrived once although two requests failed with 5xx
    assertEquals(121, hubspot.membershipChanges.size());
    assertEquals(1, hubspot.membershipChanges.stream()
        .filter(c -> c.equals("remove:777:left@example.com")).count());
    assertEquals(2, counter(run, NS, "requests_retried"));
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("Property values were not valid"));
    assertEquals(121, sent.size());
  }

  @Test
  void unknownListDeadLettersTheContactsWithHubSpotsMessage(TestPipeline pipeline) {
    SendContactUpdates sink = HubSpotConnector.create(Credential.of(TOKEN))
        .withBaseUrl(hubspot.baseUrl()).withAccount("nolist")
        .withSegmentLists(Map.of("loyal_customers", "404000"))
        .sink().withNumShards(1).withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(3))).apply(sink);
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "hubspotDeadNoList");
    pipeline.run().waitUntilFinish();
    assertEquals(3, dead.size());
    assertTrue(dead.peek().getReason().contains("List 404000 does not exist"),
        dead.peek().toString());
    assertEquals(3, hubspot.contacts.size(), "the upsert itself went through");
    assertThrows(IllegalArgumentException.class, () -> HubSpotConnector
        .create(Credential.of(TOKEN)).withSegmentLists(Map.of("vip", "abc")));
  }
}
