package dev.audiencesegmenter.identity;

import static dev.audiencesegmenter.identity.ResolveIdentitiesTest.event;
import static dev.audiencesegmenter.identity.ResolveIdentitiesTest.expectedId;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Junk protection, identifier limits and stable ids of {@link ResolveIdentities}. */
class ResolveIdentitiesRulesTest {
  @RegisterExtension
  final TestPipelineExtension pipeline = TestPipelineExtension.fromOptions(options());

  /** The transform under test: the default, one-worker graph (subclasses: the other). */
  ResolveIdentities resolve() {
    return ResolveIdentities.create();
  }

  /** TestPipeline's own options: the Direct runner checks immutability and encodability. */
  PipelineOptions options() {
    return TestPipeline.testingPipelineOptions();
  }

  private static PCollection<String> customers(ResolveIdentities.Result r) {
    return r.getIdentities()
        .apply("Customers", MapElements.into(TypeDescriptors.strings())
            .via(CustomerIdentity::getCustomerId))
        .apply("DistinctCustomers", Distinct.create());
  }

  @Test
  void aPlaceholderEmailOnAThousandCustomersMergesNone(TestPipeline p) throws Exception {
    List<CustomerEvent> events = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      events.add(event("o" + i, Map.of("user_id", "u" + i, "email", "Test@Test.com")));
    }
    ResolveIdentities.Result r = ResolveIdentities.inputs(p.apply(Create.of(events)), null)
        .apply(resolve());
    PAssert.that(customers(r).apply("CountCustomers", Count.globally()))
        .containsInAnyOrder(1000L);
    PAssert.that(r.getIdentities().apply("Types", MapElements.into(TypeDescriptors.strings())
            .via(CustomerIdentity::getIdType)).apply("DistinctTypes", Distinct.create()))
        .containsInAnyOrder("user_id");
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("email",
        "test@test.com", "placeholder", 1000, "user_id", "a built-in placeholder value"));
    PAssert.that(r.getEvents().apply("CountEvents", Count.globally()))
        .containsInAnyOrder(1000L);
    PAssert.that(r.getDeadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void aPlaceholderDoesNotCountAgainstOtherIdentifiersLimits(TestPipeline p) throws Exception {
    // "undefined" is not a second user id of device d1: d1 must still link to u1.
    PCollection<CustomerEvent> events = p.apply(Create.of(
        event("a", Map.of("user_id", "u1", "device_id", "d1")),
        event("b", Map.of("user_id", "undefined", "device_id", "d1"))));
    ResolveIdentities.Result r = ResolveIdentities.inputs(events, null)
        .apply(resolve());
    String id = expectedId("device_id:d1");
    PAssert.that(r.getIdentities()).containsInAnyOrder(
        CustomerIdentity.create(id, "device_id", "d1"),
        CustomerIdentity.create(id, "user_id", "u1"));
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("user_id",
        "undefined", "placeholder", 1, "device_id", "a built-in placeholder value"));
    p.run().waitUntilFinish();
  }

  @Test
  void aValueSharedByManyCustomersIsJunkByFanOut(TestPipeline p) throws Exception {
    // A shop's own phone typed into 30 customers' orders: not on any list, but seen with 30
    // user ids and 30 emails, more than max_fan_out 20.
    List<CustomerEvent> events = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      events.add(event("o" + i, Map.of("user_id", "u" + i, "phone", "(415) 200-0000")));
      events.add(event("s" + i, Map.of("user_id", "u" + i, "email", "e" + i + "@x.io")));
      expected.add(expectedId("email:e" + i + "@x.io"));
    }
    ResolveIdentities.Result r = ResolveIdentities.inputs(p.apply(Create.of(events)), null)
        .apply(resolve());
    PAssert.that(customers(r)).containsInAnyOrder(expected);
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("phone",
        "+14152000000", "fan_out", 30, "user_id",
        "seen with more than 21 distinct user_id; max_fan_out 20"));
    p.run().waitUntilFinish();
  }

  @Test
  void anEmailOnTwoUserIdsIsNotUsedToLinkThem(TestPipeline p) throws Exception {
    // A couple shares an email; each has a user id, and a customer may have one.
    PCollection<CustomerEvent> events = p.apply(Create.of(
        event("a", Map.of("user_id", "u1", "email", "home@x.io", "phone", "+14155550101")),
        event("b", Map.of("user_id", "u2", "email", "home@x.io")),
        event("c", Map.of("email", "home@x.io")),
        event("d", Map.of("phone", "+14155550101"))));
    ResolveIdentities.Result r = ResolveIdentities.inputs(events, null)
        .apply(resolve());
    String u1 = expectedId("phone:+14155550101");
    String u2 = expectedId("user_id:u2");
    PAssert.that(r.getIdentities()).containsInAnyOrder(
        CustomerIdentity.create(u1, "user_id", "u1"),
        CustomerIdentity.create(u1, "phone", "+14155550101"),
        CustomerIdentity.create(u2, "user_id", "u2"));
    // Records are kept by their highest-priority usable identifier: the user id.
    PAssert.that(r.getEvents().apply("RecordOwners", MapElements
            .into(TypeDescriptors.strings())
            .via(kv -> kv.getValue().getSourceRecordId() + "=" + kv.getKey())))
        .containsInAnyOrder("a=" + u1, "b=" + u2, "d=" + u1);
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("email",
        "home@x.io", "over_limit", 2, "user_id",
        "seen with 2 distinct user_id; a customer may have 1 and user_id has higher priority "
            + "than email"));
    PAssert.that(r.getDeadLetters().apply("Reasons", MapElements
            .into(TypeDescriptors.strings()).via(d -> d.getStep() + " | " + d.getReason())))
        .containsInAnyOrder("ResolveIdentities/Link | no identifier can be linked: "
            + "email (over_limit)");
    p.run().waitUntilFinish();
  }

  @Test
  void aUserIdWithMoreEmailsThanTheLimitKeepsTheSmallest(TestPipeline p) throws Exception {
    List<CustomerEvent> events = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      events.add(event("r" + i, Map.of("user_id", "u1", "email", "e" + i + "@x.io")));
    }
    ResolveIdentities.Result r = ResolveIdentities.inputs(p.apply(Create.of(events)), null)
        .apply(resolve());
    String id = expectedId("email:e1@x.io");
    List<CustomerIdentity> expected = new ArrayList<>();
    expected.add(CustomerIdentity.create(id, "user_id", "u1"));
    for (int i = 1; i <= 5; i++) {
      expected.add(CustomerIdentity.create(id, "email", "e" + i + "@x.io"));
    }
    PAssert.that(r.getIdentities()).containsInAnyOrder(expected);
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("email",
        "e6@x.io", "over_limit", 1, "user_id",
        "one of 6 distinct email seen with user_id; a customer may have 5, the smallest are "
            + "kept"));
    // The record still belongs to the customer through its user id.
    PAssert.that(r.getEvents().apply("CountEvents", Count.globally())).containsInAnyOrder(6L);
    p.run().waitUntilFinish();
  }

  @Test
  void blockedValuesAndProviderRulesAreConfigurable(TestPipeline p) throws Exception {
    IdentityRules rules = IdentityRules.defaults()
        .withEmailProviderRules(true)
        .withBlockedValues("anonymous_id", List.of("kiosk-1"));
    PCollection<CustomerEvent> events = p.apply(Create.of(
        event("a", Map.of("email", "Ann.Lee+news@gmail.com", "anonymous_id", "kiosk-1")),
        event("b", Map.of("email", "annlee@googlemail.com", "device_id", "d1")),
        event("c", Map.of("email", "bob@x.io", "anonymous_id", "kiosk-1"))));
    ResolveIdentities.Result r = ResolveIdentities.inputs(events, null)
        .apply(resolve().withRules(rules));
    String ann = expectedId("device_id:d1");
    String bob = expectedId("email:bob@x.io");
    PAssert.that(r.getIdentities()).containsInAnyOrder(
        CustomerIdentity.create(ann, "email", "annlee@gmail.com"),
        CustomerIdentity.create(ann, "device_id", "d1"),
        CustomerIdentity.create(bob, "email", "bob@x.io"));
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create(
        "anonymous_id", "kiosk-1", "blocked", 2, "email", "on the blocked_values list"));
    p.run().waitUntilFinish();
  }

  @Test
  void customerIdsAreStableAcrossRunsAndMergesAreRecorded(TestPipeline p) throws Exception {
    // Previous run: Z {email a@x.io, anonymous_id za, device_id zd}, B {phone, anonymous_id
    // ba}, C {user_id u3}, S {anonymous_id s1, anonymous_id s2}. Ids from an older version.
    PCollection<CustomerIdentity> previous = p.apply("Previous", Create.of(
        CustomerIdentity.create("cust-Z", "email", "a@x.io"),
        CustomerIdentity.create("cust-Z", "anonymous_id", "za"),
        CustomerIdentity.create("cust-Z", "device_id", "zd"),
        CustomerIdentity.create("cust-B", "phone", "+14155550199"),
        CustomerIdentity.create("cust-B", "anonymous_id", "ba"),
        CustomerIdentity.create("cust-C", "user_id", "u3"),
        CustomerIdentity.create("cust-S", "anonymous_id", "s1"),
        CustomerIdentity.create("cust-S", "anonymous_id", "s2"),
        CustomerIdentity.create("cust-G", "user_id", "gone")));
    PCollection<CustomerEvent> events = p.apply("Events", Create.of(
        event("z1", Map.of("email", "a@x.io", "anonymous_id", "za")),
        event("z2", Map.of("anonymous_id", "za", "device_id", "zd")),
        event("b1", Map.of("phone", "+14155550199", "anonymous_id", "ba")),
        event("c1", Map.of("user_id", "u3")),
        event("s1", Map.of("anonymous_id", "s1")),
        event("s2", Map.of("anonymous_id", "s2")),
        event("n1", Map.of("user_id", "u-new")),
        // New today: one record links Z and B.
        event("link", Map.of("email", "a@x.io", "phone", "(415) 555-0199"))));
    ResolveIdentities.Result r = ResolveIdentities.inputs(events, null, previous)
        .apply(resolve());

    String split = expectedId("split:anonymous_id:s2");
    PAssert.that(r.getEvents().apply("Owners", MapElements.into(TypeDescriptors.strings())
            .via(kv -> kv.getValue().getSourceRecordId() + "=" + kv.getKey())))
        .containsInAnyOrder("z1=cust-Z", "z2=cust-Z", "b1=cust-Z", "link=cust-Z", "c1=cust-C",
            "s1=cust-S", "s2=" + split, "n1=" + expectedId("user_id:u-new"));
    // Z held 3 of the merged customer's identifiers and B 2: Z's id survives.
    PAssert.that(r.getChanges()).containsInAnyOrder(
        IdentityChange.create("merge", "cust-Z", "cust-B", "phone:+14155550199",
            "email:a@x.io", "a record links phone:+14155550199 with email:a@x.io"),
        IdentityChange.create("split", "cust-S", split, "", "",
            "identifiers that were one customer are no longer linked; this part holds fewer "
                + "of them and gets a new id"));
    p.run().waitUntilFinish();
  }

  @Test
  void aJunkValueImposesNoLimitOnItsNeighbours(TestPipeline p) throws Exception {
    // An order-desk email on 25 customers' orders is junk by fan-out (25 user ids > 20). It
    // is also seen with 7 of their phones, more than the 5 phones a customer may have: as it
    // is junk, it must not cut 2 of those phones from their customers.
    List<CustomerEvent> events = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      events.add(event("o" + i, Map.of("user_id", "u" + i, "email", "desk@shop.io")));
    }
    for (int i = 0; i < 7; i++) {
      events.add(event("p" + i, Map.of("user_id", "u" + i, "phone", "+1415555010" + i)));
      events.add(event("d" + i, Map.of("email", "desk@shop.io", "phone", "+1415555010" + i)));
    }
    ResolveIdentities.Result r = ResolveIdentities.inputs(p.apply(Create.of(events)), null)
        .apply(resolve());
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("email",
        "desk@shop.io", "fan_out", 25, "user_id",
        "seen with more than 21 distinct user_id; max_fan_out 20"));
    // Each customer holds its one user id and, for the first 7, its one phone.
    List<String> expected = new ArrayList<>(java.util.Collections.nCopies(25, "user_id x1"));
    expected.addAll(java.util.Collections.nCopies(7, "phone x1"));
    PAssert.that(r.getIdentities().apply("Phones", MapElements.into(TypeDescriptors.strings())
            .via(id -> id.getIdType() + " " + id.getCustomerId()))
        .apply("CountByTypeAndCustomer", Count.perElement())
        .apply("PhoneCustomers", MapElements.into(TypeDescriptors.strings())
            .via(kv -> kv.getKey().split(" ")[0] + " x" + kv.getValue())))
        .containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @Test
  void aLimitBrokenOnlyThroughAChainDropsTheWeakestLink(TestPipeline p) throws Exception {
    // No identifier is seen with two user ids, yet the chain u1 - e1 - phone - e2 - u2 would
    // give one customer two. Links replayed strongest first (by their weaker end: email links
    // before phone links, then by text): e1-u1, e2-u2, e1-phone join; e2-phone would join two
    // user ids and is dropped. The phone stays with e1's side.
    PCollection<CustomerEvent> events = p.apply(Create.of(
        event("a", Map.of("user_id", "u1", "email", "e1@x.io")),
        event("b", Map.of("email", "e1@x.io", "phone", "+14155550101")),
        event("c", Map.of("phone", "+14155550101", "email", "e2@x.io")),
        event("d", Map.of("email", "e2@x.io", "user_id", "u2")),
        event("e", Map.of("phone", "+14155550101"))));
    ResolveIdentities.Result r = ResolveIdentities.inputs(events, null)
        .apply(resolve());
    String first = expectedId("email:e1@x.io");
    String second = expectedId("email:e2@x.io");
    PAssert.that(r.getIdentities()).containsInAnyOrder(
        CustomerIdentity.create(first, "user_id", "u1"),
        CustomerIdentity.create(first, "email", "e1@x.io"),
        CustomerIdentity.create(first, "phone", "+14155550101"),
        CustomerIdentity.create(second, "email", "e2@x.io"),
        CustomerIdentity.create(second, "user_id", "u2"));
    // Record c is kept by its email, its highest-priority identifier.
    PAssert.that(r.getEvents().apply("RecordOwners", MapElements
            .into(TypeDescriptors.strings())
            .via(kv -> kv.getValue().getSourceRecordId() + "=" + kv.getKey())))
        .containsInAnyOrder("a=" + first, "b=" + first, "c=" + second, "d=" + second,
            "e=" + first);
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(JunkIdentifier.create("phone",
        "+14155550101", "limit_conflict", 2, "user_id",
        "link to email:e2@x.io dropped: it would give one customer 2 user_id; limit 1"));
    PAssert.that(r.getDeadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void aCustomerOverTheSplitSizeIsLeftMerged(TestPipeline p) throws Exception {
    // The same chain with at most 3 links replayed: it has 4, so it stays one customer.
    PCollection<CustomerEvent> events = p.apply(Create.of(
        event("a", Map.of("user_id", "u1", "email", "e1@x.io")),
        event("b", Map.of("email", "e1@x.io", "phone", "+14155550101")),
        event("c", Map.of("phone", "+14155550101", "email", "e2@x.io")),
        event("d", Map.of("email", "e2@x.io", "user_id", "u2"))));
    ResolveIdentities.Result r = ResolveIdentities.inputs(events, null)
        .apply(resolve().withMaxLinksToSplit(3));
    PAssert.that(customers(r)).containsInAnyOrder(expectedId("email:e1@x.io"));
    PAssert.that(r.getJunkIdentifiers()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void theSplitSizeMustBePositive() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> ResolveIdentities.create().withMaxLinksToSplit(0));
    assertEquals("maxLinksToSplit must be at least 1, got 0", e.getMessage());
  }
}
