package dev.audiencesegmenter.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.braze.BrazeConnectorTest;
import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.klaviyo.FakeKlaviyo;
import dev.audiencesegmenter.io.klaviyo.KlaviyoConnector;
import dev.audiencesegmenter.io.mailchimp.FakeMailchimp;
import dev.audiencesegmenter.io.mailchimp.MailchimpConnector;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SinkTesting;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import dev.audiencesegmenter.model.DeadLetter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 17, consent: a withdrawal reaches every email platform in its own way, is recorded in
 * the sync state once delivered (retried until then, not resent after), and nobody without
 * consent is ever created on a platform. Each run is a delta sync against the state in a
 * folder, as the job does it, against the platform's fake.
 */
@Timeout(120)
class ConsentWithdrawalTest {
  @TempDir Path dir;

  static ContactUpdate consenting(String key, String email, List<String> segments) {
    return ContactUpdate.builder(key).setEmail(email).setEmailConsent(true)
        .setFields(Map.of("first_name", "Ann")).setSegmentsCurrent(segments).build();
  }

  static ContactUpdate withdrawn(ContactUpdate update) {
    return update.toBuilder().setEmailConsent(false).build();
  }

  /** What one delta-sync run produced. */
  record Run(PipelineResult result, List<DeadLetter> deadLetters) {
    long counter(String vendor, String name) {
      return SinkTesting.counter(result, "sink." + vendor, name);
    }
  }

  private static final Map<String, Integer> RUNS = new ConcurrentHashMap<>();

  Run sync(SendContactUpdates sink, List<ContactUpdate> updates) {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    String state = dir.resolve("sync-state").toString();
    PCollection<SyncStateEntry> previous = pipeline.apply("ReadState", SyncState.read(state));
    DeltaSync.Result delta = DeltaSync.inputs(pipeline.apply(Create.of(updates)
            .withType(TypeDescriptor.of(ContactUpdate.class))), previous)
        .apply(DeltaSync.create()
            .withConsentRules(sink.getConnector().handlesWithdrawals())
            .withSmsWithdrawals(sink.getConnector().handlesSmsWithdrawals())
            .withPushWithdrawals(sink.getConnector().handlesPushWithdrawals()));
    SendContactUpdates.Result sent = delta.getChanges().apply(sink.withNumShards(1)
        .withBackoff(Duration.ofMillis(5), Duration.ofMillis(10)));
    String name = "consent-dead-" + RUNS.merge("n", 1, Integer::sum);
    Queue<DeadLetter> dead = SinkTesting.collect(sent.getDeadLetters(), name);
    SyncState.commitInputs(delta.getNewState(), previous, sent)
        .apply(SyncState.commit(state, 1));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    return new Run(result, new ArrayList<>(dead));
  }

  /** The committed state lines of {@code key}. */
  List<JsonNode> state(String key) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("sync-state"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(file)) {
          JsonNode node = Json.parse(line);
          if (node != null && key.equals(node.path("key").asText())) {
            lines.add(node);
          }
        }
      }
    }
    return lines;
  }

  void assertWithdrawalRecorded(String key) throws IOException {
    List<JsonNode> lines = state(key);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).path("withdrawn").asBoolean(false), lines.toString());
    assertEquals(0, lines.get(0).path("segments").size(), lines.toString());
  }

  /** Ann, with email and SMS consent and a phone. */
  static ContactUpdate texting() {
    return consenting("c-1", "ann@example.com", List.of("vip")).toBuilder()
        .setPhone("+15550100001").setSmsConsent(true).build();
  }

  static ContactUpdate withoutSms(ContactUpdate update) {
    return update.toBuilder().setSmsConsent(false).build();
  }

  void assertSmsWithdrawalRecorded(String key, List<String> segments) throws IOException {
    List<JsonNode> lines = state(key);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).path("sms_withdrawn").asBoolean(false), lines.toString());
    assertEquals(segments.toString().replace(" ", ""),
        lines.get(0).path("segments").toString().replace("\"", ""), lines.toString());
  }

  static List<Request> to(List<Request> requests, String path) {
    return requests.stream().filter(request -> request.path().equals(path)).toList();
  }

  static List<Request> since(FakeVendorServer server, int from) {
    List<Request> all = server.requests();
    return all.subList(from, all.size());
  }

  // ---- Item 2: nobody without consent is created, nor named in any call ----

  /**
   * Ann consents, Bob never did and was never synced: no call carries Bob's key, email or
   * phone, he is counted as dropped, and once he consents he is sent like a new customer.
   */
  @ParameterizedTest
  @ValueSource(strings = {"mailchimp", "klaviyo", "braze", "hubspot"})
  void aCustomerWithoutConsentWhomThePlatformNeverReceivedIsDroppedAndCounted(String platform)
      throws Exception {
    try (PlatformFixtures.Fixture fixture = PlatformFixtures.start(platform)) {
      ContactUpdate ann = consenting("c-ann", "ann@example.com", List.of("vip"));
      ContactUpdate bob = ContactUpdate.builder("c-bob").setEmail("bob@example.com")
          .setPhone("+15550100999").setSegmentsCurrent(List.of("vip"))
          .setFields(Map.of("first_name", "Bob")).build();
      Run first = sync(fixture.sink(), List.of(ann, bob));
      assertEquals(List.of(), first.deadLetters());
      assertEquals(1, SinkTesting.counter(first.result(), DeltaSync.class.getName(),
          "dropped_without_consent"));
      for (Request request : fixture.server().requests()) {
        String all = request.path() + "?" + request.query() + " " + request.body();
        for (String bobs : List.of("c-bob", "bob@example.com", "15550100999")) {
          assertFalse(all.contains(bobs), platform + " was told about Bob: " + all);
        }
      }
      assertEquals(1, fixture.writes().get(fixture.vendorKey(ann)).get());
      assertEquals(null, fixture.writes().get(fixture.vendorKey(bob)));

      int afterFirst = fixture.server().requests().size();
      Run second = sync(fixture.sink(), List.of(ann, bob));
      assertEquals(afterFirst, fixture.server().requests().size(), "the second run sent");
      assertEquals(1, SinkTesting.counter(second.result(), DeltaSync.class.getName(),
          "dropped_without_consent"));

      sync(fixture.sink(), List.of(ann, bob.toBuilder().setEmailConsent(true).build()));
      assertEquals(1, fixture.writes().get(fixture.vendorKey(bob)).get(), "Bob consented");
    }
  }

  @Test
  void aKlaviyoProfileThatLeftTheInputIsTakenOutOfItsSegmentsWithoutAnImport()
      throws Exception {
    try (FakeKlaviyo fake = new FakeKlaviyo(KL_KEY)) {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip"));
      sync(klaviyo(fake), List.of(ann));
      assertEquals(Set.of("c-1"), fake.lists.get("VipL1"));

      int jobs = fake.jobSizes.size();
      Run second = sync(klaviyo(fake), List.of());
      assertEquals(List.of(), second.deadLetters());
      assertEquals(jobs, fake.jobSizes.size(), "an exit must not be imported");
      assertEquals(Set.of(), fake.lists.get("VipL1"));
      assertEquals("[]", fake.profiles.get("c-1").path("properties")
          .path("audience_segments").toString());
      assertEquals(List.of(), fake.unsubscribedEmails, "consent unknown: not unsubscribed");
      assertEquals("Y6nRLr", fake.listOfProfile.get("c-1"));
    }
  }

  // ---- Mailchimp ----

  static final String MC_KEY = "0123456789abcdef0123456789abcdef-us21";

  static SendContactUpdates mailchimp(FakeMailchimp fake) {
    return MailchimpConnector.create(Credential.of(MC_KEY), "a1b2c3d4e5")
        .withBaseUrl(fake.baseUrl()).withMergeFields(Map.of("first_name", "FNAME")).sink();
  }

  static FakeMailchimp.Member member(FakeMailchimp fake, String email) {
    return fake.membersByHash.get(MailchimpConnector.subscriberHash(email));
  }

  @Test
  void mailchimpUnsubscribesTheMemberRemovesOurTagsAndDoesNotResend() throws Exception {
    try (FakeMailchimp fake = new FakeMailchimp(MC_KEY, "a1b2c3d4e5")) {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("loyal", "vip"));
      sync(mailchimp(fake), List.of(ann));
      assertEquals("subscribed", member(fake, "ann@example.com").status);
      member(fake, "ann@example.com").tags.add("newsletter"); // a tag the job does not manage

      int before = fake.server.requests().size();
      Run second = sync(mailchimp(fake), List.of(withdrawn(ann)));
      assertEquals(List.of(), second.deadLetters());
      FakeMailchimp.Member member = member(fake, "ann@example.com");
      assertEquals("unsubscribed", member.status);
      assertEquals(Set.of("newsletter"), member.tags);
      // the only data Mailchimp got about Ann this run: her address and "unsubscribed"
      List<Request> calls = since(fake.server, before);
      assertEquals(2, calls.size(), calls.toString());
      assertEquals("{\"email_address\":\"ann@example.com\",\"status\":\"unsubscribed\"}",
          Json.parse(calls.get(0).body()).path("members").path(0).toString());
      assertEquals(1, second.counter("mailchimp", "records_withdrawn"));
      assertWithdrawalRecorded("c-1");

      int afterWithdrawal = fake.server.requests().size();
      sync(mailchimp(fake), List.of(withdrawn(ann)));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    }
  }

  @Test
  void aWithdrawalThatFailedIsSentAgainNextRunUntilDelivered() throws Exception {
    try (FakeMailchimp fake = new FakeMailchimp(MC_KEY, "a1b2c3d4e5")) {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip"));
      sync(mailchimp(fake), List.of(ann));

      for (int i = 0; i < 3; i++) {
        fake.server.enqueue(Response.json(503, "{\"title\":\"Service Unavailable\"}"));
      }
      Run failed = sync(mailchimp(fake).withMaxRetries(2), List.of(withdrawn(ann)));
      assertEquals(1, failed.deadLetters().size(), failed.deadLetters().toString());
      assertEquals("subscribed", member(fake, "ann@example.com").status);
      assertFalse(state("c-1").get(0).path("withdrawn").asBoolean(false));

      Run retried = sync(mailchimp(fake), List.of(withdrawn(ann)));
      assertEquals(List.of(), retried.deadLetters());
      assertEquals("unsubscribed", member(fake, "ann@example.com").status);
      assertEquals(Set.of(), member(fake, "ann@example.com").tags);
      assertWithdrawalRecorded("c-1");
    }
  }

  // ---- Klaviyo ----

  static final String KL_KEY = "pk_consent_key_7788";

  static SendContactUpdates klaviyo(FakeKlaviyo fake) {
    return KlaviyoConnector.create(Credential.of(KL_KEY)).withBaseUrl(fake.server.baseUrl())
        .withListId("Y6nRLr").withSegmentLists(Map.of("vip", "VipL1"))
        .withPropertyMapping(Map.of("first_name", "first_name"))
        .withJobPolling(Duration.ofMillis(5), 100).sink();
  }

  @Test
  void klaviyoUnsubscribesTheEmailChannelAndTakesTheProfileOutOfEveryManagedList()
      throws Exception {
    try (FakeKlaviyo fake = new FakeKlaviyo(KL_KEY)) {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip"));
      sync(klaviyo(fake), List.of(ann));
      assertEquals(Set.of("c-1"), fake.lists.get("VipL1"));
      assertEquals("Y6nRLr", fake.listOfProfile.get("c-1"));

      int jobs = fake.jobSizes.size();
      Run second = sync(klaviyo(fake), List.of(withdrawn(ann)));
      assertEquals(List.of(), second.deadLetters());
      assertEquals(jobs, fake.jobSizes.size(), "a withdrawal must not be imported");
      assertEquals(List.of("ann@example.com"), fake.unsubscribedEmails);
      assertEquals(Set.of(), fake.lists.get("VipL1"));
      assertFalse(fake.listOfProfile.containsKey("c-1"), "still in the list of every profile");
      assertEquals("[]", fake.profiles.get("c-1").path("properties")
          .path("audience_segments").toString());
      assertWithdrawalRecorded("c-1");

      int afterWithdrawal = fake.server.requests().size();
      sync(klaviyo(fake), List.of(withdrawn(ann)));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    }
  }

  /**
   * Ann keeps email consent but withdraws SMS consent: her email update is imported as usual,
   * and apart a Bulk Unsubscribe job for the SMS channel carries only her phone number; she
   * stays in her segments; the state records it and the next run sends nothing.
   */
  @Test
  void klaviyoUnsubscribesTheSmsChannelOfAContactWhoKeepsEmailConsent() throws Exception {
    try (FakeKlaviyo fake = new FakeKlaviyo(KL_KEY)) {
      ContactUpdate ann = texting();
      sync(klaviyo(fake), List.of(ann));
      assertEquals(List.of(), fake.unsubscribedPhones);
      assertFalse(state("c-1").get(0).path("sms_withdrawn").asBoolean(true),
          "SMS consent: nothing to withdraw");

      int jobs = fake.jobSizes.size();
      int before = fake.server.requests().size();
      Run second = sync(klaviyo(fake), List.of(withoutSms(ann)));
      assertEquals(List.of(), second.deadLetters());
      assertEquals(List.of("+15550100001"), fake.unsubscribedPhones);
      assertEquals(List.of(), fake.unsubscribedEmails, "email consent kept");
      assertEquals(jobs + 1, fake.jobSizes.size(), "the email update is imported as usual");
      assertEquals(Set.of("c-1"), fake.lists.get("VipL1"));
      List<Request> unsubscribes = to(since(fake.server, before),
          "/api/profile-subscription-bulk-delete-jobs");
      assertEquals(1, unsubscribes.size(), unsubscribes.toString());
      assertEquals("[{\"type\":\"profile\",\"attributes\":{\"phone_number\":\"+15550100001\","
              + "\"subscriptions\":{\"sms\":{\"marketing\":{\"consent\":\"UNSUBSCRIBED\"}}}}}]",
          Json.parse(unsubscribes.get(0).body()).path("data").path("attributes")
              .path("profiles").path("data").toString());
      assertEquals(1, second.counter("klaviyo", "records_sms_withdrawn"));
      assertSmsWithdrawalRecorded("c-1", List.of("vip"));

      int afterWithdrawal = fake.server.requests().size();
      sync(klaviyo(fake), List.of(withoutSms(ann)));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    }
  }

  @Test
  void klaviyoUnsubscribesBothChannelsOfAContactWhoWithdrewBoth() throws Exception {
    try (FakeKlaviyo fake = new FakeKlaviyo(KL_KEY)) {
      ContactUpdate ann = texting();
      sync(klaviyo(fake), List.of(ann));

      Run second = sync(klaviyo(fake), List.of(withdrawn(withoutSms(ann))));
      assertEquals(List.of(), second.deadLetters());
      assertEquals(List.of("ann@example.com"), fake.unsubscribedEmails);
      assertEquals(List.of("+15550100001"), fake.unsubscribedPhones);
      assertEquals(Set.of(), fake.lists.get("VipL1"));
      assertWithdrawalRecorded("c-1");
      assertSmsWithdrawalRecorded("c-1", List.of());

      int afterWithdrawal = fake.server.requests().size();
      sync(klaviyo(fake), List.of(withdrawn(withoutSms(ann))));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    }
  }

  // ---- Braze ----

  static SendContactUpdates braze(BrazeConnectorTest.FakeBraze fake) {
    return BrazeConnector.create(Credential.of(BrazeConnectorTest.KEY))
        .withBaseUrl(fake.server.baseUrl()).sink();
  }

  @Test
  void brazeSetsTheEmailSubscriptionToUnsubscribedAndClearsOurSegmentAttributes()
      throws Exception {
    BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
    try {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip"));
      sync(braze(fake), List.of(ann));
      assertTrue(fake.users.get("c-1").path("segment_vip").asBoolean(false));

      int before = fake.server.requests().size();
      Run second = sync(braze(fake), List.of(withdrawn(ann)));
      assertEquals(List.of(), second.deadLetters());
      JsonNode user = fake.users.get("c-1");
      assertEquals("unsubscribed", user.path("email_subscribe").asText());
      assertFalse(user.path("segment_vip").asBoolean(true));
      List<Request> calls = since(fake.server, before);
      assertEquals(1, calls.size());
      assertEquals("{\"external_id\":\"c-1\",\"_update_existing_only\":true,"
              + "\"email_subscribe\":\"unsubscribed\",\"segment_vip\":false}",
          Json.parse(calls.get(0).body()).path("attributes").path(0).toString());
      assertWithdrawalRecorded("c-1");

      int afterWithdrawal = fake.server.requests().size();
      sync(braze(fake), List.of(withdrawn(ann)));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    } finally {
      fake.server.close();
    }
  }

  static final String SMS_GROUP = "5a1b2c3d-0000-4000-8000-00000000sms1";

  /**
   * Ann keeps email consent but withdraws SMS consent: besides her attribute update, Braze
   * gets an object with only her external id, update-only, and her SMS subscription group
   * unsubscribed.
   */
  @Test
  void brazeUnsubscribesTheSmsSubscriptionGroupOfAContactWhoKeepsEmailConsent()
      throws Exception {
    BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
    try {
      ContactUpdate ann = texting();
      SendContactUpdates sink = BrazeConnector.create(Credential.of(BrazeConnectorTest.KEY))
          .withBaseUrl(fake.server.baseUrl()).withSmsSubscriptionGroup(SMS_GROUP).sink();
      sync(sink, List.of(ann));
      assertEquals(null, fake.subscriptionGroups.get("c-1"));

      int before = fake.server.requests().size();
      Run second = sync(sink, List.of(withoutSms(ann)));
      assertEquals(List.of(), second.deadLetters());
      assertEquals(Map.of(SMS_GROUP, "unsubscribed"), fake.subscriptionGroups.get("c-1"));
      JsonNode user = fake.users.get("c-1");
      assertTrue(user.path("segment_vip").asBoolean(false));
      assertFalse(user.has("email_subscribe"), user.toString());
      List<String> objects = new ArrayList<>();
      for (Request call : since(fake.server, before)) {
        Json.parse(call.body()).path("attributes").forEach(o -> objects.add(o.toString()));
      }
      assertEquals(2, objects.size(), objects.toString());
      assertTrue(objects.contains("{\"external_id\":\"c-1\",\"_update_existing_only\":true,"
          + "\"subscription_groups\":[{\"subscription_group_id\":\"" + SMS_GROUP + "\","
          + "\"subscription_state\":\"unsubscribed\"}]}"), objects.toString());
      assertSmsWithdrawalRecorded("c-1", List.of("vip"));

      int afterWithdrawal = fake.server.requests().size();
      sync(sink, List.of(withoutSms(ann)));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    } finally {
      fake.server.close();
    }
  }

  /**
   * Without a configured SMS subscription group Braze cannot be told: the SMS withdrawal is
   * dead-lettered saying why (the email update still goes), the state does not record it, and
   * once the group is configured the next run delivers it.
   */
  @Test
  void withoutAnSmsSubscriptionGroupTheBrazeSmsWithdrawalIsDeadLetteredAndRetried()
      throws Exception {
    BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
    try {
      ContactUpdate ann = texting();
      sync(braze(fake), List.of(ann));

      Run second = sync(braze(fake), List.of(withoutSms(ann)));
      assertEquals(1, second.deadLetters().size(), second.deadLetters().toString());
      assertEquals("SMS consent withdrawn, but no Braze SMS subscription group is configured "
              + "(sink mapping braze.sms_subscription_group): the SMS unsubscribe was not sent",
          second.deadLetters().get(0).getReason());
      assertEquals(2, fake.writes.get("c-1").get(), "the email update still goes");
      assertEquals(null, fake.subscriptionGroups.get("c-1"));
      assertFalse(state("c-1").get(0).path("sms_withdrawn").asBoolean(false),
          "not delivered: tried again next run");

      Run third = sync(BrazeConnector.create(Credential.of(BrazeConnectorTest.KEY))
          .withBaseUrl(fake.server.baseUrl()).withSmsSubscriptionGroup(SMS_GROUP).sink(),
          List.of(withoutSms(ann)));
      assertEquals(List.of(), third.deadLetters());
      assertEquals(Map.of(SMS_GROUP, "unsubscribed"), fake.subscriptionGroups.get("c-1"));
      assertSmsWithdrawalRecorded("c-1", List.of("vip"));
    } finally {
      fake.server.close();
    }
  }

  /**
   * Ann keeps email consent but refuses push: besides nothing else (her update is unchanged),
   * Braze gets an object with only her external id, update-only, and {@code push_subscribe:
   * "unsubscribed"}; the state records it and it is not sent again. Bob has no push signal at
   * all: no push withdrawal for him. A failed push withdrawal is retried next run.
   */
  @Test
  void brazeSetsThePushSubscriptionToUnsubscribedForAnExplicitRefusalOnceDelivered()
      throws Exception {
    BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
    try {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip")).toBuilder()
          .setPushConsent(true).build();
      ContactUpdate bob = consenting("c-2", "bob@example.com", List.of("vip"));
      sync(braze(fake), List.of(ann, bob));
      assertFalse(fake.users.get("c-1").has("push_subscribe"));

      // the first try fails (Braze down): nothing recorded, so tried again
      for (int i = 0; i < 3; i++) {
        fake.server.enqueue(Response.json(503, "{\"message\":\"Service Unavailable\"}"));
      }
      ContactUpdate annRefuses = ann.toBuilder().setPushConsent(false).build();
      Run failed = sync(braze(fake).withMaxRetries(2), List.of(annRefuses, bob));
      assertEquals(1, failed.deadLetters().size(), failed.deadLetters().toString());
      assertFalse(state("c-1").get(0).path("push_withdrawn").asBoolean(false));
      assertFalse(fake.users.get("c-1").has("push_subscribe"));

      int before = fake.server.requests().size();
      Run second = sync(braze(fake), List.of(annRefuses, bob));
      assertEquals(List.of(), second.deadLetters());
      assertEquals(1, second.counter("braze", "records_push_withdrawn"));
      assertEquals("unsubscribed", fake.users.get("c-1").path("push_subscribe").asText());
      assertTrue(fake.users.get("c-1").path("segment_vip").asBoolean(false));
      assertFalse(fake.users.get("c-2").has("push_subscribe"), "no signal is no refusal");
      List<String> objects = new ArrayList<>();
      for (Request call : since(fake.server, before)) {
        Json.parse(call.body()).path("attributes").forEach(o -> objects.add(o.toString()));
      }
      assertEquals(List.of("{\"external_id\":\"c-1\",\"_update_existing_only\":true,"
          + "\"push_subscribe\":\"unsubscribed\"}"), objects);
      List<JsonNode> lines = state("c-1");
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).path("push_withdrawn").asBoolean(false), lines.toString());
      assertEquals("[\"vip\"]", lines.get(0).path("segments").toString());
      assertFalse(state("c-2").get(0).path("push_withdrawn").asBoolean(true));

      int afterWithdrawal = fake.server.requests().size();
      sync(braze(fake), List.of(annRefuses, bob));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    } finally {
      fake.server.close();
    }
  }

  // ---- HubSpot ----

  static final String HS_TOKEN = "pat-na1-consent-secret-0042";

  static SendContactUpdates hubspot(FakeHubSpot fake) {
    return HubSpotConnector.create(Credential.of(HS_TOKEN)).withBaseUrl(fake.baseUrl())
        .withSegmentLists(Map.of("vip", "111", "loyal", "222")).sink();
  }

  @Test
  void hubspotUnsubscribesFromAllEmailAndRemovesTheContactFromEveryManagedList()
      throws Exception {
    try (FakeHubSpot fake = new FakeHubSpot(HS_TOKEN)) {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip", "loyal"));
      sync(hubspot(fake), List.of(ann));
      assertEquals(Set.of("ann@example.com"), fake.lists.get("111"));

      Run second = sync(hubspot(fake), List.of(withdrawn(ann)));
      assertEquals(List.of(), second.deadLetters());
      assertEquals(Set.of("ann@example.com"), fake.unsubscribedFromAll);
      assertEquals(Set.of(), fake.lists.get("111"));
      assertEquals(Set.of(), fake.lists.get("222"));
      assertEquals("", fake.contacts.get("ann@example.com").path("audience_segments").asText());
      assertWithdrawalRecorded("c-1");

      int afterWithdrawal = fake.server.requests().size();
      sync(hubspot(fake), List.of(withdrawn(ann)));
      assertEquals(afterWithdrawal, fake.server.requests().size(), "a withdrawal sent twice");
    }
  }

  @Test
  void whereTheHubSpotAccountCannotUnsubscribeTheListsAreLeftAndADeadLetterSaysWhy()
      throws Exception {
    try (FakeHubSpot fake = new FakeHubSpot(HS_TOKEN)) {
      ContactUpdate ann = consenting("c-1", "ann@example.com", List.of("vip"));
      sync(hubspot(fake), List.of(ann));
      fake.subscriptionsForbidden = true;

      Run second = sync(hubspot(fake), List.of(withdrawn(ann)));
      assertEquals(Set.of(), fake.lists.get("111"), "removed from every managed list anyway");
      assertEquals(Set.of(), fake.unsubscribedFromAll);
      assertEquals(1, second.deadLetters().size(), second.deadLetters().toString());
      String reason = second.deadLetters().get(0).getReason();
      assertTrue(reason.startsWith("hubspot rejected the record: could not unsubscribe the "
          + "contact from all email "
          + "(removed from every list the job manages): "), reason);
      assertTrue(reason.contains("MISSING_SCOPES"), reason);
      assertFalse(state("c-1").get(0).path("withdrawn").asBoolean(false),
          "not delivered: tried again next run");

      fake.subscriptionsForbidden = false;
      Run third = sync(hubspot(fake), List.of(withdrawn(ann)));
      assertEquals(List.of(), third.deadLetters());
      assertEquals(Set.of("ann@example.com"), fake.unsubscribedFromAll);
      assertWithdrawalRecorded("c-1");
    }
  }
}
