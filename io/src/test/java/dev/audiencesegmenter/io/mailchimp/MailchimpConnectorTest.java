package dev.audiencesegmenter.io.mailchimp;

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
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.VendorCall;
import dev.audiencesegmenter.model.DeadLetter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class MailchimpConnectorTest {
  static final String KEY = "0123456789abcdef0123456789abcdef-us21";
  static final String LIST = "a1b2c3d4e5";
  static final String NS = "sink.mailchimp";

  FakeMailchimp mailchimp;

  @BeforeEach
  void start() throws Exception {
    mailchimp = new FakeMailchimp(KEY, LIST);
  }

  @AfterEach
  void stop() {
    mailchimp.close();
  }

  SendContactUpdates sink(String account) {
    return MailchimpConnector.create(Credential.of(KEY), LIST)
        .withBaseUrl(mailchimp.baseUrl())
        .withAccount(account)
        .withMergeFields(Map.of("first_name", "FNAME"))
        .sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  @Test
  void subscribesConsentingContactsInBatchesOf500AndDeadLettersRejectedMembers(
      TestPipeline pipeline) {
    List<ContactUpdate> input = new ArrayList<>(contacts(1200));
    input.add(contact("c-bad", "invalid@example.com"));
    mailchimp.server.enqueue(Response.json(500, "{\"title\":\"Internal Server Error\"}"));
    mailchimp.server.enqueue(Response.json(429, "{\"title\":\"Too Many Requests\"}"));
    SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink("batches"));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "mailchimpDead1");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    assertEquals(1200, mailchimp.membersByHash.size());
    assertTrue(mailchimp.membersByHash.values().stream().allMatch(m -> m.writes.get() == 1));
    assertEquals(1200, Set.copyOf(mailchimp.subscribedEmails).size());
    assertTrue(mailchimp.batchSizes.stream().allMatch(size -> size <= 500),
        mailchimp.batchSizes.toString());
    FakeMailchimp.Member member = mailchimp.member("user-7@example.com");
    assertEquals("subscribed", member.status);
    assertEquals("Nc-0007", member.mergeFields.path("FNAME").asText());
    assertTrue(member.tags.contains("loyal_customers"));
    assertEquals(1, dead.size());
    assertTrue(dead.peek().getReason().contains("looks fake or invalid"), dead.peek().toString());
    assertTrue(dead.peek().getReason().contains("ERROR_GENERIC"));
    assertNoSecret(dead, KEY);
    assertEquals(2, counter(run, NS, "requests_retried"));
    assertEquals(1, counter(run, NS, "requests_throttled"));
  }

  /** Without a sync state, every contact without consent is unsubscribed, none subscribed. */
  @Test
  void contactsWithoutConsentAreUnsubscribedAndLoseOurTagsNeverSubscribed(
      TestPipeline pipeline) {
    mailchimp.existing("left@example.com", "loyal_customers", "vip", "newsletter");
    mailchimp.existing("unsub@example.com", "loyal_customers");
    mailchimp.existing("stays@example.com", "lapsed");
    ContactUpdate noConsentNoExit = ContactUpdate.builder("c-1").setEmail("never@example.com")
        .setFields(Map.of("first_name", "Nev"))
        .setSegmentsCurrent(List.of("vip")).setSegmentsEntered(List.of("vip")).build();
    ContactUpdate noConsentExit = ContactUpdate.builder("c-2").setEmail("left@example.com")
        .setSegmentsCurrent(List.of("vip")).setSegmentsEntered(List.of("vip"))
        .setSegmentsExited(List.of("loyal_customers")).build();
    ContactUpdate unsubscribedExit = ContactUpdate.builder("c-3").setEmail("unsub@example.com")
        .setEmailConsent(true).setUnsubscribed(true)
        .setSegmentsExited(List.of("loyal_customers")).build();
    ContactUpdate consentedMove = ContactUpdate.builder("c-5").setEmail("stays@example.com")
        .setEmailConsent(true).setSegmentsCurrent(List.of("loyal_customers"))
        .setSegmentsEntered(List.of("loyal_customers")).setSegmentsExited(List.of("lapsed"))
        .build();
    SendContactUpdates.Result result = pipeline.apply(Create.of(List.of(noConsentNoExit,
        noConsentExit, unsubscribedExit, consentedMove))).apply(sink("consent"));
    Queue<DeadLetter> dead = collect(result.getDeadLetters(), "mailchimpDead2");
    Queue<String> sent = collect(result.getSentKeys(), "mailchimpSent2");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();

    assertTrue(dead.isEmpty(), dead.toString());
    assertEquals(Set.of("c-1", "c-2", "c-3", "c-5"), Set.copyOf(sent));
    assertEquals("subscribed", mailchimp.member("stays@example.com").status);
    assertEquals(Set.of("loyal_customers"), mailchimp.member("stays@example.com").tags);
    for (String email : List.of("never@example.com", "left@example.com",
        "unsub@example.com")) {
      assertEquals("unsubscribed", mailchimp.member(email).status, email);
      assertTrue(mailchimp.member(email).mergeFields.isMissingNode(), "no merge field sent");
    }
    assertEquals(Set.of(), mailchimp.member("never@example.com").tags);
    assertEquals(Set.of("newsletter"), mailchimp.member("left@example.com").tags);
    assertEquals(Set.of(), mailchimp.member("unsub@example.com").tags);
    assertEquals(3, counter(run, NS, "records_withdrawn"));
  }

  @Test
  void concurrencyStaysUnderTheTenConnectionLimit(TestPipeline pipeline) {
    mailchimp.server.latencyMillis = 20;
    List<ContactUpdate> input = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      input.add(ContactUpdate.builder("k" + i).setEmail("x" + i + "@example.com")
          .setSegmentsExited(List.of("gone")).build());
      mailchimp.existing("x" + i + "@example.com", "gone");
    }
    pipeline.apply(Create.of(input)).apply(sink("limit").withNumShards(8)
        .withMaxConcurrentRequests(5).withMaxRequestsPerSecond(1000));
    pipeline.run().waitUntilFinish();
    assertTrue(mailchimp.server.maxConcurrentRequests() <= 5);
    assertTrue(mailchimp.membersByHash.values().stream().allMatch(m -> m.tags.isEmpty()));
  }

  @Test
  void moreThanTenConnectionsPerWorkerIsRefused(TestPipeline pipeline) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> pipeline.apply(Create.of(contacts(1)))
            .apply(sink("tooMany").withMaxConcurrentRequests(11)));
    assertTrue(e.getMessage().contains("at most 10"), e.getMessage());
    assertTrue(e.getMessage().contains("11"), e.getMessage());
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  void theHostComesFromTheKeysDataCenter() {
    MailchimpConnector connector = MailchimpConnector.create(Credential.of(KEY), LIST);
    List<VendorCall> calls = connector.plan(contacts(2), KEY);
    assertEquals("https://us21.api.mailchimp.com/3.0/lists/" + LIST,
        calls.get(0).uri().toString());
    IllegalStateException noDc = assertThrows(IllegalStateException.class,
        () -> connector.plan(contacts(1), "plainkeywithoutdc"));
    assertFalse(noDc.getMessage().contains("plainkeywithoutdc"));
    assertEquals("b58996c504c5638798eb6b511e6f49af",
        MailchimpConnector.subscriberHash("User@Example.com"));
    assertFalse(connector.toString().contains(KEY));
    assertThrows(IllegalArgumentException.class,
        () -> MailchimpConnector.create(Credential.of(KEY), "bad/list"));
  }
}
