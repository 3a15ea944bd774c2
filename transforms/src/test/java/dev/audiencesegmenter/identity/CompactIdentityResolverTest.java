package dev.audiencesegmenter.identity;

import static dev.audiencesegmenter.identity.ResolveIdentitiesTest.expectedId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link CompactIdentityResolver} on small cases whose every output is worked out by hand. */
class CompactIdentityResolverTest {
  private static final IdentifierNormalizer NORMALIZER = IdentifierNormalizer.create("US");

  private static Map<String, String> ids(String... typeValue) {
    Map<String, String> raw = new LinkedHashMap<>();
    for (int i = 0; i < typeValue.length; i += 2) {
      raw.put(typeValue[i], typeValue[i + 1]);
    }
    return NormalizeRecordFn.normalized(NORMALIZER, raw);
  }

  private static CompactResolution resolve(IdentityRules rules, int maxLinks,
      List<Map<String, String>> records, List<CustomerIdentity> previous) {
    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules)
        .withMaxLinksToSplit(maxLinks);
    records.forEach(resolver::addRecord);
    if (previous != null) {
      resolver.addPreviousIdentities(previous);
    }
    return resolver.resolve();
  }

  private static CompactResolution resolve(List<Map<String, String>> records) {
    return resolve(IdentityRules.defaults(), ResolveIdentities.DEFAULT_MAX_LINKS_TO_SPLIT,
        records, null);
  }

  private static void assertRows(List<?> expected, List<?> actual) {
    CompactIdentityResolverEquivalenceTest.assertSameRows(new ArrayList<Object>(expected),
        new ArrayList<Object>(actual), "rows");
  }

  private static Map<String, Long> counters(Object... nameValue) {
    Map<String, Long> all = new LinkedHashMap<>(new ResolutionCounters().asMap());
    for (int i = 0; i < nameValue.length; i += 2) {
      all.put((String) nameValue[i], ((Number) nameValue[i + 1]).longValue());
    }
    return all;
  }

  @Test
  void aPlaceholderEmailOnAThousandCustomersMergesNone() throws Exception {
    List<Map<String, String>> records = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      records.add(ids("user_id", "u" + i, "email", "Test@Test.com"));
    }
    CompactResolution r = resolve(records);
    assertRows(List.of(JunkIdentifier.create("email", "test@test.com", "placeholder", 1000,
        "user_id", "a built-in placeholder value")), r.junk());
    assertEquals(counters("identifiers", 1000, "customers", 1000, "identifiers_placeholder", 1,
        "identifiers_junk", 1), r.counters().asMap());
    CustomerLookup.Owner owner = r.lookup().ownerOf(records.get(5));
    assertEquals(expectedId("user_id:u5"), owner.customerId());
    assertEquals(1, owner.junkIdentifiers());
    assertNull(owner.deadLetterReason());
  }

  @Test
  void anEmailOnTwoUserIdsIsNotUsedToLinkThem() throws Exception {
    List<Map<String, String>> records = List.of(
        ids("user_id", "u1", "email", "home@x.io", "phone", "+14155550101"),
        ids("user_id", "u2", "email", "home@x.io"),
        ids("email", "home@x.io"),
        ids("phone", "+14155550101"));
    CompactResolution r = resolve(records);
    String u1 = expectedId("phone:+14155550101");
    String u2 = expectedId("user_id:u2");
    assertRows(List.of(CustomerIdentity.create(u1, "user_id", "u1"),
        CustomerIdentity.create(u1, "phone", "+14155550101"),
        CustomerIdentity.create(u2, "user_id", "u2")), r.identities());
    assertRows(List.of(JunkIdentifier.create("email", "home@x.io", "over_limit", 2, "user_id",
        "seen with 2 distinct user_id; a customer may have 1 and user_id has higher priority "
            + "than email")), r.junk());
    CustomerLookup lookup = r.lookup();
    assertEquals(u1, lookup.ownerOf(records.get(0)).customerId());
    assertEquals(u2, lookup.ownerOf(records.get(1)).customerId());
    CustomerLookup.Owner dead = lookup.ownerOf(records.get(2));
    assertFalse(dead.linked());
    assertEquals(-1, dead.customer());
    assertEquals("no identifier can be linked: email (over_limit)", dead.deadLetterReason());
    assertEquals(1, dead.junkIdentifiers());
    assertEquals(u1, lookup.ownerOf(records.get(3)).customerId());
    assertEquals(counters("identifiers", 3, "customers", 2, "identifiers_junk", 1),
        r.counters().asMap());
  }

  @Test
  void aLimitBrokenOnlyThroughAChainDropsTheWeakestLink() throws Exception {
    List<Map<String, String>> records = List.of(
        ids("user_id", "u1", "email", "e1@x.io"),
        ids("email", "e1@x.io", "phone", "+14155550101"),
        ids("phone", "+14155550101", "email", "e2@x.io"),
        ids("email", "e2@x.io", "user_id", "u2"),
        ids("phone", "+14155550101"));
    CompactResolution r = resolve(records);
    String first = expectedId("email:e1@x.io");
    String second = expectedId("email:e2@x.io");
    assertRows(List.of(CustomerIdentity.create(first, "user_id", "u1"),
        CustomerIdentity.create(first, "email", "e1@x.io"),
        CustomerIdentity.create(first, "phone", "+14155550101"),
        CustomerIdentity.create(second, "email", "e2@x.io"),
        CustomerIdentity.create(second, "user_id", "u2")), r.identities());
    assertRows(List.of(JunkIdentifier.create("phone", "+14155550101", "limit_conflict", 2,
        "user_id", "link to email:e2@x.io dropped: it would give one customer 2 user_id; "
            + "limit 1")), r.junk());
    // Record c is kept by its email, its highest-priority identifier.
    assertEquals(second, r.lookup().ownerOf(records.get(2)).customerId());
    assertEquals(first, r.lookup().ownerOf(records.get(4)).customerId());
    assertEquals(counters("identifiers", 5, "customers", 2, "customers_split_for_limits", 1,
        "links_dropped_for_limits", 1), r.counters().asMap());
  }

  @Test
  void aCustomerOverTheSplitSizeIsLeftMergedAndCounted() throws Exception {
    List<Map<String, String>> records = List.of(
        ids("user_id", "u1", "email", "e1@x.io"),
        ids("email", "e1@x.io", "phone", "+14155550101"),
        ids("phone", "+14155550101", "email", "e2@x.io"),
        ids("email", "e2@x.io", "user_id", "u2"));
    CompactResolution r = resolve(IdentityRules.defaults(), 3, records, null);
    assertEquals(1, r.lookup().customerCount());
    assertEquals(expectedId("email:e1@x.io"), r.lookup().customerId(0));
    assertTrue(r.junk().isEmpty());
    // Four links > 3: too large; one (customer, type) pair over its limit remains.
    assertEquals(counters("identifiers", 5, "customers", 1, "customers_over_limit_too_large", 1,
        "customers_over_limit", 1), r.counters().asMap());
  }

  @Test
  void aJunkValueImposesNoLimitOnItsNeighbours() throws Exception {
    List<Map<String, String>> records = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      records.add(ids("user_id", "u" + i, "email", "desk@shop.io"));
    }
    for (int i = 0; i < 7; i++) {
      records.add(ids("user_id", "u" + i, "phone", "+1415555010" + i));
      records.add(ids("email", "desk@shop.io", "phone", "+1415555010" + i));
    }
    CompactResolution r = resolve(records);
    assertRows(List.of(JunkIdentifier.create("email", "desk@shop.io", "fan_out", 25, "user_id",
        "seen with more than 21 distinct user_id; max_fan_out 20")), r.junk());
    assertEquals(32, r.counters().get("identifiers"));
    assertEquals(25, r.counters().get("customers"));
  }

  @Test
  void textOrderIsJavaStringOrderOfUtf16CodeUnits() throws Exception {
    // U+1F600 is the surrogate pair D83D DE00, below U+FF21 in UTF-16 but above in code points.
    String emoji = "\uD83D\uDE00";
    String fullwidthA = "\uFF21";
    List<Map<String, String>> records = List.of(
        ids("device_id", fullwidthA, "zeta", "k"),
        ids("device_id", emoji, "zeta", "k"),
        ids("device_id", "\u00E9", "zeta", "m"),
        ids("device_id", emoji + "2", "zeta", "m"),
        // A user id with 3 emails where a customer may have 2: the smallest 2 are kept.
        ids("user_id", "u1", "email", "b@x.io"),
        ids("user_id", "u1", "email", emoji + "@x.io"),
        ids("user_id", "u1", "email", "\uFF41@x.io"));
    Map<String, Integer> priorities = new LinkedHashMap<>(); // in priority order
    priorities.put("user_id", 1);
    priorities.put("email", 2);
    IdentityRules rules = IdentityRules.defaults().withPriorities(priorities);
    CompactResolution r = resolve(rules, 100, records, null);
    Map<String, String> customerOf = new LinkedHashMap<>();
    r.forEachIdentity(id -> customerOf.put(id.getIdType() + ":" + id.getIdValue(),
        id.getCustomerId()));
    assertEquals(expectedId("device_id:" + emoji), customerOf.get("device_id:" + fullwidthA));
    assertEquals(expectedId("device_id:\u00E9"), customerOf.get("device_id:" + emoji + "2"));
    assertRows(List.of(JunkIdentifier.create("email", "\uFF41@x.io", "over_limit", 1,
        "user_id", "one of 3 distinct email seen with user_id; a customer may have 2, the "
            + "smallest are kept")), r.junk());
    assertEquals(expectedId("email:b@x.io"), customerOf.get("email:" + emoji + "@x.io"));
  }

  @Test
  void customerIdsAreStableAcrossRunsAndMergesAreRecorded() throws Exception {
    // ResolveIdentitiesRulesTest's case: Z and B are linked today, S breaks in two, G is gone.
    List<CustomerIdentity> previous = List.of(
        CustomerIdentity.create("cust-Z", "email", "a@x.io"),
        CustomerIdentity.create("cust-Z", "anonymous_id", "za"),
        CustomerIdentity.create("cust-Z", "device_id", "zd"),
        CustomerIdentity.create("cust-B", "phone", "+14155550199"),
        CustomerIdentity.create("cust-B", "anonymous_id", "ba"),
        CustomerIdentity.create("cust-C", "user_id", "u3"),
        CustomerIdentity.create("cust-S", "anonymous_id", "s1"),
        CustomerIdentity.create("cust-S", "anonymous_id", "s2"),
        CustomerIdentity.create("cust-G", "user_id", "gone"));
    List<Map<String, String>> records = List.of(
        ids("email", "a@x.io", "anonymous_id", "za"),
        ids("anonymous_id", "za", "device_id", "zd"),
        ids("phone", "+14155550199", "anonymous_id", "ba"),
        ids("user_id", "u3"),
        ids("anonymous_id", "s1"),
        ids("anonymous_id", "s2"),
        ids("user_id", "u-new"),
        ids("email", "a@x.io", "phone", "(415) 555-0199"));
    CompactResolution r = resolve(IdentityRules.defaults(), 100, records, previous);
    String split = expectedId("split:anonymous_id:s2");
    List<String> owners = new ArrayList<>();
    for (Map<String, String> record : records) {
      owners.add(r.lookup().ownerOf(record).customerId());
    }
    assertEquals(List.of("cust-Z", "cust-Z", "cust-Z", "cust-C", "cust-S", split,
        expectedId("user_id:u-new"), "cust-Z"), owners);
    assertRows(List.of(
        IdentityChange.create("merge", "cust-Z", "cust-B", "phone:+14155550199",
            "email:a@x.io", "a record links phone:+14155550199 with email:a@x.io"),
        IdentityChange.create("split", "cust-S", split, "", "",
            "identifiers that were one customer are no longer linked; this part holds fewer "
                + "of them and gets a new id")), r.changes());
    assertEquals(counters("identifiers", 9, "customers", 5, "customer_ids_kept", 3,
        "customers_merged", 1, "customers_split", 1), r.counters().asMap());
    // Customer indexes follow id order: c-... before cust-...
    List<String> ids = new ArrayList<>();
    for (int c = 0; c < r.lookup().customerCount(); c++) {
      ids.add(r.lookup().customerId(c));
    }
    List<String> sortedIds = new ArrayList<>(ids);
    java.util.Collections.sort(sortedIds);
    assertEquals(sortedIds, ids);
    assertEquals(5, ids.size());
  }

  @Test
  void anEmptyPreviousIdIsNoIdAndTheSmallestOfSeveralIdsCounts() throws Exception {
    List<CustomerIdentity> previous = List.of(
        CustomerIdentity.create("", "email", "a@x.io"),
        CustomerIdentity.create("cust-B", "email", "a@x.io"),
        CustomerIdentity.create("cust-A", "email", "a@x.io"),
        CustomerIdentity.create("", "email", "b@x.io"));
    CompactResolution r = resolve(IdentityRules.defaults(), 100, List.of(
        ids("email", "a@x.io"), ids("email", "b@x.io")), previous);
    assertEquals("cust-A", r.lookup().ownerOf(ids("email", "a@x.io")).customerId());
    assertEquals(expectedId("email:b@x.io"), r.lookup().ownerOf(ids("email", "b@x.io"))
        .customerId());
    assertTrue(r.changes().isEmpty());
  }

  @Test
  void aDeadLetterNamesEachRefusedIdentifierInTextOrder() throws Exception {
    CompactResolution r = resolve(List.of(
        ids("user_id", "undefined", "email", "Test@Test.com"),
        ids("user_id", "u1")));
    CustomerLookup.Owner dead = r.lookup().ownerOf(ids("user_id", "undefined", "email",
        "test@test.com"));
    assertEquals("no identifier can be linked: email (placeholder), user_id (placeholder)",
        dead.deadLetterReason());
    assertEquals(2, dead.junkIdentifiers());
    assertEquals("placeholder", r.lookup().junkReason("email", "test@test.com"));
    assertEquals(-1, r.lookup().customerOf("email", "test@test.com"));
    assertEquals(expectedId("user_id:u1"), r.lookup().customerId(
        r.lookup().customerOf("user_id", "u1")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> r.lookup().ownerOf(ids("email", "someone@else.io")));
    assertEquals("an identifier of type 'email' was not given to the resolver that built this "
        + "lookup", e.getMessage());
  }

  @Test
  void theCustomerIdHasherIsCustomerIds() {
    NodeTable nodes = new NodeTable();
    CustomerIdTable.Hasher hasher = new CustomerIdTable.Hasher();
    Random random = new Random(1);
    for (int i = 0; i < 500; i++) {
      StringBuilder value = new StringBuilder();
      for (int k = random.nextInt(12); k >= 0; k--) {
        value.append((char) (random.nextBoolean() ? 'a' + random.nextInt(26)
            : random.nextInt(0x3000)));
      }
      String type = "t" + random.nextInt(3);
      int node = nodes.intern(nodes.typeId(type), value.toString());
      String text = type + ":" + value;
      assertEquals(CustomerIds.fromSmallestNode(text),
          CustomerIdTable.format(hasher.ofNode(nodes, node)));
      assertEquals(CustomerIds.fromSmallestNode("split:" + text),
          CustomerIdTable.format(hasher.ofText("split:" + text)));
      assertEquals(text, nodes.node(node));
    }
  }

  @Test
  void nodesCompareAsTheirText() {
    NodeTable nodes = new NodeTable();
    Random random = new Random(2);
    String[] types = {"user", "user_id", "user-x", "a", "ab", "\u00E9"};
    String alphabet = "a:-_\u0000\u00E9\u00FF\uD83D\uDE00\uFF21\uE000z";
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      StringBuilder v = new StringBuilder();
      for (int k = random.nextInt(5); k >= 0; k--) {
        v.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      ids.add(nodes.intern(nodes.typeId(types[random.nextInt(types.length)]), v.toString()));
    }
    nodes.freezeTypeOrder();
    for (int a : ids) {
      for (int b : ids) {
        assertEquals(Integer.signum(nodes.node(a).compareTo(nodes.node(b))),
            Integer.signum(nodes.compare(a, b)), nodes.node(a) + " vs " + nodes.node(b));
      }
    }
  }

  @Test
  void thePlaceholderPreFilterNeverMissesAPlaceholder() {
    NodeTable nodes = new NodeTable();
    List<String> values = new ArrayList<>();
    for (String v : PlaceholderValues.ANY_TYPE) {
      values.add(v);
      values.add(v.toUpperCase(java.util.Locale.ROOT));
    }
    for (String local : PlaceholderValues.EMAIL_LOCAL_PARTS) {
      values.add(local + "@some-very-long-domain-name-of-a-company.example.com");
    }
    values.addAll(PlaceholderValues.EMAILS);
    for (String digits : PlaceholderValues.PHONE_DIGITS) {
      values.add("+1" + digits);
      values.add("+44" + digits);
      values.add("+353" + digits);
    }
    Random random = new Random(4);
    for (int i = 0; i < 3000; i++) {
      StringBuilder v = new StringBuilder(random.nextBoolean() ? "+" : "");
      char d = (char) ('0' + random.nextInt(10));
      for (int k = 6 + random.nextInt(10); k >= 0; k--) {
        v.append(random.nextInt(4) == 0 ? d : (char) ('0' + random.nextInt(10)));
      }
      values.add(v.toString());
      values.add("\u0130" + "\u0130".repeat(random.nextInt(20)) + "@x.io");
    }
    int email = nodes.typeId("email");
    int phone = nodes.typeId("phone");
    int other = nodes.typeId("user_id");
    int placeholders = 0;
    for (String v : values) {
      for (int t : new int[] {email, phone, other}) {
        int node = nodes.intern(t, v);
        boolean real = PlaceholderValues.isPlaceholder(nodes.typeName(t), v);
        placeholders += real ? 1 : 0;
        assertTrue(!real || CompactJunkFinder.mayBePlaceholder(nodes, node, email, phone),
            nodes.typeName(t) + ":" + v);
      }
    }
    assertTrue(placeholders > 100, "placeholders tested: " + placeholders);
  }
}
