package dev.audiencesegmenter.io.klaviyo;

import static dev.audiencesegmenter.io.sink.SinkTesting.assertNoSecret;
import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static dev.audiencesegmenter.io.sink.SinkTesting.contacts;
import static dev.audiencesegmenter.io.sink.SinkTesting.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.model.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class KlaviyoConnectorTest {
  static final String KEY = "pk_live_klaviyo_secret_9f8e7d";
  static final String NS = "sink.klaviyo";

  FakeKlaviyo klaviyo;

  @BeforeEach
  void start() throws Exception {
    klaviyo = new FakeKlaviyo(KEY);
  }

  @AfterEach
  void stop() {
    klaviyo.server.close();
  }

  SendContactUpdates sink() {
    return KlaviyoConnector.create(Credential.of(KEY)).withBaseUrl(klaviyo.server.baseUrl())
        .withListId("Y6nRLr").withPropertyMapping(Map.of("monetary_total", "ltv"))
        .withJobPolling(Duration.ofMillis(5), 100).sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  @Test
  void jobsArePolledSoonThenLessOftenUpToTheInterval() {
    // Small imports finish within seconds: waiting the whole interval before every poll cost
    // 15 s per job that completes on its third poll.
    KlaviyoConnector connector = KlaviyoConnector.create(Credential.of(KEY));
    List<Duration> delays = new ArrayList<>();
    for (int poll = 0; poll < 8; poll++) {
      delays.add(connector.pollDelay(poll));
    }
    assertEquals(List.of(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5),
        Duration.ofSeconds(5), Duration.ofSeconds(5)), delays);
    assertEquals(Duration.ofSeconds(5), connector.pollDelay(700));
    KlaviyoConnector quick = connector.withJobPolling(Duration.ofMillis(100), 10);
    assertEquals(Duration.ofMillis(100), quick.pollDelay(0));
    assertEquals(Duration.ofMillis(100), quick.pollDelay(5));
  }

  @Test
  void importsInJobsWithin5MegabytesHonouringRetryAfter(TestPipeline pipeline) {
    klaviyo.server.enqueue(new Response(429, Map.of("Retry-After", "1"),
        "{\"errors\":[{\"code\":\"throttled\",\"detail\":\"Request was throttled.\"}]}"));
    // 600 profiles of about 10 kB: 6 MB, so at least two jobs by size alone
    String notes = "n".repeat(10_000);
    List<ContactUpdate> input = new ArrayList<>();
    for (ContactUpdate contact : contacts(600)) {
      input.add(contact.toBuilder().setFields(Map.of("monetary_total", "42.50", "notes", notes))
          .build());
    }
    pipeline.apply(Create.of(input)).apply(KlaviyoConnector.create(Credential.of(KEY))
        .withBaseUrl(klaviyo.server.baseUrl()).withListId("Y6nRLr")
        .withPropertyMapping(Map.of("monetary_total", "ltv", "notes", "notes"))
        .withJobPolling(Duration.ofMillis(5), 100).sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50)).withNumShards(1));
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(600, klaviyo.profiles.size());
    assertTrue(klaviyo.jobSizes.size() >= 2, klaviyo.jobSizes.toString());
    assertTrue(klaviyo.server.requests().stream()
        .allMatch(r -> r.body().getBytes(StandardCharsets.UTF_8).length <= 5_000_000));
    assertTrue(klaviyo.importsPerProfile.values().stream().allMatch(n -> n.get() == 1));
    assertTrue(klaviyo.jobSizes.stream().allMatch(n -> n <= 10_000), klaviyo.jobSizes
        .toString());
    List<Request> requests = klaviyo.server.requests();
    Request again = requests.stream().skip(1)
        .filter(r -> r.body().equals(requests.get(0).body())).findFirst().orElseThrow();
    assertTrue((again.receivedNanos() - requests.get(0).receivedNanos()) >= 1_000_000_000L);
    assertEquals("2024-10-15", requests.get(0).header("revision"));
    JsonNode profile = klaviyo.profiles.get("c-0042");
    assertEquals("user-42@example.com", profile.path("email").asText());
    assertEquals("42.50", profile.path("properties").path("ltv").asText());
    assertEquals("loyal_customers", profile.path("properties").path("audience_segments").path(0)
        .asText());
    assertEquals(1, counter(run, NS, "requests_throttled"));
  }

  @Test
  void onlyConsentingProfilesJoinTheListAndRequestErrorsAreDeadLettered(
      TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>();
    input.add(ContactUpdate.builder("ok").setEmail("ok@example.com").setEmailConsent(true)
        .setSegmentsCurrent(List.of("vip")).build());
    input.add(ContactUpdate.builder("exit").setEmail("exit@example.com")
        .setSegmentsExited(List.of("vip")).build());
    input.add(ContactUpdate.builder("silent").setEmail("silent@example.com")
        .setSegmentsCurrent(List.of("vip")).build());
    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink().withNumShards(1));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "klaviyoDead1");
    pipeline.run().waitUntilFinish();
    assertTrue(dead.isEmpty(), dead.toString());
    assertEquals("Y6nRLr", klaviyo.listOfProfile.get("ok"));
    assertFalse(klaviyo.listOfProfile.containsKey("exit"));
    assertFalse(klaviyo.profiles.containsKey("exit"), "no import for a contact without consent");
    assertFalse(klaviyo.profiles.containsKey("silent"));
    assertEquals(java.util.Set.of("exit@example.com", "silent@example.com"),
        java.util.Set.copyOf(klaviyo.unsubscribedEmails));
  }

  @Test
  void aRefusedJobIsDeadLetteredWithKlaviyosDetail(TestPipeline pipeline) {
    List<ContactUpdate> input = List.of(ContactUpdate.builder("x").setEmail(
        "bad-request@example.com").setEmailConsent(true).build());
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink());
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "klaviyoDead2");
    pipeline.run().waitUntilFinish();
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("Invalid email address"), dead.peek()
        .toString());
    assertNoSecret(dead, KEY);
  }

  @Test
  void jobsArePolledToTheEndAndFailedProfilesDeadLetteredWithKlaviyosDetail(
      TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(250));
    for (int i = 0; i < 3; i++) {
      input.add(dev.audiencesegmenter.io.sink.SinkTesting.contact("c-rej" + i,
          "reject-" + i + "@example.com"));
    }
    klaviyo.server.enqueue(Response.json(503, "{\"errors\":[{\"detail\":\"busy\"}]}"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink().withNumShards(1));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "klaviyoDeadJob");
    Queue<String> sent = collect(result.getSentKeys(), "klaviyoSentJob");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertEquals(250, sent.size());
    assertEquals(250, klaviyo.profiles.size());
    assertEquals(3, dead.size());
    for (DeadLetter letter : dead) {
      assertTrue(letter.getReason().startsWith("klaviyo rejected the record: invalid Invalid "
          + "email address: reject-"), letter.getReason());
    }
    assertEquals(3, klaviyo.polls.get(), "queued, processing, complete");
    assertNoSecret(dead, KEY);
  }

  @Test
  void segmentListsGetEnteredProfilesAddedAndExitedOnesRemoved(TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(230)); // entered loyal_customers
    input.add(ContactUpdate.builder("gone").setEmail("gone@example.com")
        .setSegmentsExited(List.of("loyal_customers")).setExitOnly(true).build()); // left input
    klaviyo.profiles.put("gone", dev.audiencesegmenter.io.sink.Json.parse(
        "{\"external_id\":\"gone\",\"email\":\"gone@example.com\",\"properties\":"
            + "{\"audience_segments\":[\"loyal_customers\"]}}"));
    input.add(ContactUpdate.builder("left").setEmail("left@example.com").setEmailConsent(true)
        .setSegmentsExited(List.of("loyal_customers")).build());
    SendContactUpdates sink = KlaviyoConnector.create(Credential.of(KEY))
        .withBaseUrl(klaviyo.server.baseUrl())
        .withSegmentLists(Map.of("loyal_customers", "LoyalL1", "vip", "VipL2"))
        .withJobPolling(Duration.ofMillis(5), 100).sink().withNumShards(1)
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
    klaviyo.lists.put("LoyalL1", java.util.concurrent.ConcurrentHashMap.newKeySet());
    klaviyo.lists.get("LoyalL1").addAll(List.of("gone", "left"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink);
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "klaviyoDeadLists");
    pipeline.run().waitUntilFinish();
    assertTrue(dead.isEmpty(), dead.toString());
    java.util.Set<String> expected = new java.util.TreeSet<>();
    contacts(230).forEach(c -> expected.add(c.getKey()));
    assertEquals(expected, new java.util.TreeSet<>(klaviyo.lists.get("LoyalL1")));
    assertEquals(232, klaviyo.listChanges.size(), "each change once: " + klaviyo.listChanges
        .size());
    assertFalse(klaviyo.lists.containsKey("VipL2"));
  }
}
