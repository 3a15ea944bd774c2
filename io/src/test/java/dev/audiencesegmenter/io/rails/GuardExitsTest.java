package dev.audiencesegmenter.io.rails;

import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 17, item 5: a sync whose exits exceed the limits sends only what adds or updates; the
 * customers it would have removed keep their state and are listed.
 */
@ExtendWith(TestPipelineExtension.class)
class GuardExitsTest {

  static ContactUpdate update(String key, List<String> segments, String tier) {
    return ContactUpdate.builder(key).setEmail(key + "@example.com").setEmailConsent(true)
        .setFields(Map.of("tier", tier)).setSegmentsCurrent(segments).build();
  }

  static SyncStateEntry synced(ContactUpdate update) {
    return SyncStateEntry.create(update.getKey(), DeltaSync.payloadHash(update),
        update.getSegmentsCurrent(), update.getEmail(), null);
  }

  static final ContactUpdate A = update("a", List.of("loyal"), "gold");
  static final ContactUpdate B_BEFORE = update("b", List.of("loyal"), "gold");
  static final ContactUpdate C_BEFORE = update("c", List.of("loyal", "vip"), "gold");
  static final ContactUpdate C = update("c", List.of("vip"), "silver");
  static final ContactUpdate D_BEFORE = update("d", List.of("vip"), "gold");
  static final ContactUpdate E_BEFORE = update("e", List.of("lapsed"), "gold");
  static final ContactUpdate F_NEW = update("f", List.of("vip"), "bronze");

  /** Five customers synced; now b, d and e are missing (-40 %) and c leaves loyal. */
  static GuardExits.Result guard(TestPipeline pipeline, ChangeLimits limits) {
    PCollection<SyncStateEntry> previous = pipeline.apply("Previous", Create.of(List.of(
        synced(A), synced(B_BEFORE), synced(C_BEFORE), synced(D_BEFORE), synced(E_BEFORE))));
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Current", Create.of(List.of(A, C, F_NEW))), previous)
        .apply(DeltaSync.create());
    return GuardExits.inputs(delta.getChanges(), previous, delta.getNewState())
        .apply(GuardExits.of("hubspot", limits));
  }

  @Test
  void refusedExitsAreHeldBackAndListedWhileUpdatesGoOut(TestPipeline pipeline) {
    GuardExits.Result guarded = guard(pipeline, ChangeLimits.defaults());
    // c keeps loyal (its new field goes out), f is added; nobody is removed
    ContactUpdate cKept = C.toBuilder().setSegmentsCurrent(List.of("loyal", "vip")).build();
    PAssert.that(guarded.getChanges()).containsInAnyOrder(cKept,
        F_NEW.toBuilder().setSegmentsEntered(List.of("vip")).build());
    PAssert.that(guarded.getNewState()).containsInAnyOrder(synced(A), synced(cKept),
        synced(F_NEW), synced(B_BEFORE), synced(D_BEFORE), synced(E_BEFORE));
    PAssert.that(guarded.getRefused()).containsInAnyOrder(
        "{\"destination\":\"hubspot\",\"customer_key\":\"b\",\"customer_gone\":true,"
            + "\"segments_exited\":[\"loyal\"]}",
        "{\"destination\":\"hubspot\",\"customer_key\":\"c\",\"customer_gone\":false,"
            + "\"segments_exited\":[\"loyal\"]}",
        "{\"destination\":\"hubspot\",\"customer_key\":\"d\",\"customer_gone\":true,"
            + "\"segments_exited\":[\"vip\"]}",
        "{\"destination\":\"hubspot\",\"customer_key\":\"e\",\"customer_gone\":true,"
            + "\"segments_exited\":[\"lapsed\"]}");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void allowedChangesPassUntouched(TestPipeline pipeline) {
    GuardExits.Result guarded = guard(pipeline,
        ChangeLimits.defaults().withAllowLargeChanges(true));
    PAssert.that(guarded.getChanges()).containsInAnyOrder(
        C.toBuilder().setSegmentsExited(List.of("loyal")).build(),
        F_NEW.toBuilder().setSegmentsEntered(List.of("vip")).build(),
        ContactUpdate.builder("b").setEmail("b@example.com")
            .setSegmentsExited(List.of("loyal")).setExitOnly(true).build(),
        ContactUpdate.builder("d").setEmail("d@example.com")
            .setSegmentsExited(List.of("vip")).setExitOnly(true).build(),
        ContactUpdate.builder("e").setEmail("e@example.com")
            .setSegmentsExited(List.of("lapsed")).setExitOnly(true).build());
    PAssert.that(guarded.getNewState()).containsInAnyOrder(synced(A), synced(C),
        synced(F_NEW));
    PAssert.that(guarded.getRefused()).empty();
    pipeline.run().waitUntilFinish();
  }

  /**
   * A withdrawal (no consent on a platform that handles withdrawals) is the customer's own word,
   * not a sign of lost input: it is neither held back nor counted as an exit, and its state
   * records the withdrawal. Here 3 of 5 customers withdraw (60 % of the memberships would end);
   * b's exit, the one real exit (20 % of the customers gone), passes within the limits.
   */
  @Test
  void withdrawalsAreNeitherHeldBackNorCountedAsExits(TestPipeline pipeline) {
    ContactUpdate cOut = C_BEFORE.toBuilder().setEmailConsent(false).build();
    ContactUpdate dOut = D_BEFORE.toBuilder().setEmailConsent(false).build();
    ContactUpdate eOut = E_BEFORE.toBuilder().setUnsubscribed(true).build();
    PCollection<SyncStateEntry> previous = pipeline.apply("Previous", Create.of(List.of(
        synced(A), synced(B_BEFORE), synced(C_BEFORE), synced(D_BEFORE), synced(E_BEFORE))));
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Current", Create.of(List.of(A, cOut, dOut, eOut))), previous)
        .apply(DeltaSync.create());
    GuardExits.Result guarded = GuardExits
        .inputs(delta.getChanges(), previous, delta.getNewState())
        .apply(GuardExits.of("mailchimp", ChangeLimits.defaults()).withWithdrawals(true));
    PAssert.that(guarded.getChanges()).containsInAnyOrder(
        cOut.toBuilder().setSegmentsExited(List.of("loyal", "vip")).build(),
        dOut.toBuilder().setSegmentsExited(List.of("vip")).build(),
        eOut.toBuilder().setSegmentsExited(List.of("lapsed")).build(),
        ContactUpdate.builder("b").setEmail("b@example.com")
            .setSegmentsExited(List.of("loyal")).setExitOnly(true).build());
    PAssert.that(guarded.getNewState()).containsInAnyOrder(synced(A),
        withdrawn(cOut), withdrawn(dOut), withdrawn(eOut));
    PAssert.that(guarded.getRefused()).empty();
    pipeline.run().waitUntilFinish();
  }

  static SyncStateEntry withdrawn(ContactUpdate update) {
    return SyncStateEntry.create(update.getKey(), DeltaSync.payloadHash(update), List.of(),
        update.getEmail(), null, true);
  }

  /**
   * A customer may have two changes in one sync (its update and an SMS withdrawal): both go out,
   * whether or not the exits are refused.
   */
  @Test
  void bothChangesOfACustomerPassRefusedOrNot(TestPipeline pipeline) {
    ContactUpdate gBefore = update("g", List.of("vip"), "gold").toBuilder()
        .setPhone("+14155550100").setSmsConsent(true).build();
    ContactUpdate g = gBefore.toBuilder().setSmsConsent(false).build();
    SyncStateEntry gSynced = SyncStateEntry.create("g", DeltaSync.payloadHash(gBefore),
        List.of("vip"), "g@example.com", "+14155550100");
    for (boolean allow : List.of(false, true)) {
      String run = allow ? "Allowed" : "Refused";
      PCollection<SyncStateEntry> previous = pipeline.apply(run + "Previous", Create.of(List.of(
          synced(A), synced(B_BEFORE), synced(C_BEFORE), synced(D_BEFORE), synced(E_BEFORE),
          gSynced)));
      DeltaSync.Result delta = DeltaSync.inputs(
              pipeline.apply(run + "Current", Create.of(List.of(A, C, g))), previous)
          .apply(run + "Delta", DeltaSync.create().withSmsWithdrawals(true));
      GuardExits.Result guarded = GuardExits
          .inputs(delta.getChanges(), previous, delta.getNewState())
          .apply(run + "Guard",
              GuardExits.of("klaviyo", ChangeLimits.defaults().withAllowLargeChanges(allow))
                  .withWithdrawals(true));
      PAssert.that(run + " changes of g", guarded.getChanges().apply(run + "OfG",
              Filter.by(change -> change.getKey().equals("g"))))
          .containsInAnyOrder(g, ContactUpdate.smsWithdrawal("g", "+14155550100"));
    }
    pipeline.run().waitUntilFinish();
  }

  /**
   * A held-back customer's state keeps what the sync delivered besides the exit: here the SMS
   * withdrawal, which is not sent again next run.
   */
  @Test
  void aHeldBackCustomerKeepsItsDeliveredSmsWithdrawal(TestPipeline pipeline) {
    ContactUpdate cBefore = C_BEFORE.toBuilder().setPhone("+14155550101").setSmsConsent(true)
        .build();
    ContactUpdate cNow = C.toBuilder().setPhone("+14155550101").build(); // SMS consent gone
    SyncStateEntry cSynced = SyncStateEntry.create("c", DeltaSync.payloadHash(cBefore),
        List.of("loyal", "vip"), "c@example.com", "+14155550101");
    PCollection<SyncStateEntry> previous = pipeline.apply("Previous", Create.of(List.of(
        synced(A), synced(B_BEFORE), cSynced, synced(D_BEFORE), synced(E_BEFORE))));
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Current", Create.of(List.of(A, cNow))), previous)
        .apply(DeltaSync.create().withSmsWithdrawals(true));
    GuardExits.Result guarded = GuardExits
        .inputs(delta.getChanges(), previous, delta.getNewState())
        .apply(GuardExits.of("klaviyo", ChangeLimits.defaults()).withWithdrawals(true));
    ContactUpdate cKept = cNow.toBuilder().setSegmentsCurrent(List.of("loyal", "vip")).build();
    PAssert.that(guarded.getNewState().apply(Filter.by(e -> e.getKey().equals("c"))))
        .containsInAnyOrder(SyncStateEntry.create("c", DeltaSync.payloadHash(cKept),
            List.of("loyal", "vip"), "c@example.com", "+14155550101", false, true, false));
    pipeline.run().waitUntilFinish();
  }
}
