package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ResolveIdentitiesTest {
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
  private static final Instant T = Instant.parse("2024-03-01T12:00:00Z");

  /** The documented id rule, computed here independently of the code under test. */
  static String expectedId(String smallestNode) throws Exception {
    byte[] h = MessageDigest.getInstance("SHA-256")
        .digest(smallestNode.getBytes(StandardCharsets.UTF_8));
    StringBuilder hex = new StringBuilder("c-");
    for (int i = 0; i < 8; i++) {
      hex.append(String.format("%02x", h[i]));
    }
    return hex.toString();
  }

  static CustomerEvent event(String id, Map<String, String> ids) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(T).setIdentifiers(ids).build();
  }

  @Test
  void linksTransitivelyAcrossRecordsAndNormalizes(TestPipeline p) throws Exception {
    // A: email + user u1; B: same email (other case) + phone; C: same phone (other notation)
    // + crm 9. One customer. D: unrelated user u2. E: only an invalid phone -> dead letter.
    PCollection<CustomerEvent> events = p.apply(Create.of(
        event("A", Map.of("email", " Ann@X.com", "user_id", "u1")),
        event("B", Map.of("email", "ann@x.com", "phone", "(415) 555-0132")),
        event("C", Map.of("phone", "+1 415.555.0132", "crm_id", "9")),
        event("D", Map.of("user_id", "u2")),
        event("E", Map.of("phone", "12"))));
    ResolveIdentities.Result r =
        ResolveIdentities.inputs(events, null).apply(resolve());

    // Smallest node of {crm_id:9, email:ann@x.com, phone:+14155550132, user_id:u1} is crm_id:9.
    String ann = expectedId("crm_id:9");
    String u2 = expectedId("user_id:u2");
    PAssert.that(r.getIdentities()).containsInAnyOrder(
        CustomerIdentity.create(ann, "crm_id", "9"),
        CustomerIdentity.create(ann, "email", "ann@x.com"),
        CustomerIdentity.create(ann, "phone", "+14155550132"),
        CustomerIdentity.create(ann, "user_id", "u1"),
        CustomerIdentity.create(u2, "user_id", "u2"));
    PAssert.that(r.getEvents().apply("Ids", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
            .via(kv -> KV.of(kv.getValue().getSourceRecordId(), kv.getKey()))))
        .containsInAnyOrder(KV.of("A", ann), KV.of("B", ann), KV.of("C", ann), KV.of("D", u2));
    PAssert.that(r.getEvents().apply("Normalized", MapElements
            .into(TypeDescriptors.strings())
            .via(kv -> kv.getValue().getSourceRecordId()
                + new TreeMap<>(kv.getValue().getIdentifiers()))))
        .containsInAnyOrder("A{email=ann@x.com, user_id=u1}",
            "B{email=ann@x.com, phone=+14155550132}", "C{crm_id=9, phone=+14155550132}",
            "D{user_id=u2}");
    PAssert.that(r.getDeadLetters().apply("Reasons", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.getStep() + " | " + d.getReason() + " | "
                + d.getRecord().contains("\"sourceRecordId\":\"E\""))))
        .containsInAnyOrder("ResolveIdentities/Normalize | "
            + "no valid identifier after normalization (invalid: phone) | true");
    p.run().waitUntilFinish();
  }

  @Test
  void windowedRecordsAreRefusedWithTheirWindowing(TestPipeline p) {
    // One graph over all records: a windowed input fails at construction, naming the input and
    // its windowing, instead of deep inside the graph's steps.
    PCollection<CustomerEvent> events = p.apply(Create.timestamped(
            org.apache.beam.sdk.values.TimestampedValue.of(
                event("A", Map.of("email", "a@x.com")), T)))
        .apply(org.apache.beam.sdk.transforms.windowing.Window.into(
            org.apache.beam.sdk.transforms.windowing.FixedWindows.of(
                org.joda.time.Duration.standardDays(1))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResolveIdentities.inputs(events, null).apply(resolve()));
    assertTrue(e.getMessage().startsWith("ResolveIdentities resolves one graph over all its "
        + "records: its input 'events' must be in the global window, got "
        + "org.apache.beam.sdk.transforms.windowing.FixedWindows"), e.getMessage());
    p.enableAbandonedNodeEnforcement(false);
  }

  @Test
  void profilesLinkEventsToTheSameCustomer(TestPipeline p) throws Exception {
    PCollection<CustomerEvent> events = p.apply("Events", Create.of(
        event("web-1", Map.of("anonymous_id", "a1", "email", "b@y.org")),
        event("app-1", Map.of("device_id", "d7"))));
    PCollection<ProfileAttributes> profiles = p.apply("Profiles", Create.of(
        ProfileAttributes.builder().setSource("crm").setSourceRecordId("c-1").setUpdateTime(T)
            .setIdentifiers(Map.of("email", "B@Y.ORG", "device_id", "d7"))
            .setAttributes(Map.of("city", "Oslo")).build()));
    ResolveIdentities.Result r =
        ResolveIdentities.inputs(events, profiles).apply(resolve());
    String id = expectedId("anonymous_id:a1");
    PAssert.that(r.getEvents().apply("EventCustomers", MapElements
            .into(TypeDescriptors.strings()).via(KV::getKey)))
        .containsInAnyOrder(id, id);
    PAssert.that(r.getProfiles().apply("ProfileCustomers",
            MapElements.into(TypeDescriptors.strings()).via(KV::getKey)))
        .containsInAnyOrder(id);
    p.run().waitUntilFinish();
  }

  @Test
  void resolvesALongShuffledChainToOneCustomer(TestPipeline p) throws Exception {
    // Record i links user_id n<i> and user_id n<i+1>: a path of 2,001 identifiers whose
    // diameter is 2,000. Zero-padded numbers make n0000 the smallest node.
    int length = 2000;
    List<CustomerEvent> chain = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      chain.add(event("r" + i, Map.of("user_id", String.format("n%04d", i),
          "crm_id", "x" + String.format("n%04d", i + 1))));
      chain.add(event("s" + i, Map.of("crm_id", "x" + String.format("n%04d", i + 1),
          "user_id", String.format("n%04d", i + 1))));
    }
    Collections.shuffle(chain, new Random(7));
    // Without limits: with the default one user_id per customer this chain would be cut.
    ResolveIdentities.Result r = ResolveIdentities.inputs(p.apply(Create.of(chain)), null)
        .apply(resolve().withRules(IdentityRules.withoutLimits()));
    String id = expectedId("crm_id:xn0001");
    PAssert.that(r.getEvents().apply(Values.create()).apply("Count", Count.globally()))
        .containsInAnyOrder((long) 2 * length);
    PAssert.that(r.getIdentities().apply("Customers", MapElements
            .into(TypeDescriptors.strings()).via(CustomerIdentity::getCustomerId))
            .apply("DistinctCustomers", Distinct.create()))
        .containsInAnyOrder(id);
    PAssert.that(r.getIdentities().apply("CountIds", Count.globally()))
        .containsInAnyOrder((long) 2 * length + 1);
    p.run().waitUntilFinish();
  }

  @Test
  void separateComponentsStaySeparate(TestPipeline p) throws Exception {
    // Ten stars of five records each around a hub user id, plus two chains of three.
    List<CustomerEvent> records = new ArrayList<>();
    Set<String> expected = new HashSet<>();
    for (int s = 0; s < 10; s++) {
      for (int k = 0; k < 5; k++) {
        records.add(event("star" + s + "-" + k,
            Map.of("user_id", "hub" + s, "device_id", "d" + s + "-" + k)));
      }
      expected.add(expectedId("device_id:d" + s + "-0"));
    }
    records.add(event("c1", Map.of("email", "a@a.io", "user_id", "z1")));
    records.add(event("c2", Map.of("user_id", "z1", "crm_id", "77")));
    records.add(event("c3", Map.of("email", "q@a.io", "user_id", "z9")));
    expected.add(expectedId("crm_id:77"));
    expected.add(expectedId("email:q@a.io"));
    ResolveIdentities.Result r = ResolveIdentities.inputs(p.apply(Create.of(records)), null)
        .apply(resolve());
    PAssert.that(r.getEvents().apply(MapElements.into(TypeDescriptors.strings())
            .via(KV::getKey)).apply(Distinct.create()))
        .containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  /**
   * The run fails, naming the rounds. The Direct runner (2.70) does not always stop after a
   * user exception while other steps wait on side inputs: it can keep polling. So the run is
   * started without blocking and given two minutes; if it has not stopped by then, the
   * convergence check's counter proves the check fired, and the run is cancelled.
   */

  @Test
  void rejectsBadConfiguration() {
    assertThrows(IllegalArgumentException.class,
        () -> ResolveIdentities.create().withDefaultRegion("Narnia"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResolveIdentities.create().withMaxRounds(0));
    assertEquals("maxRounds must be at least 1, got 0", e.getMessage());
  }
}
