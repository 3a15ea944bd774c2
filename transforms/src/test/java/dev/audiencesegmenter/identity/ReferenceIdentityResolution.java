package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.JunkIdentifier;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;

/**
 * The rules of {@link ResolveIdentities} written the plain way, for tests: strings, maps and a
 * hash-map union-find, calling the distributed transform's own rule functions (normalization,
 * junk rules, record linking, limit splits). {@link CompactIdentityResolver} must agree with it
 * ({@code CompactIdentityResolverEquivalenceTest}). Previous identities (stable ids) are not
 * supported.
 */
final class ReferenceIdentityResolution {
  private static final char SEP = '\u0000';

  private final List<CustomerIdentity> identities = new ArrayList<>();
  private final List<KV<String, CustomerEvent>> events = new ArrayList<>();
  private final List<KV<String, ProfileAttributes>> profiles = new ArrayList<>();
  private final List<JunkIdentifier> junk = new ArrayList<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();

  private ReferenceIdentityResolution() {}

  /** One row per distinct normalized identifier. */
  public List<CustomerIdentity> identities() {
    return identities;
  }

  /** Every linked event with normalized identifiers, keyed by its customer id. */
  public List<KV<String, CustomerEvent>> events() {
    return events;
  }

  /** Every linked profile with normalized identifiers, keyed by its customer id. */
  public List<KV<String, ProfileAttributes>> profiles() {
    return profiles;
  }

  /** Identifiers left out of linking, and dropped links. */
  public List<JunkIdentifier> junk() {
    return junk;
  }

  /** Records without a valid, or without a usable, identifier. */
  public List<DeadLetter> deadLetters() {
    return deadLetters;
  }

  public static ReferenceIdentityResolution resolve(List<CustomerEvent> eventRecords,
      List<ProfileAttributes> profileRecords, String defaultRegion, IdentityRules rules) {
    IdentifierNormalizer normalizer = IdentifierNormalizer.create(defaultRegion,
        rules.getEmailProviderRules());
    ReferenceIdentityResolution result = new ReferenceIdentityResolution();
    SchemaRegistry schemas = SchemaRegistry.createDefault();

    // 1. Normalize; count every node's distinct neighbours per type, capped as in the pipeline.
    List<CustomerEvent> normalizedEvents = new ArrayList<>(eventRecords.size());
    for (CustomerEvent e : eventRecords) {
      Map<String, String> ids = result.normalize(normalizer, e.getIdentifiers(), () ->
          toRow(schemas, CustomerEvent.class, e));
      if (ids != null) {
        normalizedEvents.add(e.toBuilder().setIdentifiers(ids).build());
      }
    }
    List<ProfileAttributes> normalizedProfiles = new ArrayList<>(profileRecords.size());
    for (ProfileAttributes p : profileRecords) {
      Map<String, String> ids = result.normalize(normalizer, p.getIdentifiers(), () ->
          toRow(schemas, ProfileAttributes.class, p));
      if (ids != null) {
        normalizedProfiles.add(p.toBuilder().setIdentifiers(ids).build());
      }
    }
    List<Map<String, String>> allIds = new ArrayList<>(normalizedEvents.size()
        + normalizedProfiles.size());
    normalizedEvents.forEach(e -> allIds.add(e.getIdentifiers()));
    normalizedProfiles.forEach(p -> allIds.add(p.getIdentifiers()));
    Map<String, JunkIdentifier> refused = findJunk(rules, allIds);
    result.junk.addAll(refused.values());

    // 2. Link: a union-find whose root is always the smallest node of its part.
    Map<String, String> parent = new HashMap<>();
    for (Map<String, String> ids : allIds) {
      LinkRecordFn.Link link = LinkRecordFn.link(ids, refused, rules);
      if (link.owner() != null) {
        link.edges((a, b) -> union(parent, a, b));
      }
    }

    // 3. Split the customers over a per-type limit, as SplitOverLimitCustomers does.
    Map<String, String> labels = new HashMap<>(parent.size() * 2);
    Map<String, Map<String, Integer>> limitedCounts = new HashMap<>();
    for (String node : parent.keySet()) {
      String root = find(parent, node);
      labels.put(node, root);
      String type = IdentifierNode.split(node)[0];
      if (rules.limit(type) != null) {
        limitedCounts.computeIfAbsent(root, r -> new HashMap<>()).merge(type, 1, Integer::sum);
      }
    }
    Set<String> overLimit = new HashSet<>();
    limitedCounts.forEach((root, counts) -> counts.forEach((type, n) -> {
      if (n > rules.limit(type)) {
        overLimit.add(root);
      }
    }));
    if (!overLimit.isEmpty()) {
      Map<String, List<KV<String, String>>> linksByRoot = new HashMap<>();
      for (Map<String, String> ids : allIds) {
        LinkRecordFn.Link link = LinkRecordFn.link(ids, refused, rules);
        if (link.owner() != null && overLimit.contains(labels.get(link.usable().first()))) {
          List<KV<String, String>> links = linksByRoot.computeIfAbsent(
              labels.get(link.usable().first()), r -> new ArrayList<>());
          link.edges((a, b) -> links.add(KV.of(a, b)));
        }
      }
      Map<String, String> overrides = new HashMap<>();
      for (List<KV<String, String>> links : linksByRoot.values()) {
        SplitOverLimitCustomers.replay(rules, ResolveIdentities.DEFAULT_MAX_LINKS_TO_SPLIT, links,
            overrides::put, (node, row) -> result.junk.add(row));
      }
      labels.putAll(overrides);
    }

    // 4. Customer ids, identities, and every record keyed by its owner's customer.
    Map<String, String> customerIds = new HashMap<>();
    labels.forEach((node, label) -> {
      String id = customerIds.computeIfAbsent(label, CustomerIds::fromSmallestNode);
      String[] typeAndValue = IdentifierNode.split(node);
      result.identities.add(CustomerIdentity.create(id, typeAndValue[0], typeAndValue[1]));
    });
    for (CustomerEvent e : normalizedEvents) {
      String owner = result.owner(refused, rules, e.getIdentifiers(),
          () -> toRow(schemas, CustomerEvent.class, e));
      if (owner != null) {
        result.events.add(KV.of(customerIds.get(labels.get(owner)), e));
      }
    }
    for (ProfileAttributes p : normalizedProfiles) {
      String owner = result.owner(refused, rules, p.getIdentifiers(),
          () -> toRow(schemas, ProfileAttributes.class, p));
      if (owner != null) {
        result.profiles.add(KV.of(customerIds.get(labels.get(owner)), p));
      }
    }
    return result;
  }

  /** The normalized identifiers, or null (and a dead letter) when none is valid. */
  private Map<String, String> normalize(IdentifierNormalizer normalizer,
      Map<String, String> raw, java.util.function.Supplier<Row> row) {
    Map<String, String> normalized = NormalizeRecordFn.normalized(normalizer, raw);
    if (normalized.isEmpty()) {
      deadLetters.add(DeadLetter.create(NormalizeRecordFn.STEP,
          NormalizeRecordFn.noIdentifierReason(
              NormalizeRecordFn.rejectedTypes(normalizer, raw, normalized)),
          JsonLines.toJson(row.get())));
      return null;
    }
    return normalized;
  }

  /** The node that owns a record, or null (and a dead letter) when none is usable. */
  private String owner(Map<String, JunkIdentifier> refused, IdentityRules rules,
      Map<String, String> ids, java.util.function.Supplier<Row> row) {
    LinkRecordFn.Link link = LinkRecordFn.link(ids, refused, rules);
    if (link.owner() == null) {
      deadLetters.add(DeadLetter.create(LinkRecordFn.STEP, link.deadLetterReason(),
          JsonLines.toJson(row.get())));
    }
    return link.owner();
  }

  /** The junk rows of FindJunkIdentifiers, by node, from every record's identifiers. */
  static Map<String, JunkIdentifier> findJunk(IdentityRules rules,
      List<Map<String, String>> records) {
    int cap = FindJunkIdentifiers.cap(rules);
    Map<String, CappedDistinctFn.Values> neighbours = new HashMap<>();
    for (Map<String, String> ids : records) {
      NormalizeRecordFn.pairs(rules, ids, (a, b) -> neighbours.computeIfAbsent(
          a + SEP + IdentifierNode.split(b)[0], k -> new CappedDistinctFn.Values()).add(b, cap));
    }
    Map<String, String> own = new HashMap<>();
    List<KV<String, KV<String, String>>> trims = new ArrayList<>();
    neighbours.forEach((key, values) -> {
      int sep = key.indexOf(SEP);
      FindJunkIdentifiers.applyRules(rules, key.substring(0, sep), key.substring(sep + 1),
          values, (node, reason) -> own.merge(node, reason, FindJunkIdentifiers::firstReason),
          (node, trim) -> trims.add(KV.of(node, trim)));
    });
    Map<String, String> reasons = new HashMap<>(own);
    for (KV<String, KV<String, String>> trim : trims) {
      // A node that is junk itself imposes no limit on its neighbours.
      if (!own.containsKey(trim.getKey())) {
        reasons.merge(trim.getValue().getKey(), trim.getValue().getValue(),
            FindJunkIdentifiers::firstReason);
      }
    }
    // Exact fan-out of the excluded nodes, for the report.
    Map<String, Set<String>> excludedNeighbours = new HashMap<>();
    for (Map<String, String> ids : records) {
      NormalizeRecordFn.pairs(rules, ids, (a, b) -> {
        if (!a.equals(b) && reasons.containsKey(a)) {
          excludedNeighbours.computeIfAbsent(a + SEP + IdentifierNode.split(b)[0],
              k -> new HashSet<>()).add(b);
        }
      });
    }
    Map<String, KV<String, Long>> largest = new HashMap<>();
    excludedNeighbours.forEach((key, others) -> {
      int sep = key.indexOf(SEP);
      largest.merge(key.substring(0, sep), KV.of(key.substring(sep + 1), (long) others.size()),
          FindJunkIdentifiers::largerFanOut);
    });
    Map<String, JunkIdentifier> rows = new HashMap<>();
    reasons.forEach((node, reason) -> {
      KV<String, Long> fanOut = largest.getOrDefault(node, KV.of("", 0L));
      rows.put(node, FindJunkIdentifiers.junkRow(node, reason, fanOut.getKey(),
          fanOut.getValue()));
    });
    return rows;
  }

  private static String find(Map<String, String> parent, String node) {
    String root = node;
    for (String up = parent.get(root); !up.equals(root); up = parent.get(root)) {
      root = up;
    }
    while (!node.equals(root)) { // path compression
      String next = parent.put(node, root);
      node = next;
    }
    return root;
  }

  /** Joins the parts of a and b; the smaller root survives, so a root is its part's minimum. */
  private static void union(Map<String, String> parent, String a, String b) {
    parent.putIfAbsent(a, a);
    parent.putIfAbsent(b, b);
    String ra = find(parent, a);
    String rb = find(parent, b);
    int c = ra.compareTo(rb);
    if (c < 0) {
      parent.put(rb, ra);
    } else if (c > 0) {
      parent.put(ra, rb);
    }
  }

  private static <T> Row toRow(SchemaRegistry schemas, Class<T> type, T record) {
    try {
      return schemas.getToRowFunction(type).apply(record);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("No schema for " + type, e);
    }
  }
}
