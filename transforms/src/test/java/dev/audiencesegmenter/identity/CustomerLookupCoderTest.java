package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerIdentity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/**
 * {@link CustomerLookupCoder} round trips, and {@link CustomerLookup} stays exact when
 * fingerprints collide (forced with a truncated fingerprint).
 */
class CustomerLookupCoderTest {
  private static final Coder<CustomerLookup> CODER = CustomerLookupCoder.of();

  /** Normalized records of an adversarial graph, with stable ids of both forms. */
  private static List<Map<String, String>> records(long seed) {
    Random random = new Random(seed);
    IdentifierNormalizer normalizer = IdentifierNormalizer.create("US");
    List<Map<String, String>> out = new ArrayList<>();
    for (Map<String, String> raw : CompactResolverFixtures.adversarial(random, 300, 1500)) {
      Map<String, String> ids = NormalizeRecordFn.normalized(normalizer, raw);
      if (!ids.isEmpty()) {
        out.add(ids);
      }
    }
    return out;
  }

  private static CompactResolution resolve(List<Map<String, String>> records,
      NodeFingerprint fingerprint, List<CustomerIdentity> previous) {
    CompactIdentityResolver resolver = CompactIdentityResolver.create(
        CompactResolverFixtures.randomRules(new Random(9))).withLookupFingerprint(fingerprint);
    records.forEach(resolver::addRecord);
    if (previous != null) {
      resolver.addPreviousIdentities(previous);
    }
    return resolver.resolve();
  }

  private static List<CustomerIdentity> previous(List<Map<String, String>> records) {
    return CompactResolverFixtures.previousFrom(
        resolve(records.subList(0, records.size() / 2), NodeFingerprint.full(), null)
            .identities(), new Random(5));
  }

  private static void assertSameOwners(CustomerLookup expected, CustomerLookup actual,
      List<Map<String, String>> records) {
    for (Map<String, String> ids : records) {
      assertEquals(expected.ownerOf(ids), actual.ownerOf(ids), ids.toString());
    }
  }

  @Test
  void aLookupRoundTripsToAnEqualLookup() throws Exception {
    List<Map<String, String>> records = records(1);
    CustomerLookup lookup = resolve(records, NodeFingerprint.full(), previous(records))
        .lookup();
    assertTrue(lookup.customerCount() > 100);
    CoderProperties.coderDecodeEncodeEqual(CODER, lookup);
    CustomerLookup decoded = CoderUtils.clone(CODER, lookup);
    assertEquals(lookup, decoded);
    assertArrayEquals(CoderUtils.encodeToByteArray(CODER, lookup),
        CoderUtils.encodeToByteArray(CODER, decoded));
    assertSameOwners(lookup, decoded, records);
    // Ids of an older version ("cust-...") are kept as text, the usual ones as numbers.
    boolean older = false;
    for (int c = 0; c < decoded.customerCount(); c++) {
      older |= decoded.customerId(c).startsWith("cust-");
    }
    assertTrue(older);
    // About 12 bytes per identifier and 8 per customer, plus the older ids' text.
    int bytes = CoderUtils.encodeToByteArray(CODER, lookup).length;
    assertTrue(bytes < 13 * lookup.identifierCount() + 30 * lookup.customerCount() + 200,
        bytes + " bytes");
  }

  @Test
  void lookupsCodeInsideALargerStream() throws Exception {
    List<Map<String, String>> records = records(2);
    CustomerLookup a = resolve(records, NodeFingerprint.full(), null).lookup();
    CustomerLookup b = resolve(records.subList(0, 100), NodeFingerprint.truncated(3), null)
        .lookup();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CODER.encode(a, bytes);
    CODER.encode(b, bytes);
    new DataOutputStream(bytes).writeInt(42);
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
    assertEquals(a, CODER.decode(in));
    assertEquals(b, CODER.decode(in));
    assertEquals(42, in.readInt());
    assertNotEquals(a, b);
  }

  @Test
  void collidingFingerprintsStayExact() throws Exception {
    List<Map<String, String>> records = records(3);
    List<CustomerIdentity> previous = previous(records);
    CustomerLookup exact = resolve(records, NodeFingerprint.full(), previous).lookup();
    assertEquals(0, exact.collidingIdentifiers());
    for (int bits : new int[] {1, 6, 10}) {
      CompactResolution weak = resolve(records, NodeFingerprint.truncated(bits), previous);
      CustomerLookup lookup = weak.lookup();
      // With 2^bits fingerprints, most identifiers share theirs with another.
      assertTrue(lookup.collidingIdentifiers() > exact.identifierCount() / 3,
          bits + " bits: " + lookup);
      assertEquals(exact.identifierCount(), lookup.identifierCount());
      assertSameOwners(exact, lookup, records);
      CustomerLookup decoded = CoderUtils.clone(CODER, lookup);
      assertEquals(lookup, decoded);
      assertSameOwners(exact, decoded, records);
      for (Map<String, String> ids : records) {
        for (Map.Entry<String, String> id : ids.entrySet()) {
          assertEquals(exact.junkReason(id.getKey(), id.getValue()),
              decoded.junkReason(id.getKey(), id.getValue()));
        }
      }
    }
  }

  @Test
  void theFullFingerprintIsStreamedOverTypeColonValue() {
    NodeFingerprint full = NodeFingerprint.full();
    assertEquals(full.of("email", "a:b"), full.of("email", "a:b"));
    assertNotEquals(full.of("email", "ab"), full.of("emai", "lab"));
    // type "a" value "b:c" and type "a:b" value "c" are one text, so one fingerprint.
    assertEquals(full.of("a", "b:c"), full.of("a:b", "c"));
    assertEquals(full.of("email", "x") & 63, NodeFingerprint.truncated(6).of("email", "x"));
  }
}
