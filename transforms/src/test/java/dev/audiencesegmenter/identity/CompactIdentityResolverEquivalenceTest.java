package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/**
 * {@link CompactIdentityResolver} computes what {@link ReferenceIdentityResolution} (the pipeline's
 * single-threaded reference) computes: the same identities rows, junk rows, and per record the
 * same customer or dead-letter reason; on the bundled sample and on adversarial graphs.
 */
class CompactIdentityResolverEquivalenceTest {

  @Test
  void theSampleResolvesAsReferenceIdentityResolution() {
    List<Map<String, String>> raw = CompactResolverFixtures.rawIdentifiers(
        CompactResolverFixtures.sample());
    assertTrue(raw.size() > 10_000, "sample records read: " + raw.size());
    Outcome o = assertSameAsLocal(raw, IdentityRules.defaults());
    // The sample's documented figures (BaselineEquivalenceTest): 12,008 identifiers, 4 junk.
    assertEquals(12_008, o.compact.counters().get("identifiers"));
    assertEquals(4, o.compact.junk().size());
    assertEquals(2_000, o.compact.counters().get("customers"));
  }

  @Test
  void theSampleWithTightRulesResolvesAsReferenceIdentityResolution() {
    List<Map<String, String>> raw = CompactResolverFixtures.rawIdentifiers(
        CompactResolverFixtures.sample());
    Map<String, Integer> priorities = new java.util.LinkedHashMap<>();
    priorities.put("email", 1);
    priorities.put("user_id", 1);
    priorities.put("phone", 1);
    priorities.put("device_id", 1);
    Outcome o = assertSameAsLocal(raw, IdentityRules.defaults().withPriorities(priorities)
        .withMaxFanOut(2));
    assertTrue(o.compact.counters().get("links_dropped_for_limits") > 0
        || o.compact.junk().stream().anyMatch(j -> j.getReason().equals("over_limit")));
  }

  @Test
  void adversarialGraphsResolveAsReferenceIdentityResolution() {
    Map<String, Long> fired = new TreeMap<>();
    for (int seed = 0; seed < 150; seed++) {
      Random random = new Random(seed);
      IdentityRules rules = CompactResolverFixtures.randomRules(random);
      int people = 5 + random.nextInt(seed % 3 == 0 ? 400 : 60);
      List<Map<String, String>> raw = CompactResolverFixtures.adversarial(random, people,
          people * (1 + random.nextInt(6)));
      Outcome o = assertSameAsLocal(raw, rules);
      o.compact.junk().forEach(j -> fired.merge(j.getReason(), 1L, Long::sum));
      o.compact.counters().asMap().forEach((k, v) -> fired.merge("counter " + k, v, Long::sum));
    }
    // Every rule fired somewhere, or the comparison proved little.
    for (String reason : List.of("placeholder", "blocked", "fan_out", "over_limit",
        "limit_conflict")) {
      assertTrue(fired.getOrDefault(reason, 0L) > 0, reason + " never fired: " + fired);
    }
    assertTrue(fired.get("counter customers_split_for_limits") > 0, fired.toString());
  }

  @Test
  void chainsOfLimitedTypesSplitAsReferenceIdentityResolution() {
    // email - phone - email - ... with user ids at some emails: conflicts only chains show.
    Random random = new Random(7);
    List<Map<String, String>> raw = new ArrayList<>();
    for (int chain = 0; chain < 20; chain++) {
      int length = 2 + random.nextInt(30);
      for (int i = 0; i < length; i++) {
        raw.add(Map.of("email", "c" + chain + "e" + i + "@x.io",
            "phone", String.format("+1617200%04d", 1000 + chain * 40 + i)));
        raw.add(Map.of("phone", String.format("+1617200%04d", 1000 + chain * 40 + i),
            "email", "c" + chain + "e" + (i + 1) + "@x.io"));
        if (random.nextInt(4) == 0) {
          raw.add(Map.of("email", "c" + chain + "e" + i + "@x.io", "user_id",
              "u" + chain + "-" + i));
        }
      }
    }
    Outcome o = assertSameAsLocal(raw, IdentityRules.defaults());
    assertTrue(o.compact.counters().get("links_dropped_for_limits") > 10);
  }

  @Test
  void duplicatesAndOrderChangeNothing() {
    Random random = new Random(3);
    IdentityRules rules = CompactResolverFixtures.randomRules(new Random(5));
    List<Map<String, String>> raw = CompactResolverFixtures.adversarial(random, 80, 300);
    IdentifierNormalizer normalizer = IdentifierNormalizer.create("US",
        rules.getEmailProviderRules());
    List<Map<String, String>> normalized = new ArrayList<>();
    for (Map<String, String> r : raw) {
      normalized.add(NormalizeRecordFn.normalized(normalizer, r));
    }
    CompactResolution once = resolve(rules, normalized);
    List<Map<String, String>> thrice = new ArrayList<>(normalized);
    thrice.addAll(normalized);
    thrice.addAll(normalized);
    Collections.shuffle(thrice, new Random(11));
    CompactResolution again = resolve(rules, thrice);
    assertSameRows(once.identities(), again.identities(), "identities");
    assertSameRows(once.junk(), again.junk(), "junk rows");
    assertEquals(once.counters().asMap(), again.counters().asMap());
    assertEquals(once.lookup(), again.lookup());
  }

  static CompactResolution resolve(IdentityRules rules, List<Map<String, String>> normalized) {
    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules);
    normalized.forEach(resolver::addRecord);
    return resolver.resolve();
  }

  record Outcome(ReferenceIdentityResolution local, CompactResolution compact) {}

  /** Resolves raw identifier maps both ways and compares every output. */
  static Outcome assertSameAsLocal(List<Map<String, String>> raw, IdentityRules rules) {
    List<CustomerEvent> events = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      events.add(CompactResolverFixtures.event("r" + i, raw.get(i)));
    }
    ReferenceIdentityResolution local = ReferenceIdentityResolution.resolve(events, List.of(), "US",
        rules);
    IdentifierNormalizer normalizer = IdentifierNormalizer.create("US",
        rules.getEmailProviderRules());
    List<Map<String, String>> normalized = new ArrayList<>();
    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules);
    for (Map<String, String> r : raw) {
      Map<String, String> ids = NormalizeRecordFn.normalized(normalizer, r);
      normalized.add(ids);
      resolver.addRecord(ids);
    }
    CompactResolution compact = resolver.resolve();

    assertSameRows(local.identities(), compact.identities(), "identities");
    assertSameRows(local.junk(), compact.junk(), "junk rows");

    // Per record: the customer of ReferenceIdentityResolution, or the same dead-letter reason.
    Map<String, String> localOwner = new HashMap<>();
    for (KV<String, CustomerEvent> e : local.events()) {
      localOwner.put(e.getValue().getSourceRecordId(), e.getKey());
    }
    List<String> localReasons = new ArrayList<>();
    for (DeadLetter d : local.deadLetters()) {
      if (d.getStep().equals(LinkRecordFn.STEP)) {
        localReasons.add(d.getReason());
      }
    }
    Map<String, JunkIdentifier> refused = new HashMap<>();
    for (JunkIdentifier j : local.junk()) {
      if (!j.getReason().equals(SplitOverLimitCustomers.LIMIT_CONFLICT)) {
        refused.put(IdentifierNode.of(j.getIdType(), j.getIdValue()), j);
      }
    }
    List<String> compactReasons = new ArrayList<>();
    CustomerLookup lookup = compact.lookup();
    for (int i = 0; i < raw.size(); i++) {
      Map<String, String> ids = normalized.get(i);
      if (ids.isEmpty()) {
        continue;
      }
      CustomerLookup.Owner owner = lookup.ownerOf(ids);
      LinkRecordFn.Link link = LinkRecordFn.link(ids, refused, rules);
      assertEquals(link.why().size(), owner.junkIdentifiers(), "junk on record " + ids);
      if (owner.linked()) {
        assertEquals(localOwner.get("r" + i), owner.customerId(), "owner of " + ids);
        assertEquals(owner.customerId(), lookup.customerId(owner.customer()));
      } else {
        assertTrue(!localOwner.containsKey("r" + i), "dead letter " + ids);
        compactReasons.add(owner.deadLetterReason());
      }
    }
    Collections.sort(localReasons);
    Collections.sort(compactReasons);
    assertEquals(localReasons, compactReasons, "dead-letter reasons");

    // Counters that the outputs determine.
    Map<String, Long> counters = compact.counters().asMap();
    List<CustomerIdentity> identities = local.identities();
    assertEquals(identities.size(), counters.get("identifiers"));
    assertEquals(identities.stream().map(CustomerIdentity::getCustomerId).distinct().count(),
        counters.get("customers"));
    assertEquals(refused.size(), counters.get("identifiers_junk"));
    assertEquals(refused.values().stream().filter(j -> j.getReason().equals("placeholder"))
        .count(), counters.get("identifiers_placeholder"));
    assertEquals(local.junk().size() - refused.size(), counters.get("links_dropped_for_limits"));
    Map<String, Long> perCustomerType = new HashMap<>();
    for (CustomerIdentity id : identities) {
      if (rules.limit(id.getIdType()) != null) {
        perCustomerType.merge(id.getCustomerId() + " " + id.getIdType(), 1L, Long::sum);
      }
    }
    assertEquals(perCustomerType.entrySet().stream().filter(e -> e.getValue()
            > rules.limit(e.getKey().substring(e.getKey().indexOf(' ') + 1))).count(),
        counters.get("customers_over_limit"));
    // Customer indexes are dense and in id order.
    for (int c = 1; c < lookup.customerCount(); c++) {
      assertTrue(lookup.customerId(c - 1).compareTo(lookup.customerId(c)) < 0);
    }
    assertEquals(counters.get("customers"), (long) lookup.customerCount());
    return new Outcome(local, compact);
  }

  /** Equal multisets of rows; on failure, names a few rows of each difference. */
  static <T> void assertSameRows(List<T> expected, List<T> actual, String what) {
    List<String> e = sorted(expected);
    List<String> a = sorted(actual);
    if (!e.equals(a)) {
      List<String> missing = new ArrayList<>(e);
      a.forEach(missing::remove);
      List<String> extra = new ArrayList<>(a);
      e.forEach(extra::remove);
      org.junit.jupiter.api.Assertions.fail(what + ": " + e.size() + " expected, " + a.size()
          + " actual; missing " + missing.subList(0, Math.min(5, missing.size())) + "; extra "
          + extra.subList(0, Math.min(5, extra.size())));
    }
  }

  static <T> List<String> sorted(List<T> rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.toString()));
    Collections.sort(out);
    return out;
  }
}
