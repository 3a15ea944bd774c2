package dev.audiencesegmenter.io.zoho;

import static dev.audiencesegmenter.io.sink.SinkTesting.collect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.ContactUpdate;
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
import java.util.Set;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class ZohoCrmConnectorTest {
  FakeZoho zoho;

  @BeforeEach
  void start() throws Exception {
    zoho = new FakeZoho();
  }

  @AfterEach
  void stop() {
    zoho.close();
  }

  ZohoCrmConnector connector() {
    return ZohoCrmConnector.create(Credential.of(FakeZoho.TOKEN)).withBaseUrl(zoho.baseUrl())
        .withFieldMapping(Map.of("last_name", "Last_Name", "monetary_total", "Lifetime_Value"))
        .withSegmentTags(Map.of("vip", "VIP"));
  }

  SendContactUpdates sink() {
    return connector().sink().withNumShards(1)
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  static ContactUpdate customer(String key, String email, String lastName, List<String> current,
      List<String> entered) {
    return ContactUpdate.builder(key).setEmail(email).setEmailConsent(true)
        .setFields(Map.of("last_name", lastName, "monetary_total", "42.50",
            "unmapped", "not sent"))
        .setSegmentsCurrent(current).setSegmentsEntered(entered).build();
  }

  @Test
  void upsertsByTheUniqueKeyFieldWithTheSegmentsPicklistAndTagsEntrants(TestPipeline pipeline) {
    List<ContactUpdate> input = List.of(
        customer("c-1", "ann@example.com", "Lee", List.of("vip", "loyal"), List.of("vip")),
        customer("c-2", "bo@example.com", "Chan", List.of("loyal"), List.of("loyal")));
    pipeline.apply(Create.of(input)).apply(sink());
    pipeline.run().waitUntilFinish();

    Request upsert = zoho.server.requests().get(0);
    assertEquals("/crm/v8/Contacts/upsert", upsert.path());
    assertEquals("Zoho-oauthtoken " + FakeZoho.TOKEN, upsert.header("Authorization"));
    assertEquals(Json.parse("{\"data\":["
            + "{\"Customer_Id\":\"c-1\",\"Email\":\"ann@example.com\",\"Last_Name\":\"Lee\","
            + "\"Lifetime_Value\":\"42.50\",\"Audience_Segments\":[\"loyal\",\"vip\"]},"
            + "{\"Customer_Id\":\"c-2\",\"Email\":\"bo@example.com\",\"Last_Name\":\"Chan\","
            + "\"Lifetime_Value\":\"42.50\",\"Audience_Segments\":[\"loyal\"]}],"
            + "\"duplicate_check_fields\":[\"Customer_Id\"],\"trigger\":[]}"),
        sortedData(upsert.body()));
    Request tag = zoho.server.requests().get(1);
    assertEquals("/crm/v8/Contacts/actions/add_tags", tag.path());
    assertEquals(Json.parse("{\"tags\":[{\"name\":\"VIP\"}],\"ids\":[\""
            + zoho.contacts.get("c-1").path("id").asText() + "\"],\"over_write\":false}"),
        Json.parse(tag.body()));
    assertEquals(2, zoho.server.requests().size());
    assertEquals(Set.of("VIP"), zoho.tags.get("c-1"));
    assertFalse(zoho.tags.containsKey("c-2"));
  }

  /** The upsert's records sorted by key: the shard's order is the runner's. */
  static ObjectNode sortedData(String body) {
    ObjectNode node = (ObjectNode) Json.parse(body);
    List<com.fasterxml.jackson.databind.JsonNode> records = new ArrayList<>();
    node.path("data").forEach(records::add);
    records.sort(java.util.Comparator.comparing(r -> r.path("Customer_Id").asText()));
    node.putArray("data").addAll(records);
    return node;
  }

  @Test
  void exitsAndWithdrawalsNeverCreateAContactAndTakeTheirTagsOff(TestPipeline pipeline) {
    // two contacts Zoho has, in vip with its tag
    zoho.seed("known-exit", "VIP");
    zoho.seed("known-withdrawn", "VIP");
    List<ContactUpdate> input = List.of(
        ContactUpdate.builder("known-exit").setEmail("ke@example.com").setExitOnly(true)
            .setSegmentsExited(List.of("vip")).build(),
        ContactUpdate.builder("unknown-exit").setEmail("ue@example.com").setExitOnly(true)
            .setSegmentsExited(List.of("vip")).build(),
        // no email consent: a withdrawal
        ContactUpdate.builder("known-withdrawn").setEmail("kw@example.com")
            .setFields(Map.of("last_name", "Kim")).setSegmentsCurrent(List.of("vip")).build(),
        ContactUpdate.builder("unknown-withdrawn").setEmail("uw@example.com")
            .setFields(Map.of("last_name", "Ude")).setSegmentsCurrent(List.of("vip")).build());
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink());
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "zohoExitsDead");
    Queue<String> sent = collect(result.getSentKeys(), "zohoExitsSent");
    pipeline.run().waitUntilFinish();

    assertEquals(List.of(), List.copyOf(dead));
    assertEquals(4, sent.size());
    assertEquals(Set.of("known-exit", "known-withdrawn"), zoho.contacts.keySet(),
        "no contact created");
    assertEquals("[]", zoho.contacts.get("known-exit").path("Audience_Segments").toString());
    assertFalse(zoho.contacts.get("known-exit").has("Email"), "an exit carries no email");
    assertTrue(zoho.contacts.get("known-withdrawn").path("Email_Opt_Out").asBoolean());
    assertEquals("Seeded", zoho.contacts.get("known-withdrawn").path("Last_Name").asText(),
        "nothing else sent");
    assertFalse(zoho.contacts.get("known-withdrawn").has("Email"), "nothing else sent");
    assertEquals(Set.of(), zoho.tags.get("known-exit"));
    assertEquals(Set.of(), zoho.tags.get("known-withdrawn"));
  }

  @Test
  void eachRecordZohoRefusesIsDeadLetteredWithItsCodeAndField(TestPipeline pipeline) {
    List<ContactUpdate> input = List.of(
        customer("ok", "ok@example.com", "Okafor", List.of(), List.of()),
        customer("bad-email", "invalid@example", "Baz", List.of(), List.of()),
        ContactUpdate.builder("no-name").setEmail("nn@example.com").setEmailConsent(true)
            .build());
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink());
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "zohoRecordsDead");
    pipeline.run().waitUntilFinish();

    assertEquals(Set.of("ok"), zoho.contacts.keySet());
    Map<String, String> reasons = new java.util.TreeMap<>();
    dead.forEach(letter -> reasons.put(Json.parse(letter.getRecord()).path("key").asText(),
        letter.getReason()));
    assertEquals(Map.of(
        "bad-email", "zoho rejected the record: INVALID_DATA: invalid data (Email)",
        "no-name", "zoho rejected the record: MANDATORY_NOT_FOUND: required field not found "
            + "(Last_Name): a new contact needs a last name (map a column to Last_Name, or set "
            + "a last name fallback)"), reasons);
  }

  @Test
  void theLastNameFallbackNamesNewContactsButNeverCreatesOneForAnExit(TestPipeline pipeline) {
    List<ContactUpdate> input = List.of(
        ContactUpdate.builder("nameless").setEmail("n@example.com").setEmailConsent(true)
            .build(),
        customer("named", "d@example.com", "Diaz", List.of(), List.of()),
        ContactUpdate.builder("gone").setEmail("g@example.com").setExitOnly(true)
            .setSegmentsExited(List.of("vip")).build());
    pipeline.apply(Create.of(input)).apply(connector().withLastNameFallback("(unknown)").sink()
        .withNumShards(1));
    pipeline.run().waitUntilFinish();
    assertEquals("(unknown)", zoho.contacts.get("nameless").path("Last_Name").asText());
    assertEquals("Diaz", zoho.contacts.get("named").path("Last_Name").asText());
    assertFalse(zoho.contacts.containsKey("gone"));
  }

  @Test
  void aBatchWhereEveryRecordFailsIsReadPerRecordNotAsARequestError(TestPipeline pipeline) {
    List<ContactUpdate> input = List.of(
        customer("a", "invalid-a@example.com", "A", List.of(), List.of()),
        customer("b", "invalid-b@example.com", "B", List.of(), List.of()));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink());
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "zohoAllFailed");
    pipeline.run().waitUntilFinish();
    assertEquals(2, dead.size());
    dead.forEach(letter -> assertEquals("zoho rejected the record: INVALID_DATA: invalid data "
        + "(Email)", letter.getReason()));
    assertEquals(1, zoho.server.requests().size(), "per-record refusals are not split");
  }

  @Test
  void aThrottleAnswerWithRetryAfterInItsDetailsIsWaitedOut(TestPipeline pipeline) {
    zoho.server.enqueue(Response.json(429, "{\"code\":\"TOO_MANY_REQUESTS\",\"details\":"
        + "{\"retry_after\":1},\"message\":\"Rate limit exceeded\",\"status\":\"error\"}"));
    pipeline.apply(Create.of(List.of(customer("c", "c@example.com", "Cole", List.of(),
        List.of())))).apply(sink());
    pipeline.run().waitUntilFinish();
    List<Request> requests = zoho.server.requests();
    assertEquals(2, requests.size());
    long waited = (requests.get(1).receivedNanos() - requests.get(0).receivedNanos()) / 1_000_000;
    assertTrue(waited >= 980, "retried after " + waited + " ms");
    assertEquals(1, zoho.writes.get("c").get());
  }

  @Test
  void badSettingsAreRefusedNamingTheValue() {
    ZohoCrmConnector zohoCrm = ZohoCrmConnector.create(Credential.of("zoho-secret-99"));
    assertEquals("Zoho CRM external id field must be an API name (letters, digits, "
            + "underscores), got 'Customer Id'",
        assertThrows(IllegalArgumentException.class,
            () -> zohoCrm.withExternalIdField("Customer Id")).getMessage());
    assertEquals("Zoho CRM tag of segment 'vip' is 26 characters, over Zoho's 25: "
            + "'abcdefghijklmnopqrstuvwxyz'",
        assertThrows(IllegalArgumentException.class, () -> zohoCrm.withSegmentTags(
            Map.of("vip", "abcdefghijklmnopqrstuvwxyz"))).getMessage());
    assertEquals("Unknown Zoho CRM trigger 'workflows'; known: [approval, blueprint, "
            + "orchestration, pathfinder, workflow]",
        assertThrows(IllegalArgumentException.class,
            () -> zohoCrm.withTriggers(List.of("workflows"))).getMessage());
    assertFalse(zohoCrm.toString().contains("zoho-secret-99"), zohoCrm.toString());
  }
}
