package dev.audiencesegmenter.io;

import static dev.audiencesegmenter.io.sink.SinkTesting.assertNoSecret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.PlatformFixtures.Fixture;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SinkTesting;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import dev.audiencesegmenter.model.DeadLetter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every sink promises, checked the same way on all five platforms against their fakes:
 * injected faults (503, 429, connection resets, timeouts) lose and duplicate nothing; a wrong
 * credential dead-letters every record with the vendor's answer and shows the credential
 * nowhere; a second delta sync without changes sends nothing.
 */
@Timeout(300)
class EveryPlatformTest {
  static SendContactUpdates tolerant(SendContactUpdates sink) {
    return sink.withNumShards(4).withMaxConcurrentRequests(4).withMaxRequestsPerSecond(500)
        .withMaxRetries(15).withBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
        .withRequestTimeout(Duration.ofMillis(700));
  }

  static Pipeline pipeline() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setTargetParallelism(4);
    return Pipeline.create(options);
  }

  static void assertEachStoredOnce(Fixture fixture, List<ContactUpdate> input) {
    for (ContactUpdate update : input) {
      AtomicInteger writes = fixture.writes().get(fixture.vendorKey(update));
      assertNotNull(writes, update.getKey() + " never arrived");
      assertEquals(1, writes.get(), update.getKey() + " was stored more than once");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"hubspot", "mailchimp", "klaviyo", "braze", "salesforce"})
  void injectedFaultsLoseAndDuplicateNothing(String platform) {
    try (Fixture fixture = PlatformFixtures.start(platform)) {
      SendContactUpdates sink = tolerant(fixture.sink());
      // eight full requests: enough for every kind of fault at this rate
      int records = Math.min(10_000, 8 * sink.getConnector().maxRecordsPerRequest());
      fixture.server().faultRate = 0.4;
      fixture.server().faultTimeoutMillis = 1_500; // past the 700 ms request timeout
      List<ContactUpdate> input = SinkTesting.contacts(records);
      Pipeline pipeline = pipeline();
      SendContactUpdates.Result result = pipeline.apply(Create.of(input)).apply(sink);
      Queue<DeadLetter> dead = SinkTesting.collect(result.getDeadLetters(), platform + "-dead");
      Queue<String> sent = SinkTesting.collect(result.getSentKeys(), platform + "-sent");
      pipeline.run().waitUntilFinish();

      assertEquals(List.of(), List.copyOf(dead));
      assertEquals(records, sent.size());
      assertEquals(records, new HashSet<>(sent).size());
      assertEachStoredOnce(fixture, input);
      // the faults come in turn (503, 429, reset, timeout): four or more means each kind
      assertTrue(fixture.server().faultsInjected() >= 4,
          "faults injected: " + fixture.server().faultsInjected());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"hubspot", "mailchimp", "klaviyo", "braze", "salesforce"})
  void aWrongCredentialDeadLettersEveryRecordAndShowsItNowhere(String platform) {
    try (Fixture fixture = PlatformFixtures.start(platform)) {
      String wrong = "wrong-" + platform + "-credential-0099-us21";
      List<ContactUpdate> input = SinkTesting.contacts(12);
      Pipeline pipeline = pipeline();
      SendContactUpdates.Result result = pipeline.apply(Create.of(input))
          .apply(tolerant(fixture.sink(wrong)).withNumShards(1));
      Queue<DeadLetter> dead = SinkTesting.collect(result.getDeadLetters(), platform + "-auth");
      pipeline.run().waitUntilFinish();

      assertEquals(12, dead.size());
      for (DeadLetter letter : dead) {
        assertTrue(letter.getReason().startsWith(platform + " refused the request: "),
            letter.getReason());
        assertTrue(letter.getReason().length() > (platform + " refused the request: ").length(),
            "the vendor's answer is kept: " + letter.getReason());
      }
      assertNoSecret(dead, wrong);
      assertNoSecret(dead, fixture.secret());
      assertEquals(1, fixture.server().requests().size(), "a refused credential is not retried");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"hubspot", "mailchimp", "klaviyo", "braze", "salesforce"})
  void aSecondSyncWithoutChangesSendsNothing(String platform, @TempDir Path dir) {
    try (Fixture fixture = PlatformFixtures.start(platform)) {
      List<ContactUpdate> input = SinkTesting.contacts(30);
      String state = dir.resolve("sync-state").toString();
      sync(fixture, input, state);
      int afterFirst = fixture.server().requests().size();
      assertTrue(afterFirst > 0);
      assertEachStoredOnce(fixture, input);

      sync(fixture, input, state);
      assertEquals(afterFirst, fixture.server().requests().size(), "the second run sent");
    }
  }

  static void sync(Fixture fixture, List<ContactUpdate> updates, String state) {
    Pipeline pipeline = pipeline();
    PCollection<SyncStateEntry> previous = pipeline.apply("ReadState", SyncState.read(state));
    DeltaSync.Result delta = pipeline.apply(Create.of(updates))
        .apply(DeltaSync.against(previous));
    SendContactUpdates.Result sent = delta.getChanges().apply(tolerant(fixture.sink()));
    delta.getNewState().apply(SyncState.commit(state, previous, sent, 2));
    pipeline.run().waitUntilFinish();
  }
}
