package dev.audiencesegmenter.io.sink;

import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static dev.audiencesegmenter.io.sink.SinkTesting.contacts;
import static dev.audiencesegmenter.io.sink.SinkTesting.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.model.DeadLetter;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared core, through a minimal vendor: {@code POST /contacts} with {@code items[]}. */
@ExtendWith(TestPipelineExtension.class)
class SendContactUpdatesTest {
  static final String SECRET = "core-test-secret-7e2a";

  /** 10 items per request, keyed by key; an email platform when asked. */
  static final class EchoConnector implements VendorConnector {
    private final String baseUrl;
    private final boolean emailPlatform;

    EchoConnector(String baseUrl, boolean emailPlatform) {
      this.baseUrl = baseUrl;
      this.emailPlatform = emailPlatform;
    }

    @Override
    public String vendor() {
      return "echo";
    }

    @Override
    public String account() {
      return baseUrl;
    }

    @Override
    public int maxRecordsPerRequest() {
      return 10;
    }

    @Override
    public long maxBytesPerRequest() {
      return 2_000;
    }

    @Override
    public boolean isEmailPlatform() {
      return emailPlatform;
    }

    @Override
    public Credential credential() {
      return Credential.of(SECRET);
    }

    @Override
    public @Nullable String rejectionReason(ContactUpdate update) {
      return null;
    }

    @Override
    public long recordBytes(ContactUpdate update) {
      return update.toJson().length();
    }

    @Override
    public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
      ObjectNode body = Json.object();
      ArrayNode items = body.putArray("items");
      batch.forEach(update -> items.add(Json.parse(update.toJson())));
      return List.of(VendorCall.of("POST", URI.create(baseUrl + "/contacts"), body.toString(),
          batch).withSecretHeader("X-Api-Key", secret));
    }

    @Override
    public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers,
        String body) {
      if (status == 422) { // the whole batch refused for some item in it, not named
        return CallOutcome.refusedForRecords("HTTP 422: " + HttpStatusRules.vendorMessage(body),
            Map.of());
      }
      return HttpStatusRules.classify(status, headers, body);
    }
  }

  FakeVendorServer server;
  final Map<String, JsonNode> received = new ConcurrentHashMap<>();
  final AtomicInteger calls = new AtomicInteger();
  final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
  volatile long slowFirstCallMillis;

  @BeforeEach
  void start() throws Exception {
    server = new FakeVendorServer(request -> {
      if (calls.incrementAndGet() == 1 && slowFirstCallMillis > 0) {
        try {
          Thread.sleep(slowFirstCallMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (!SECRET.equals(request.header("X-Api-Key"))) {
        return Response.json(401, "{\"message\":\"bad key\"}");
      }
      for (JsonNode item : Json.parse(request.body()).path("items")) {
        if (item.path("email").asText().startsWith("malformed")) {
          // validated as a whole: one bad item and nothing is stored
          return Response.json(422, "{\"message\":\"items contain an invalid email\"}");
        }
      }
      for (JsonNode item : Json.parse(request.body()).path("items")) {
        received.put(item.path("key").asText(), item);
        writes.computeIfAbsent(item.path("key").asText(), k -> new AtomicInteger())
            .incrementAndGet();
      }
      return Response.json(200, "{}");
    });
  }

  @AfterEach
  void stop() {
    server.close();
  }

  SendContactUpdates sink(boolean emailPlatform) {
    return SendContactUpdates.to(new EchoConnector(server.baseUrl(), emailPlatform))
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(40));
  }

  @Test
  void hashedIdentifiersAreSha256OfTheNormalizedValues(TestPipeline pipeline) {
    ContactUpdate update = ContactUpdate.builder("k").setEmail("  Ann.Lee@Example.COM ")
        .setPhone("+1 (415) 555-0132").setEmailConsent(true).build();
    pipeline.apply(Create.of(List.of(update))).apply(sink(true).withHashedIdentifiers(true));
    pipeline.run().waitUntilFinish();
    JsonNode item = received.get("k");
    assertEquals(SendContactUpdates.sha256Hex("ann.lee@example.com"), item.path("email")
        .asText());
    assertEquals(SendContactUpdates.sha256Hex("+14155550132"), item.path("phone").asText());
    assertEquals("b2b4a7bb8fe7b6ad4d3a1b8bfb0a5b4d9e6c8e8d41b1c0ad3e0e8fbd3b3f62a9".length(),
        item.path("email").asText().length());
  }

  /**
   * A platform that takes no SMS withdrawals (the default) dead-letters one rather than
   * dropping it, so the state never records an SMS unsubscribe nobody delivered; nothing about
   * the customer is sent.
   */
  @Test
  void anSmsWithdrawalToAPlatformWithoutSmsIsDeadLetteredNotSent(TestPipeline pipeline) {
    SendContactUpdates.Result result = pipeline
        .apply(Create.of(List.of(ContactUpdate.smsWithdrawal("k", "+15550100001"))))
        .apply(sink(true));
    java.util.Queue<dev.audiencesegmenter.model.DeadLetter> dead =
        SinkTesting.collect(result.getDeadLetters(), "sms-dead");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(List.of(), server.requests());
    assertEquals(1, dead.size(), dead.toString());
    assertEquals("echo takes no SMS withdrawals: the SMS unsubscribe was not sent",
        dead.peek().getReason());
    assertEquals(0, counter(run, "sink.echo", "records_sms_withdrawn"));
  }

  /** The same for push: a platform without push withdrawals dead-letters one, sends nothing. */
  @Test
  void aPushWithdrawalToAPlatformWithoutPushIsDeadLetteredNotSent(TestPipeline pipeline) {
    SendContactUpdates.Result result = pipeline
        .apply(Create.of(List.of(ContactUpdate.pushWithdrawal("k"))))
        .apply(sink(true));
    java.util.Queue<dev.audiencesegmenter.model.DeadLetter> dead =
        SinkTesting.collect(result.getDeadLetters(), "push-dead");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(List.of(), server.requests());
    assertEquals(1, dead.size(), dead.toString());
    assertEquals("echo takes no push withdrawals: the push unsubscribe was not sent",
        dead.peek().getReason());
    assertEquals(0, counter(run, "sink.echo", "records_push_withdrawn"));
  }

  @Test
  void requestsNeverExceedTheCountOrByteLimits(TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(95));
    PipelineResult run;
    pipeline.apply(Create.of(input)).apply(sink(false).withNumShards(2));
    run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(95, received.size());
    for (Request request : server.requests()) {
      assertTrue(Json.parse(request.body()).path("items").size() <= 10);
    }
    // about 280 bytes a record against 2,000 bytes: 7 a request at most
    assertTrue(server.requests().stream().allMatch(r -> Json.parse(r.body()).path("items")
        .size() <= 7), "byte limit ignored");
    assertEquals(95, counter(run, "sink.echo", "records_sent"));
  }

  @Test
  void aTimedOutRequestIsRetried(TestPipeline pipeline) {
    slowFirstCallMillis = 1_500;
    PipelineResult run;
    pipeline.apply(Create.of(contacts(3)))
        .apply(sink(false).withNumShards(1).withRequestTimeout(Duration.ofMillis(500)));
    run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(3, received.size());
    assertEquals(1, counter(run, "sink.echo", "requests_retried"));
  }

  @Test
  void worksOnAnUnboundedStream(TestPipeline pipeline) throws Exception {
    List<ContactUpdate> all = contacts(25);
    TestStream<ContactUpdate> stream = TestStream.create(
            pipeline.getSchemaRegistry().getSchemaCoder(ContactUpdate.class))
        .addElements(all.get(0), all.subList(1, 12).toArray(new ContactUpdate[0]))
        .advanceWatermarkTo(Instant.EPOCH.plus(org.joda.time.Duration.standardMinutes(1)))
        .addElements(all.get(12), all.subList(13, 25).toArray(new ContactUpdate[0]))
        .advanceWatermarkToInfinity();
    pipeline.apply(stream).apply(sink(false).withNumShards(2));
    pipeline.run().waitUntilFinish();
    assertEquals(25, received.size());
  }

  @Test
  void retryAfterIsReadAsSecondsOrAnHttpDate() {
    assertEquals(Duration.ofSeconds(3), HttpStatusRules.parseRetryAfter("3"));
    String inFiveSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(5));
    Duration wait = HttpStatusRules.parseRetryAfter(inFiveSeconds);
    assertTrue(wait.toMillis() > 3_000 && wait.toMillis() <= 5_000, wait.toString());
    assertNull(HttpStatusRules.parseRetryAfter("soon"));
    HttpHeaders hubspot = HttpHeaders.of(Map.of("X-HubSpot-RateLimit-Remaining", List.of("0"),
        "X-HubSpot-RateLimit-Interval-Milliseconds", List.of("10000")), (a, b) -> true);
    assertEquals(Duration.ofSeconds(10), HttpStatusRules.requestedDelay(hubspot).orElseThrow());
    HttpHeaders klaviyo = HttpHeaders.of(Map.of("RateLimit-Reset", List.of("7")),
        (a, b) -> true);
    assertEquals(Duration.ofSeconds(7), HttpStatusRules.requestedDelay(klaviyo).orElseThrow());
  }

  @Test
  void theBackoffGrowsWithJitterAndNeverUndercutsRetryAfter() {
    SendBatches send = new SendBatches(
        SendContactUpdates.to(new EchoConnector("http://localhost", false))
            .withBackoff(Duration.ofMillis(100), Duration.ofMillis(1_000)), "step");
    for (int i = 0; i < 50; i++) {
      long first = send.delay(null, 1).toMillis();
      assertTrue(first >= 50 && first <= 100, "first " + first);
      long fourth = send.delay(null, 4).toMillis();
      assertTrue(fourth >= 400 && fourth <= 800, "fourth " + fourth);
      long capped = send.delay(null, 30).toMillis();
      assertTrue(capped >= 500 && capped <= 1_000, "capped " + capped);
      long asked = send.delay(CallOutcome.retry("x", Duration.ofSeconds(3), true), 1).toMillis();
      assertTrue(asked >= 3_000, "retry-after " + asked);
    }
  }

  @Test
  void redactionRemovesTheSecretAndItsBasicAuthForms() {
    String basic = Base64.getEncoder().encodeToString(("anystring:" + SECRET)
        .getBytes(StandardCharsets.UTF_8));
    String text = "failed with key " + SECRET + " header Basic " + basic;
    String redacted = Credential.of(SECRET).redact(text);
    assertFalse(redacted.contains(SECRET));
    assertFalse(redacted.contains(basic));
    assertEquals("failed with key **** header Basic ****", redacted);
  }

  @Test
  void deadLettersCarryTheRecordButNeverTheSecret(TestPipeline pipeline) {
    server.enqueue(Response.json(400, "{\"message\":\"your key " + SECRET + " is wrong\"}"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(contacts(1)))
        .apply(sink(false));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "coreDead1");
    pipeline.run().waitUntilFinish();
    assertEquals(1, dead.size());
    assertEquals("echo refused the request: HTTP 400: your key **** is wrong",
        dead.peek().getReason());
    assertEquals("Send to echo", dead.peek().getStep());
    assertTrue(dead.peek().getRecord().contains("\"key\":\"c-0000\""));
    assertEquals(Set.of(), received.keySet());
  }

  /**
   * A vendor that refuses a whole batch for one bad record, without saying which: the sink
   * halves the refused batches until each bad record stands alone, so only the two bad records
   * are dead-lettered and every other one is stored once, in the same run.
   */
  @Test
  void aBatchRefusedForABadRecordIsSplitUntilOnlyThatRecordIsLost(TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(100));
    input.set(3, SinkTesting.contact("c-0003", "malformed-3@example"));
    input.set(57, SinkTesting.contact("c-0057", "malformed-57@example"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink(false).withNumShards(1));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "splitDead");
    Queue<String> sent = collect(result.getSentKeys(), "splitSent");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    assertEquals(Set.of("c-0003", "c-0057"), Set.copyOf(dead.stream()
        .map(letter -> Json.parse(letter.getRecord()).path("key").asText()).toList()));
    for (DeadLetter letter : dead) {
      assertEquals("echo rejected the record: HTTP 422: items contain an invalid email",
          letter.getReason());
    }
    assertEquals(98, sent.size());
    assertEquals(98, writes.size());
    writes.forEach((key, count) -> assertEquals(1, count.get(), key + " stored twice"));
    // each of the two refused requests (at most ten records, fewer when the byte limit cuts
    // first) is halved down to its bad record: two requests per level of a descent such as
    // 10 -> 5 -> 3 -> 2 -> 1, so at most 2 x 4 per bad record, and nothing else is resent
    long split = counter(run, "sink.echo", "requests_split");
    assertTrue(split >= 2 * 2 && split <= 2 * 2 * 4, "requests sent again: " + split);
    long firstRound = counter(run, "sink.echo", "requests_sent") - split;
    assertTrue(firstRound >= 10 && firstRound <= 25, "requests: " + firstRound);
    assertEquals(firstRound + split, server.requests().size());
  }
}
