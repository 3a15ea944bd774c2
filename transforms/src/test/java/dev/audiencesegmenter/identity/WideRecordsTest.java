package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 11: nothing in the identity step is quadratic in a record's size. A record
 * with {@code n} identifiers (the cap raised) used to cost n² in the junk rules: every
 * identifier walked the whole record to count its neighbours. The work is now counted in
 * record entries read, and must stay a small multiple of the input's size; the outputs stay
 * those of {@link ReferenceIdentityResolution}, which pairs every two identifiers.
 */
class WideRecordsTest {
  private static final int N = 5000;

  private static String type(int i) {
    return String.format("device_%04d", i);
  }

  /** One record of {@code n} custom types; every 500th value is a placeholder ("unknown"). */
  private static Map<String, String> wide(int n, String tag) {
    Map<String, String> ids = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      ids.put(type(i), i % 500 == 7 ? "unknown" : tag + i);
    }
    return ids;
  }

  private static CompactIdentityResolver resolver(IdentityRules rules,
      List<Map<String, String>> records) {
    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules);
    records.forEach(resolver::addRecord);
    return resolver;
  }

  @Test
  void oneRecordOfFiveThousandIdentifiersIsReadALinearNumberOfTimes() {
    CompactIdentityResolver resolver = resolver(IdentityRules.defaults(),
        List.of(wide(N, "d")));
    CompactResolution r = resolver.resolve();
    assertTrue(resolver.junkVisits <= 2L * N, "record entries read: " + resolver.junkVisits);
    assertEquals(N - 10, r.counters().get("identifiers"));
    assertEquals(1, r.counters().get("customers"));
    assertEquals(10, r.junk().size());
    // A placeholder's fan-out: one of each other type; the first type by name is named.
    assertEquals(JunkIdentifier.create(type(7), "unknown", "placeholder", 1, "device_0000",
        "a built-in placeholder value"), r.junk().stream()
        .filter(j -> j.getIdType().equals(type(7))).findFirst().orElseThrow());
  }

  @Test
  void wideRecordsThatShareMostIdentifiersAreReadALinearNumberOfTimes() {
    // The wide record, a copy with one identifier changed, and each of its identifiers on a
    // small record of its own with one more: no identifier here may walk the wide records.
    List<Map<String, String>> records = new ArrayList<>();
    records.add(wide(N, "d"));
    Map<String, String> changed = wide(N, "d");
    changed.put(type(3), "other");
    records.add(changed);
    for (int i = 0; i < N; i++) {
      records.add(Map.of(type(i), "d" + i, "anonymous_id", "a" + i));
    }
    CompactIdentityResolver resolver = resolver(IdentityRules.defaults(), records);
    CompactResolution r = resolver.resolve();
    long input = 2L * N + 2L * N;
    assertTrue(resolver.junkVisits <= 4 * input, "record entries read: "
        + resolver.junkVisits + " for " + input);
    // The wide record's 4,990 usable, the changed one, 10 small records' in place of
    // placeholders, and 5,000 anonymous ids.
    assertEquals(2 * N + 1, r.counters().get("identifiers"));
    // Those 10 small records are customers of their own.
    assertEquals(11, r.counters().get("customers"));
  }

  /**
   * Wide records that overlap in every way (copies with values changed, identifiers also on
   * small records, values of a wide record's types on other records, placeholders, limited
   * types, a fan-out of 1 or 2) give exactly the reference's identities, junk rows (reason,
   * fan-out and its type) and owners.
   */
  @Test
  void overlappingWideRecordsResolveAsTheReference() {
    for (int seed = 0; seed < 40; seed++) {
      Random random = new Random(seed);
      int n = 20 + random.nextInt(100);
      List<Map<String, String>> raw = new ArrayList<>();
      String[] limited = {"email", "user_id", "phone"};
      int wides = 1 + random.nextInt(4);
      for (int w = 0; w < wides; w++) {
        Map<String, String> ids = wide(n, "d");
        for (int k = random.nextInt(n / 2); k > 0; k--) {
          int i = random.nextInt(n);
          ids.put(type(i), random.nextInt(3) == 0 ? "unknown" : "w" + w + "-" + i);
        }
        for (String t : limited) {
          if (random.nextBoolean()) {
            ids.put(t, t.equals("phone") ? String.format("+1617555%04d", random.nextInt(4))
                : t + random.nextInt(3) + (t.equals("email") ? "@x.io" : ""));
          }
        }
        raw.add(ids);
      }
      for (int s = random.nextInt(3 * n); s > 0; s--) {
        Map<String, String> small = new LinkedHashMap<>();
        for (int k = 1 + random.nextInt(3); k > 0; k--) {
          int i = random.nextInt(n);
          small.put(type(i), random.nextInt(4) == 0 ? "s" + random.nextInt(5) : "d" + i);
        }
        if (random.nextInt(3) == 0) {
          small.put("anonymous_id", "a" + random.nextInt(n));
        }
        if (random.nextInt(4) == 0) {
          small.put("email", "email" + random.nextInt(4) + "@x.io");
        }
        raw.add(small);
      }
      raw.add(raw.get(0));
      Map<String, Integer> priorities = new LinkedHashMap<>();
      priorities.put("user_id", 1);
      priorities.put("email", 1 + random.nextInt(2));
      priorities.put("phone", random.nextBoolean() ? null : 2);
      priorities.put(type(random.nextInt(n)), 1);
      IdentityRules rules = IdentityRules.defaults().withPriorities(priorities)
          .withMaxFanOut(1 + random.nextInt(3));
      CompactIdentityResolverEquivalenceTest.assertSameAsLocal(raw, rules);
      // Every record analysed as wide, small ones too: the same outputs.
      assertSameAsNarrow(raw, rules);
    }
  }

  /** The adversarial fixtures with every record analysed as a wide one. */
  @Test
  void everyRecordAnalysedAsWideGivesTheSameOutputs() {
    for (int seed = 0; seed < 60; seed++) {
      Random random = new Random(seed);
      IdentityRules rules = CompactResolverFixtures.randomRules(random);
      int people = 5 + random.nextInt(seed % 3 == 0 ? 300 : 60);
      assertSameAsNarrow(CompactResolverFixtures.adversarial(random, people,
          people * (1 + random.nextInt(6))), rules);
    }
  }

  private static void assertSameAsNarrow(List<Map<String, String>> raw, IdentityRules rules) {
    IdentifierNormalizer normalizer = IdentifierNormalizer.create("US",
        rules.getEmailProviderRules());
    List<Map<String, String>> normalized = new ArrayList<>();
    raw.forEach(r -> normalized.add(NormalizeRecordFn.normalized(normalizer, r)));
    CompactResolution narrow = CompactIdentityResolverEquivalenceTest.resolve(rules, normalized);
    CompactIdentityResolver allWide = resolver(rules, normalized);
    allWide.wideRecords = 0;
    CompactResolution wide = allWide.resolve();
    CompactIdentityResolverEquivalenceTest.assertSameRows(narrow.junk(), wide.junk(), "junk");
    CompactIdentityResolverEquivalenceTest.assertSameRows(narrow.identities(),
        wide.identities(), "identities");
    assertEquals(narrow.counters().asMap(), wide.counters().asMap());
    assertEquals(narrow.lookup(), wide.lookup());
  }
}
