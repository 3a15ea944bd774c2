package dev.audiencesegmenter.io.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class DeltaSyncTest {

  static ContactUpdate update(String key, List<String> segments, String value) {
    return ContactUpdate.builder(key).setEmail(key + "@example.com").setEmailConsent(true)
        .setFields(Map.of("tier", value)).setSegmentsCurrent(segments).build();
  }

  static SyncStateEntry synced(ContactUpdate update) {
    return SyncStateEntry.create(update.getKey(), DeltaSync.payloadHash(update),
        update.getSegmentsCurrent(), update.getEmail(), null);
  }

  /** Previous: a, b, c, d, e. Now: a unchanged, b entered, c changed a field, d gone, e left all. */
  static final ContactUpdate A = update("a", List.of("loyal"), "gold");
  static final ContactUpdate B_BEFORE = update("b", List.of("loyal"), "gold");
  static final ContactUpdate B = update("b", List.of("vip", "loyal"), "gold");
  static final ContactUpdate C_BEFORE = update("c", List.of("lapsed"), "gold");
  static final ContactUpdate C = update("c", List.of("lapsed"), "silver");
  static final ContactUpdate D_BEFORE = update("d", List.of("lapsed", "vip"), "gold");
  static final ContactUpdate E_BEFORE = update("e", List.of("vip"), "gold");
  static final ContactUpdate E = update("e", List.of(), "gold");
  static final ContactUpdate F_NEW = update("f", List.of("new_customers"), "bronze");
  static final ContactUpdate G_NEW_NO_SEGMENT = update("g", List.of(), "bronze");

  PCollection<SyncStateEntry> previous(TestPipeline pipeline) {
    return pipeline.apply("Previous", Create.of(List.of(synced(A), synced(B_BEFORE),
        synced(C_BEFORE), synced(D_BEFORE), synced(E_BEFORE))));
  }

  PCollection<ContactUpdate> current(TestPipeline pipeline) {
    return pipeline.apply("Current", Create.of(List.of(A, B, C, E, F_NEW, G_NEW_NO_SEGMENT)));
  }

  @Test
  void sendsOnlyEnteredExitedChangedAndGoneCustomers(TestPipeline pipeline) {
    DeltaSync.Result delta = DeltaSync.inputs(current(pipeline),
            previous(pipeline))
        .apply(DeltaSync.create());
    PAssert.that(delta.getChanges()).containsInAnyOrder(
        B.toBuilder().setSegmentsCurrent(List.of("loyal", "vip"))
            .setSegmentsEntered(List.of("vip")).build(),
        C,
        ContactUpdate.builder("d").setEmail("d@example.com")
            .setSegmentsExited(List.of("lapsed", "vip")).setExitOnly(true).build(),
        E.toBuilder().setSegmentsExited(List.of("vip")).build(),
        F_NEW.toBuilder().setSegmentsEntered(List.of("new_customers")).build());
    PAssert.that(delta.getNewState()).containsInAnyOrder(synced(A),
        synced(B.toBuilder().setSegmentsCurrent(List.of("loyal", "vip")).build()), synced(C),
        synced(E), synced(F_NEW));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void fullResyncSendsEveryone(TestPipeline pipeline) {
    DeltaSync.Result delta = DeltaSync.inputs(current(pipeline),
            previous(pipeline))
        .apply(DeltaSync.create().withFullResync(true));
    PAssert.that(delta.getChanges().apply(org.apache.beam.sdk.transforms.MapElements
            .into(org.apache.beam.sdk.values.TypeDescriptors.strings())
            .via(ContactUpdate::getKey)))
        .containsInAnyOrder("a", "b", "c", "d", "e", "f", "g");
    pipeline.run().waitUntilFinish();
  }

  /**
   * A destination that receives everyone gets g, new and in no segment, like any changed
   * customer; the rest is as for members only. A customer without consent is still not sent.
   */
  @Test
  void everyoneAlsoSendsCustomersInNoSegment(TestPipeline pipeline) {
    ContactUpdate silent = update("s", List.of(), "bronze").toBuilder().setEmailConsent(false)
        .build();
    DeltaSync.Result delta = DeltaSync.inputs(pipeline.apply("Current",
            Create.of(List.of(A, B, C, E, F_NEW, G_NEW_NO_SEGMENT, silent))), previous(pipeline))
        .apply(DeltaSync.create().withEveryone(true));
    PAssert.that(delta.getChanges().apply(org.apache.beam.sdk.transforms.MapElements
            .into(org.apache.beam.sdk.values.TypeDescriptors.strings())
            .via(ContactUpdate::getKey)))
        .containsInAnyOrder("b", "c", "d", "e", "f", "g");
    PAssert.that(delta.getSkippedForConsent()).containsInAnyOrder("s");
    pipeline.run().waitUntilFinish();
  }

  @Test
  void theHashIgnoresOrderAndDeltasButNotValues() {
    ContactUpdate one = update("x", List.of("a", "b"), "gold");
    ContactUpdate reordered = update("x", List.of("b", "a"), "gold").toBuilder()
        .setSegmentsEntered(List.of("b")).build();
    assertEquals(DeltaSync.payloadHash(one), DeltaSync.payloadHash(reordered));
    assertNotEquals(DeltaSync.payloadHash(one),
        DeltaSync.payloadHash(update("x", List.of("a", "b"), "silver")));
    assertNotEquals(DeltaSync.payloadHash(one), DeltaSync.payloadHash(one.toBuilder()
        .setUnsubscribed(true).build()));
  }

  /**
   * h consented and was synced in vip, then withdrew; i withdrew and it was delivered; j never
   * consented and was never synced (dropped, no state); k's withdrawal was delivered, then k
   * consented again.
   */
  @Test
  void aWithdrawalIsSentUntilTheStateSaysItWasDelivered(TestPipeline pipeline) {
    ContactUpdate hBefore = update("h", List.of("vip"), "gold");
    ContactUpdate h = hBefore.toBuilder().setEmailConsent(false)
        .setSegmentsCurrent(List.of("loyal")).build();
    ContactUpdate i = update("i", List.of("vip"), "gold").toBuilder().setUnsubscribed(true)
        .build();
    ContactUpdate j = update("j", List.of("vip"), "gold").toBuilder().setEmailConsent(false)
        .build();
    ContactUpdate kBefore = update("k", List.of("vip"), "gold").toBuilder()
        .setEmailConsent(false).build();
    ContactUpdate k = update("k", List.of("vip"), "gold");
    SyncStateEntry iDelivered = SyncStateEntry.create("i", DeltaSync.payloadHash(i), List.of(),
        "i@example.com", null, true);
    SyncStateEntry kDelivered = SyncStateEntry.create("k", DeltaSync.payloadHash(kBefore),
        List.of(), "k@example.com", null, true);
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Now", Create.of(List.of(h, i, j, k))),
            pipeline.apply("Before", Create.of(List.of(synced(hBefore),
            iDelivered, kDelivered))))
        .apply(DeltaSync.create());
    PAssert.that(delta.getChanges()).containsInAnyOrder(
        h.toBuilder().setSegmentsExited(List.of("loyal", "vip")).build(),
        k.toBuilder().setSegmentsEntered(List.of("vip")).build());
    PAssert.that(delta.getNewState()).containsInAnyOrder(
        SyncStateEntry.create("h", DeltaSync.payloadHash(h), List.of(), "h@example.com", null,
            true),
        iDelivered,
        synced(k));
    pipeline.run().waitUntilFinish();
  }

  static ContactUpdate texting(String key, String phone, boolean smsConsent) {
    return update(key, List.of("vip"), "gold").toBuilder().setPhone(phone)
        .setSmsConsent(smsConsent).build();
  }

  static SyncStateEntry state(ContactUpdate update, boolean withdrawn, boolean smsWithdrawn) {
    return SyncStateEntry.create(update.getKey(), DeltaSync.payloadHash(update),
        withdrawn ? List.of() : update.getSegmentsCurrent(), update.getEmail(),
        update.getPhone(), withdrawn, smsWithdrawn);
  }

  /**
   * With SMS withdrawals on: p withdrew SMS consent (email kept): the email update and, apart,
   * the SMS withdrawal (key and phone only); q's SMS withdrawal was delivered: nothing; r has
   * an older state line (no sms_withdrawn) and is unchanged: only the SMS withdrawal; s is new
   * (the platform never had the number: nothing to withdraw); t's number changed (new to the
   * platform); u withdrew both email and SMS; v consented to SMS again.
   */
  @Test
  void anSmsWithdrawalIsSentApartUntilTheStateSaysItWasDelivered(TestPipeline pipeline) {
    ContactUpdate pBefore = texting("p", "+15550100001", true);
    ContactUpdate p = texting("p", "+15550100001", false);
    ContactUpdate q = texting("q", "+15550100002", false);
    ContactUpdate r = texting("r", "+15550100003", false);
    ContactUpdate s = texting("s", "+15550100004", false);
    ContactUpdate tBefore = texting("t", "+15550100005", false);
    ContactUpdate t = texting("t", "+15550100095", false);
    ContactUpdate uBefore = texting("u", "+15550100006", true);
    ContactUpdate u = texting("u", "+15550100006", false).toBuilder().setEmailConsent(false)
        .build();
    ContactUpdate vBefore = texting("v", "+15550100007", false);
    ContactUpdate v = texting("v", "+15550100007", true);
    SyncStateEntry rOlder = SyncState.parse("{\"key\":\"r\",\"payload_hash\":\""
        + DeltaSync.payloadHash(r) + "\",\"segments\":[\"vip\"],\"email\":\"r@example.com\","
        + "\"phone\":\"+15550100003\",\"withdrawn\":false}");
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Now", Create.of(List.of(p, q, r, s, t, u, v))),
            pipeline.apply("Before", Create.of(List.of(
            state(pBefore, false, false), state(q, false, true), rOlder,
            state(tBefore, false, true), state(uBefore, false, false),
            state(vBefore, false, true)))))
        .apply(DeltaSync.create().withSmsWithdrawals(true));
    PAssert.that(delta.getChanges()).containsInAnyOrder(
        p,
        ContactUpdate.smsWithdrawal("p", "+15550100001"),
        ContactUpdate.smsWithdrawal("r", "+15550100003"),
        s.toBuilder().setSegmentsEntered(List.of("vip")).build(),
        t,
        u.toBuilder().setSegmentsExited(List.of("vip")).build(),
        ContactUpdate.smsWithdrawal("u", "+15550100006"),
        v);
    PAssert.that(delta.getNewState()).containsInAnyOrder(
        state(p, false, true), state(q, false, true), state(r, false, true),
        state(s, false, true), state(t, false, true), state(u, true, true),
        state(v, false, false));
    pipeline.run().waitUntilFinish();
  }

  static ContactUpdate pushing(String key, Boolean pushConsent) {
    return update(key, List.of("vip"), "gold").toBuilder().setPushConsent(pushConsent).build();
  }

  static SyncStateEntry pushState(ContactUpdate update, boolean withdrawn,
      boolean pushWithdrawn) {
    return SyncStateEntry.create(update.getKey(), DeltaSync.payloadHash(update),
        withdrawn ? List.of() : update.getSegmentsCurrent(), update.getEmail(),
        update.getPhone(), withdrawn, false, pushWithdrawn);
  }

  /**
   * With push withdrawals on: a refused push (email kept; push consent is not part of the
   * payload, so the update itself is unchanged): only the push withdrawal (key only); b's was
   * delivered: nothing; c has no push signal at all: nothing (no signal is not a refusal); d is
   * new (the platform gets it next run, once it has the customer); e unsubscribed from
   * everything: the email withdrawal and the push withdrawal; f consented to push again; g has
   * an older state line (no push_withdrawn): not delivered, so sent.
   */
  @Test
  void aPushWithdrawalIsSentOnlyForAnExplicitRefusalOfAKnownCustomerUntilDelivered(
      TestPipeline pipeline) {
    ContactUpdate aBefore = pushing("a", true);
    ContactUpdate a = pushing("a", false);
    ContactUpdate b = pushing("b", false);
    ContactUpdate c = pushing("c", null);
    ContactUpdate d = pushing("d", false);
    ContactUpdate eBefore = pushing("e", null);
    ContactUpdate e = pushing("e", null).toBuilder().setUnsubscribed(true).build();
    ContactUpdate fBefore = pushing("f", false);
    ContactUpdate f = pushing("f", true);
    ContactUpdate g = pushing("g", false);
    assertEquals(DeltaSync.payloadHash(aBefore), DeltaSync.payloadHash(a),
        "push consent is not in the payload hash");
    assertEquals(DeltaSync.payloadHash(pushing("a", null)), DeltaSync.payloadHash(a));
    SyncStateEntry gOlder = SyncState.parse("{\"key\":\"g\",\"payload_hash\":\""
        + DeltaSync.payloadHash(g) + "\",\"segments\":[\"vip\"],\"email\":\"g@example.com\","
        + "\"phone\":null,\"withdrawn\":false,\"sms_withdrawn\":false}");
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Now", Create.of(List.of(a, b, c, d, e, f, g))),
            pipeline.apply("Before", Create.of(List.of(
            pushState(aBefore, false, false), pushState(b, false, true),
            pushState(c, false, false), pushState(eBefore, false, false),
            pushState(fBefore, false, true), gOlder))))
        .apply(DeltaSync.create().withPushWithdrawals(true));
    PAssert.that(delta.getChanges()).containsInAnyOrder(
        ContactUpdate.pushWithdrawal("a"),
        d.toBuilder().setSegmentsEntered(List.of("vip")).build(),
        e.toBuilder().setSegmentsExited(List.of("vip")).build(),
        ContactUpdate.pushWithdrawal("e"),
        ContactUpdate.pushWithdrawal("g"));
    PAssert.that(delta.getNewState()).containsInAnyOrder(
        pushState(a, false, true), pushState(b, false, true), pushState(c, false, false),
        pushState(d, false, false), pushState(e, true, true), pushState(f, false, false),
        pushState(g, false, true));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void withoutPushWithdrawalsNoPushWithdrawalIsSentNorRecorded(TestPipeline pipeline) {
    ContactUpdate aBefore = pushing("a", true);
    ContactUpdate a = pushing("a", false);
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Now", Create.of(List.of(a))),
            pipeline.apply("Before", Create.of(List.of(
            pushState(aBefore, false, false)))))
        .apply(DeltaSync.create());
    PAssert.that(delta.getChanges()).empty();
    PAssert.that(delta.getNewState()).containsInAnyOrder(pushState(a, false, false));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void withoutSmsWithdrawalsNoSmsWithdrawalIsSentNorRecorded(TestPipeline pipeline) {
    ContactUpdate pBefore = texting("p", "+15550100001", true);
    ContactUpdate p = texting("p", "+15550100001", false);
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Now", Create.of(List.of(p))),
            pipeline.apply("Before", Create.of(List.of(
            state(pBefore, false, false)))))
        .apply(DeltaSync.create());
    PAssert.that(delta.getChanges()).containsInAnyOrder(p);
    PAssert.that(delta.getNewState()).containsInAnyOrder(state(p, false, false));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void withoutConsentRulesACustomerWithoutConsentIsSentLikeAnyone(TestPipeline pipeline) {
    ContactUpdate j = update("j", List.of("vip"), "gold").toBuilder().setEmailConsent(false)
        .build();
    DeltaSync.Result delta = DeltaSync.inputs(
            pipeline.apply("Now", Create.of(List.of(j))),
            pipeline.apply("Before", Create.empty(
            previous(pipeline).getCoder())))
        .apply(DeltaSync.create().withConsentRules(false));
    PAssert.that(delta.getChanges()).containsInAnyOrder(
        j.toBuilder().setSegmentsEntered(List.of("vip")).build());
    PAssert.that(delta.getNewState()).containsInAnyOrder(synced(j));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void aMalformedStateLineFailsNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SyncState.parse("{\"nope\":1}"));
    assertEquals("Not a sync state line: {\"nope\":1}", e.getMessage());
    SyncStateEntry entry = SyncState.parse("{\"key\":\"k\",\"payload_hash\":\"h\","
        + "\"segments\":[\"s\"],\"email\":\"e@x.com\",\"phone\":null}");
    assertEquals(SyncStateEntry.create("k", "h", List.of("s"), "e@x.com", null), entry);
    assertEquals(SyncStateEntry.create("k", "h", List.of(), null, null, true),
        SyncState.parse("{\"key\":\"k\",\"payload_hash\":\"h\",\"segments\":[],"
            + "\"withdrawn\":true}"));
    assertEquals(SyncStateEntry.create("k", "h", List.of(), null, "+15550100001", false, true),
        SyncState.parse("{\"key\":\"k\",\"payload_hash\":\"h\",\"segments\":[],"
            + "\"phone\":\"+15550100001\",\"sms_withdrawn\":true}"));
    assertEquals(false, SyncState.parse("{\"key\":\"k\",\"payload_hash\":\"h\","
        + "\"withdrawn\":true}").getSmsWithdrawn(), "an older line: not delivered");
    assertEquals(SyncStateEntry.create("k", "h", List.of(), null, null, false, false, true),
        SyncState.parse("{\"key\":\"k\",\"payload_hash\":\"h\",\"segments\":[],"
            + "\"push_withdrawn\":true}"));
    assertEquals(false, SyncState.parse("{\"key\":\"k\",\"payload_hash\":\"h\","
        + "\"withdrawn\":true}").getPushWithdrawn(), "an older line: not delivered");
  }
}
