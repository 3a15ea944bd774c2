package dev.audiencesegmenter.io.braze;

import static dev.audiencesegmenter.io.sink.SinkTesting.assertNoSecret;
import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static dev.audiencesegmenter.io.sink.SinkTesting.contact;
import static dev.audiencesegmenter.io.sink.SinkTesting.contacts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
public class BrazeConnectorTest {
  public static final String KEY = "braze-rest-key-00112233-secret";

  /** Braze's /users/track as the contract describes it. */
  public static final class FakeBraze {
    public final FakeVendorServer server;
    public final Map<String, ObjectNode> users = new ConcurrentHashMap<>();
    public final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
    /**
     * Subscription group states by external id, then group id, from the attributes object's
     * {@code subscription_groups} ({@code [{"subscription_group_id": id,
     * "subscription_state": "subscribed"|"unsubscribed"}]}).
     */
    public final Map<String, Map<String, String>> subscriptionGroups = new ConcurrentHashMap<>();
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    public FakeBraze() throws Exception {
      server = new FakeVendorServer(this::handle);
    }

    Response handle(Request request) {
      if (!("Bearer " + KEY).equals(request.header("Authorization"))) {
        return Response.json(401, "{\"message\":\"Invalid API key: ****\"}");
      }
      if (!request.path().equals("/users/track")) {
        return Response.json(404, "{\"message\":\"Not found\"}");
      }
      JsonNode attributes = Json.parse(request.body()).path("attributes");
      batchSizes.add(attributes.size());
      if (attributes.size() > 75) {
        return Response.json(400, "{\"message\":\"Too many objects in request: "
            + "attributes limit is 75\"}");
      }
      ObjectNode response = Json.object();
      response.put("message", "success");
      int processed = 0;
      for (int i = 0; i < attributes.size(); i++) {
        JsonNode object = attributes.get(i);
        String id = object.path("external_id").asText();
        if (object.path("email").asText().contains("invalid")) {
          response.withArray("errors").addObject().put("type", "'email' is not a valid email")
              .put("input_array", "attributes").put("index", i);
          continue;
        }
        String badSubscribe = null;
        for (String state : List.of("email_subscribe", "push_subscribe")) {
          String subscribe = object.path(state).asText(null);
          if (subscribe != null && !List.of("opted_in", "unsubscribed", "subscribed")
              .contains(subscribe)) {
            badSubscribe = state;
          }
        }
        if (badSubscribe != null) {
          response.withArray("errors").addObject().put("type", "'" + badSubscribe + "' must be "
              + "one of opted_in, unsubscribed, subscribed").put("input_array", "attributes")
              .put("index", i);
          continue;
        }
        String groupError = null;
        for (JsonNode group : object.path("subscription_groups")) {
          if (group.path("subscription_group_id").asText("").isBlank()
              || !List.of("subscribed", "unsubscribed")
                  .contains(group.path("subscription_state").asText(""))) {
            groupError = "'subscription_groups' entries need a subscription_group_id and a "
                + "subscription_state of subscribed or unsubscribed";
          }
        }
        if (object.has("subscription_groups") && !object.get("subscription_groups").isArray()) {
          groupError = "'subscription_groups' must be an array";
        }
        if (groupError != null) {
          response.withArray("errors").addObject().put("type", groupError)
              .put("input_array", "attributes").put("index", i);
          continue;
        }
        if (object.path("_update_existing_only").asBoolean(false) && !users.containsKey(id)) {
          processed++;
          continue; // Braze does not create the user
        }
        ObjectNode user = users.computeIfAbsent(id, key -> Json.object());
        for (JsonNode group : object.path("subscription_groups")) {
          subscriptionGroups.computeIfAbsent(id, key -> new ConcurrentHashMap<>())
              .put(group.get("subscription_group_id").asText(),
                  group.get("subscription_state").asText());
        }
        object.fields().forEachRemaining(field -> {
          if (!field.getKey().startsWith("_")
              && !field.getKey().equals("subscription_groups")) {
            user.set(field.getKey(), field.getValue());
          }
        });
        writes.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
        processed++;
      }
      response.put("attributes_processed", processed);
      return Response.json(201, response.toString());
    }
  }

  FakeBraze braze;

  @BeforeEach
  void start() throws Exception {
    braze = new FakeBraze();
  }

  @AfterEach
  void stop() {
    braze.server.close();
  }

  SendContactUpdates sink() {
    return BrazeConnector.create(Credential.of(KEY)).withBaseUrl(braze.server.baseUrl())
        .withAttributeMapping(Map.of("monetary_total", "ltv")).sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  @Test
  void tracksUsersInBatchesOf75HonouringTheRateLimitReset(TestPipeline pipeline) {
    long resetEpochSecond = System.currentTimeMillis() / 1000 + 2;
    braze.server.enqueue(new Response(429, Map.of("X-RateLimit-Limit", "3000",
        "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", Long.toString(resetEpochSecond)),
        "{\"message\":\"Rate limit exceeded\"}"));
    braze.server.enqueue(Response.json(503, "{\"message\":\"Service unavailable\"}"));
    List<ContactUpdate> input = new ArrayList<>(contacts(300));
    input.add(contact("c-bad", "invalid@example.com"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink());
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "brazeDead1");
    pipeline.run().waitUntilFinish();
    assertEquals(300, braze.users.size());
    assertTrue(braze.writes.values().stream().allMatch(n -> n.get() == 1));
    assertTrue(braze.batchSizes.stream().allMatch(n -> n <= 75), braze.batchSizes.toString());
    assertTrue(braze.users.get("c-0003").path("segment_loyal_customers").asBoolean());
    assertEquals("42.50", braze.users.get("c-0003").path("ltv").asText());
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("'email' is not a valid email"));
    assertNoSecret(dead, KEY);
    List<Request> requests = braze.server.requests();
    Request again = requests.stream().skip(1)
        .filter(r -> r.body().equals(requests.get(0).body())).findFirst().orElseThrow();
    // X-RateLimit-Reset is an epoch second: the retry came no earlier
    assertTrue(again.receivedEpochMillis() >= resetEpochSecond * 1000,
        "retried " + (resetEpochSecond * 1000 - again.receivedEpochMillis()) + " ms early");
  }

  @Test
  void exitsWithoutConsentOnlyUpdateExistingUsers(TestPipeline pipeline) {
    ObjectNode known = Json.object();
    known.put("segment_vip", true);
    braze.users.put("known", known);
    List<ContactUpdate> input = List.of(
        ContactUpdate.builder("known").setEmail("k@example.com")
            .setSegmentsExited(List.of("vip")).build(),
        ContactUpdate.builder("unknown").setEmail("u@example.com")
            .setSegmentsExited(List.of("vip")).build(),
        ContactUpdate.builder("silent").setEmail("s@example.com")
            .setSegmentsCurrent(List.of("vip")).build());
    pipeline.apply(Create.of(input)).apply(sink());
    pipeline.run().waitUntilFinish();
    assertFalse(braze.users.get("known").path("segment_vip").asBoolean(true));
    assertFalse(braze.users.get("known").has("email"), "no identifiers for exit-only users");
    assertFalse(braze.users.containsKey("unknown"));
    assertFalse(braze.users.containsKey("silent"));
  }
}
