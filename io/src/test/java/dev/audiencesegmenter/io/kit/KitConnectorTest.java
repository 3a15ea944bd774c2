package dev.audiencesegmenter.io.kit;

import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.model.DeadLetter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class KitConnectorTest {
  FakeKit kit;

  @BeforeEach
  void start() throws Exception {
    kit = new FakeKit();
  }

  @AfterEach
  void stop() {
    kit.close();
  }

  KitConnector connector() {
    return KitConnector.create(Credential.of(FakeKit.TOKEN)).withBaseUrl(kit.baseUrl())
        .withFirstNameField("first_name")
        .withCustomFields(Map.of("monetary_total", "lifetime_value"))
        .withSegmentTags(Map.of("vip", "VIP", "loyal", "Loyal customers"));
  }

  SendContactUpdates sink(KitConnector connector) {
    return connector.sink().withNumShards(1)
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  static ContactUpdate customer(String key, String email, List<String> entered,
      List<String> exited) {
    return ContactUpdate.builder(key).setEmail(email).setEmailConsent(true)
        .setFields(Map.of("first_name", "Ann", "monetary_total", "42.50"))
        .setSegmentsCurrent(entered).setSegmentsEntered(entered).setSegmentsExited(exited)
        .build();
  }

  Request request(String method, String path) {
    return kit.server.requests().stream()
        .filter(r -> r.method().equals(method) && r.path().equals(path)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + method + " " + path));
  }

  Set<String> tagNames(String email) {
    Map<Long, String> names = new TreeMap<>();
    kit.tagIds.forEach((name, id) -> names.put(id, name));
    Set<String> out = new java.util.TreeSet<>();
    kit.taggings.getOrDefault(email, Set.of()).forEach(id -> out.add(names.get(id)));
    return out;
  }

  @Test
  void subscribesInBulkThenSetsCustomFieldsAndTagsByTheIdsKitGave(TestPipeline pipeline) {
    long ltv = kit.customField("lifetime_value");
    kit.seed("bo@example.com", "active", "Loyal customers");
    List<ContactUpdate> input = List.of(
        customer("c-1", "ann@example.com", List.of("vip", "loyal"), List.of()),
        customer("c-2", "bo@example.com", List.of(), List.of("loyal")));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink(connector()));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "kitDead1");
    pipeline.run().waitUntilFinish();

    assertEquals(List.of(), List.copyOf(dead));
    assertEquals("Bearer " + FakeKit.TOKEN, request("POST", "/v4/bulk/tags")
        .header("Authorization"));
    assertEquals(Json.parse("{\"tags\":[{\"name\":\"Loyal customers\"},{\"name\":\"VIP\"}],"
        + "\"callback_url\":null}"), Json.parse(request("POST", "/v4/bulk/tags").body()));
    assertEquals(Set.of("{\"email_address\":\"ann@example.com\",\"first_name\":\"Ann\"}",
            "{\"email_address\":\"bo@example.com\",\"first_name\":\"Ann\"}"),
        Set.copyOf(Json.parse(request("POST", "/v4/bulk/subscribers").body())
            .path("subscribers").findParents("email_address").stream()
            .map(Object::toString).toList()));
    assertEquals("42.50", kit.subscribers.get("ann@example.com").path("fields")
        .path("lifetime_value").asText());
    assertTrue(request("POST", "/v4/bulk/custom_fields/subscribers").body()
        .contains("\"subscriber_custom_field_id\":" + ltv));
    assertEquals(Set.of("VIP", "Loyal customers"), tagNames("ann@example.com"));
    assertEquals(Set.of(), tagNames("bo@example.com"), "left loyal: untagged");
    assertEquals("active", kit.subscribers.get("bo@example.com").path("state").asText());
  }

  @Test
  void exitsAndWithdrawalsNeverCreateASubscriber(TestPipeline pipeline) {
    kit.seed("known-exit@example.com", "active", "VIP", "Loyal customers");
    kit.seed("known-withdrawn@example.com", "active", "VIP");
    List<ContactUpdate> input = List.of(
        ContactUpdate.builder("ke").setEmail("known-exit@example.com").setExitOnly(true)
            .setSegmentsExited(List.of("vip")).build(),
        ContactUpdate.builder("ue").setEmail("unknown-exit@example.com").setExitOnly(true)
            .setSegmentsExited(List.of("vip")).build(),
        // no email consent: withdrawals
        ContactUpdate.builder("kw").setEmail("known-withdrawn@example.com")
            .setSegmentsCurrent(List.of("vip")).build(),
        ContactUpdate.builder("uw").setEmail("unknown-withdrawn@example.com")
            .setSegmentsCurrent(List.of("vip")).build());
    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink(connector()));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "kitDead2");
    Queue<String> sent = collect(result.getSentKeys(), "kitSent2");
    pipeline.run().waitUntilFinish();

    assertEquals(List.of(), List.copyOf(dead));
    assertEquals(4, sent.size());
    assertEquals(Set.of("known-exit@example.com", "known-withdrawn@example.com"),
        kit.subscribers.keySet(), "nobody created");
    assertTrue(kit.writes.isEmpty(), "no bulk subscriber write");
    assertEquals(Set.of("Loyal customers"), tagNames("known-exit@example.com"));
    assertEquals("active", kit.subscribers.get("known-exit@example.com").path("state").asText());
    assertEquals(Set.of(), tagNames("known-withdrawn@example.com"));
    assertEquals("cancelled", kit.subscribers.get("known-withdrawn@example.com").path("state")
        .asText());
    assertTrue(kit.server.requests().stream().anyMatch(r -> r.path().equals("/v4/subscribers")
        && r.query().equals("email_address=unknown-withdrawn%40example.com&status=all")));
  }

  @Test
  void aSubscriberKitRefusesIsDeadLetteredAndTheOthersGoOn(TestPipeline pipeline) {
    kit.customField("lifetime_value");
    List<ContactUpdate> input = List.of(
        customer("good", "good@example.com", List.of("vip"), List.of()),
        customer("bad", "invalid@example", List.of("vip"), List.of()));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input))
        .apply(sink(connector()));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "kitDead3");
    pipeline.run().waitUntilFinish();

    assertEquals(1, dead.size());
    assertEquals("bad", Json.parse(dead.peek().getRecord()).path("key").asText());
    assertEquals("kit rejected the record: Email address is invalid", dead.peek().getReason());
    assertEquals(Set.of("VIP"), tagNames("good@example.com"));
    assertEquals(Set.of("good@example.com"), kit.subscribers.keySet());
  }

  @Test
  void aMappedCustomFieldKitDoesNotHaveRefusesTheBatchNamingIt(TestPipeline pipeline) {
    SendContactUpdates.Result result = pipeline.apply(Create.of(List.of(
        customer("c", "c@example.com", List.of(), List.of())))).apply(sink(connector()));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "kitDead4");
    pipeline.run().waitUntilFinish();
    assertEquals(1, dead.size());
    assertEquals("kit refused the request: Kit has no custom field 'lifetime_value' (by key or "
        + "label): create it in Kit first, Kit ignores values of unknown fields",
        dead.peek().getReason());
    assertTrue(kit.subscribers.isEmpty());
  }

  @Test
  void customFieldsAreFoundByLabelToo(TestPipeline pipeline) {
    kit.customField("lifetime_value");
    pipeline.apply(Create.of(List.of(customer("c", "c@example.com", List.of(), List.of()))))
        .apply(sink(connector().withCustomFields(Map.of("monetary_total", "Lifetime value"))));
    pipeline.run().waitUntilFinish();
    assertEquals("42.50", kit.subscribers.get("c@example.com").path("fields")
        .path("lifetime_value").asText());
  }

  @Test
  void kitsPlainTextThrottleIsBackedOffAndRetried(TestPipeline pipeline) {
    kit.server.enqueue(new Response(429, Map.of("Content-Type", "text/plain"), "Retry later"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(List.of(
            customer("c", "c@example.com", List.of(), List.of()))))
        .apply(sink(KitConnector.create(Credential.of(FakeKit.TOKEN))
            .withBaseUrl(kit.baseUrl())));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "kitDead5");
    pipeline.run().waitUntilFinish();
    assertEquals(List.of(), List.copyOf(dead));
    assertEquals(2, kit.server.requests().size());
    assertEquals(1, kit.writes.get("c@example.com").get());
    assertFalse(kit.subscribers.get("c@example.com").has("first_name"), "no name mapped");
  }
}
