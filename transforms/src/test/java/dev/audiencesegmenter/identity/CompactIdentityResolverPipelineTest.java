package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.IdentityChange;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link CompactIdentityResolver} computes what the Beam transform {@link ResolveIdentities}
 * computes on the Direct runner, with previous identities (stable ids: kept, merged with their
 * linking identifier, split, new) and without: identities, junk rows, changes, every record's
 * customer or dead letter, and every counter.
 */
class CompactIdentityResolverPipelineTest {
  /** Without the Direct runner's re-encoding checks: they test Beam's coders, not the rules. */
  @RegisterExtension
  final TestPipelineExtension pipeline = TestPipelineExtension.fromOptions(
      ConnectedComponentsTest.fastDirectOptions());

  @Test
  void stableIdsAsThePipeline(TestPipeline p) {
    Outcome o = compare(p, 11, true, ResolveIdentities.DEFAULT_MAX_LINKS_TO_SPLIT);
    assertTrue(o.counters.get("customer_ids_kept") > 0, o.counters.toString());
    assertTrue(o.counters.get("customers_merged") > 0, o.counters.toString());
    assertTrue(o.counters.get("customers_split") > 0, o.counters.toString());
    assertTrue(o.newCustomers > 0);
    assertTrue(o.changes.stream().anyMatch(c -> c.getChange().equals("merge")
        && !c.getLinkingIdentifier().isEmpty()));
  }

  @Test
  void stableIdsWithSplitsForLimitsAsThePipeline(TestPipeline p) {
    Outcome o = compare(p, 9, true, 12);
    assertTrue(o.counters.get("customers_merged") > 0, o.counters.toString());
    assertTrue(o.counters.get("customers_split_for_limits") > 0, o.counters.toString());
    assertTrue(o.counters.get("customers_over_limit_too_large") > 0, o.counters.toString());
  }

  @Test
  void withoutPreviousIdentitiesAsThePipeline(TestPipeline p) {
    Outcome o = compare(p, 5, false, 20);
    assertTrue(o.counters.get("links_dropped_for_limits") > 0, o.counters.toString());
    assertTrue(o.counters.get("customers_over_limit_too_large") > 0, o.counters.toString());
    assertTrue(o.counters.get("customers_over_limit") > 0, o.counters.toString());
    assertTrue(o.changes.isEmpty());
  }

  record Outcome(Map<String, Long> counters, List<IdentityChange> changes, long newCustomers) {}

  /**
   * Yesterday's records resolve to previous identities (ids of an older version mixed in);
   * today's drop some of them (splits) and add others (merges, new customers).
   */
  private static Outcome compare(TestPipeline p, long seed, boolean withPrevious,
      int maxLinks) {
    Random random = new Random(seed);
    IdentityRules rules = CompactResolverFixtures.randomRules(random);
    List<Map<String, String>> all = CompactResolverFixtures.adversarial(random, 40, 240);
    IdentifierNormalizer normalizer = IdentifierNormalizer.create("US",
        rules.getEmailProviderRules());
    List<CustomerIdentity> previous = null;
    if (withPrevious) {
      CompactIdentityResolver yesterday = CompactIdentityResolver.create(rules);
      all.subList(0, 160).forEach(r -> yesterday.addRecord(NormalizeRecordFn.normalized(
          normalizer, r)));
      previous = CompactResolverFixtures.previousFrom(yesterday.resolve().identities(), random);
    }
    List<Map<String, String>> today = new ArrayList<>(all.subList(30, all.size()));

    // The compact resolver.
    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules)
        .withMaxLinksToSplit(maxLinks);
    if (previous != null) {
      resolver.addPreviousIdentities(previous);
    }
    List<Map<String, String>> normalized = new ArrayList<>();
    for (Map<String, String> raw : today) {
      Map<String, String> ids = NormalizeRecordFn.normalized(normalizer, raw);
      normalized.add(ids);
      resolver.addRecord(ids);
    }
    CompactResolution compact = resolver.resolve();
    List<String> owners = new ArrayList<>();
    List<String> deadLetters = new ArrayList<>();
    long droppedOnRecords = 0;
    long onlyJunk = 0;
    for (int i = 0; i < today.size(); i++) {
      Map<String, String> ids = normalized.get(i);
      if (ids.isEmpty()) {
        deadLetters.add(NormalizeRecordFn.STEP + " | " + NormalizeRecordFn.noIdentifierReason(
            NormalizeRecordFn.rejectedTypes(normalizer, today.get(i), ids)));
        continue;
      }
      CustomerLookup.Owner owner = compact.lookup().ownerOf(ids);
      droppedOnRecords += owner.junkIdentifiers();
      if (owner.linked()) {
        owners.add("r" + i + "=" + owner.customerId());
      } else {
        onlyJunk++;
        deadLetters.add(LinkRecordFn.STEP + " | " + owner.deadLetterReason());
      }
    }

    // The pipeline.
    List<CustomerEvent> events = new ArrayList<>();
    for (int i = 0; i < today.size(); i++) {
      events.add(CompactResolverFixtures.event("r" + i, today.get(i)));
    }
    PCollection<CustomerEvent> input = p.apply("Events", Create.of(events));
    // The distributed path: an implementation of its own to compare with.
    ResolveIdentities transform = ResolveIdentities.create().withDistributedGraph().withRules(rules)
        .withMaxLinksToSplit(maxLinks);
    ResolveIdentities.Result r = (previous == null
        ? ResolveIdentities.inputs(input, null)
        : ResolveIdentities.inputs(input, null, p.apply("Previous", Create.of(previous))))
        .apply(transform);
    PAssert.that(r.getIdentities()).containsInAnyOrder(compact.identities());
    PAssert.that(r.getJunkIdentifiers()).containsInAnyOrder(compact.junk());
    PAssert.that(r.getChanges()).containsInAnyOrder(compact.changes());
    PAssert.that(r.getEvents().apply("Owners", MapElements.into(TypeDescriptors.strings())
        .via(kv -> kv.getValue().getSourceRecordId() + "=" + kv.getKey())))
        .containsInAnyOrder(owners);
    PAssert.that(r.getDeadLetters().apply("Reasons", MapElements
        .into(TypeDescriptors.strings()).via(d -> d.getStep() + " | " + d.getReason())))
        .containsInAnyOrder(deadLetters);
    PipelineResult result = p.run();
    result.waitUntilFinish();

    Map<String, Long> expected = new LinkedHashMap<>(compact.counters().asMap());
    expected.put("identifiers_dropped_on_records", droppedOnRecords);
    expected.put("records_only_junk_identifiers", onlyJunk);
    Map<String, Long> actual = new LinkedHashMap<>();
    for (String name : expected.keySet()) {
      long total = 0;
      for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
          .addNameFilter(MetricNameFilter.named(ResolveIdentities.class, name)).build())
          .getCounters()) {
        total += c.getAttempted();
      }
      actual.put(name, total);
    }
    assertEquals(expected, actual);

    Set<String> previousIds = new HashSet<>();
    if (previous != null) {
      previous.forEach(row -> previousIds.add(row.getCustomerId()));
    }
    long newCustomers = 0;
    for (int c = 0; c < compact.lookup().customerCount(); c++) {
      String id = compact.lookup().customerId(c);
      if (!previousIds.contains(id) && compact.changes().stream()
          .noneMatch(ch -> ch.getOtherId().equals(id))) {
        newCustomers++;
      }
    }
    return new Outcome(compact.counters().asMap(), compact.changes(), newCustomers);
  }
}
