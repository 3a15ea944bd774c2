package dev.audiencesegmenter.io.activation;

import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.model.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The sync log of one destination: each change counted by what it did, and why some failed. */
@ExtendWith(TestPipelineExtension.class)
class SyncLogTest {
  static ContactUpdate change(String key, List<String> current, List<String> entered,
      List<String> exited) {
    return ContactUpdate.builder(key).setEmail(key + "@example.com").setEmailConsent(true)
        .setSegmentsCurrent(current).setSegmentsEntered(entered).setSegmentsExited(exited)
        .build();
  }

  @Test
  void countsEachChangeByWhatItDidAndRanksTheReasons(TestPipeline pipeline) {
    List<ContactUpdate> changes = new ArrayList<>(List.of(
        change("new-1", List.of("vip"), List.of("vip"), List.of()),          // added
        change("new-2", List.of("vip", "loyal"), List.of("vip", "loyal"), List.of()), // added
        change("moved", List.of("loyal"), List.of("loyal"), List.of("vip")),  // updated
        change("field", List.of("vip"), List.of(), List.of()),                // updated
        change("left", List.of(), List.of(), List.of("vip")),                 // removed
        ContactUpdate.builder("gone").setExitOnly(true).setSegmentsExited(List.of("vip"))
            .build(),                                                          // removed
        ContactUpdate.builder("quit").setEmail("q@example.com").setExitOnly(true)
            .setWithdrawn(true).setSegmentsExited(List.of("vip")).build(),     // unsubscribed
        ContactUpdate.smsWithdrawal("quit", "+15550100001")));                 // unsubscribed
    for (int i = 0; i < 7; i++) {
      changes.add(change("bad-" + i, List.of("vip"), List.of("vip"), List.of())); // rejected
    }
    List<DeadLetter> dead = new ArrayList<>();
    String[] reasons = {"b invalid email", "b invalid email", "a quota", "a quota",
        "c locked", "e blocked", "d bounced"};
    for (int i = 0; i < 7; i++) {
      dead.add(DeadLetter.create("Send to hubspot", reasons[i], "{\"key\":\"bad-" + i + "\"}"));
    }
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      failed.add("bad-" + i);
    }
    PCollection<String> log = PCollectionTuple
        .of(SyncLog.SENT_CHANGES, pipeline.apply("Changes", Create.of(changes)))
        .and(SyncLog.FAILED_KEYS, pipeline.apply("Failed", Create.of(failed)))
        .and(SyncLog.DEAD_LETTERS, pipeline.apply("Dead", Create.of(dead)))
        .and(SyncLog.SKIPPED_FOR_CONSENT, pipeline.apply("Skipped",
            Create.of(List.of("s1", "s2", "s3"))))
        .apply(new SyncLog("hubspot", false));
    // two reasons twice (by reason when tied), then three once, by reason: five of six
    PAssert.that(log).containsInAnyOrder("{\"platform\":\"hubspot\",\"dry_run\":false,"
        + "\"added\":2,\"updated\":2,\"removed\":2,\"unsubscribed\":2,\"rejected\":7,"
        + "\"skipped_for_consent\":3,\"first_rejections\":["
        + "{\"reason\":\"a quota\",\"count\":2},{\"reason\":\"b invalid email\",\"count\":2},"
        + "{\"reason\":\"c locked\",\"count\":1},{\"reason\":\"d bounced\",\"count\":1},"
        + "{\"reason\":\"e blocked\",\"count\":1}]}");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aRunWithNothingToSendStillLogsZeros(TestPipeline pipeline) throws Exception {
    PCollection<String> log = PCollectionTuple
        .of(SyncLog.SENT_CHANGES, pipeline.apply("Changes", Create.empty(
            pipeline.getSchemaRegistry().getSchemaCoder(ContactUpdate.class))))
        .and(SyncLog.FAILED_KEYS, pipeline.apply("Failed", Create.empty(StringUtf8Coder.of())))
        .and(SyncLog.DEAD_LETTERS, pipeline.apply("Dead", Create.empty(
            pipeline.getSchemaRegistry().getSchemaCoder(DeadLetter.class))))
        .and(SyncLog.SKIPPED_FOR_CONSENT, pipeline.apply("Skipped",
            Create.empty(StringUtf8Coder.of())))
        .apply(new SyncLog("kit", true));
    PAssert.that(log).containsInAnyOrder("{\"platform\":\"kit\",\"dry_run\":true,\"added\":0,"
        + "\"updated\":0,\"removed\":0,\"unsubscribed\":0,\"rejected\":0,"
        + "\"skipped_for_consent\":0,\"first_rejections\":[]}");
    pipeline.run().waitUntilFinish();
  }
}
