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
import dev.audiencesegmenter.io.sink.Credential;
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
class KlaviyoConnectorTest {
  static final String KEY = "pk_live_klaviyo_secret_9f8e7d";
  static final String NS = "sink.klaviyo";

  /** Klaviyo's bulk import job endpoint as the contract describes it. */
  static final class FakeKlaviyo {
    final FakeVendorServer server;
    final Map<String, AtomicInteger> importsPerProfile = new ConcurrentHashMap<>();
    final Map<String, JsonNode> profiles = new ConcurrentHashMap<>();
    final List<Integer> jobSizes = new CopyOnWriteArrayList<>();
    final Map<String, String> listOfProfile = new ConcurrentHashMap<>();

    FakeKlaviyo() throws Exception {
      server = new FakeVendorServer(this::handle);
    }

    static Response error(int status, String code, String detail) {
      return new Response(status, Map.of("Content-Type", "application/vnd.api+json"),
          "{\"errors\":[{\"id\":\"e1\",\"status\":" + status + ",\"code\":\"" + code
              + "\",\"title\":\"Error\",\"detail\":\"" + detail + "\"}]}");
    }

    Response handle(Request request) {
      if (!("Klaviyo-API-Key " + KEY).equals(request.header("Authorization"))) {
        return error(401, "not_authenticated", "Missing or invalid private key.");
      }
      if (request.header("revision") == null) {
        return error(400, "invalid", "A revision header is required.");
      }
      if (!request.path().equals("/api/profile-bulk-import-jobs")) {
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
      String list = body.path("data").path("relationships").path("lists").path("data")
          .path(0).path("id").asText(null);
      for (JsonNode profile : data) {
        String email = profile.path("attributes").path("email").asText();
        if (email.contains("bad-request")) {
          return error(400, "invalid", "Invalid email address: " + email);
        }
      }
      for (JsonNode profile : data) {
        String id = profile.path("attributes").path("external_id").asText();
        importsPerProfile.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        profiles.put(id, profile.path("attributes"));
        if (list != null) {
          listOfProfile.put(id, list);
        }
      }
      return new Response(202, Map.of("Content-Type", "application/vnd.api+json",
          "RateLimit-Limit", "10", "RateLimit-Remaining", "9", "RateLimit-Reset", "1"),
          "{\"data\":{\"type\":\"profile-bulk-import-job\",\"id\":\"job-"
              + jobSizes.size() + "\",\"attributes\":{\"status\":\"queued\",\"total_count\":"
              + data.size() + "}}}");
    }
  }

  FakeKlaviyo klaviyo;

  @BeforeEach
  void start() throws Exception {
    klaviyo = new FakeKlaviyo();
  }

  @AfterEach
  void stop() {
    klaviyo.server.close();
  }

  SendContactUpdates sink() {
    return KlaviyoConnector.create(Credential.of(KEY)).withBaseUrl(klaviyo.server.baseUrl())
        .withListId("Y6nRLr").withPropertyMapping(Map.of("monetary_total", "ltv")).sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
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
        .withPropertyMapping(Map.of("monetary_total", "ltv", "notes", "notes")).sink()
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
    assertEquals(0, klaviyo.profiles.get("exit").path("properties").path("audience_segments")
        .size());
    assertFalse(klaviyo.profiles.containsKey("silent"));
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
}
