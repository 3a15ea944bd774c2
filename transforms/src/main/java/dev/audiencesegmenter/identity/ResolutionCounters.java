package dev.audiencesegmenter.identity;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The graph-level counters of {@link ResolveIdentities} (namespace {@code ResolveIdentities},
 * transforms/README.md, "Metrics and run summary"), as {@link CompactIdentityResolver}
 * computes them. The
 * per-record ones ({@code records_resolved}, {@code identifiers_invalid}, {@code
 * identifiers_dropped_on_records}, {@code records_only_junk_identifiers}) are counted by whoever
 * reads the records; the distribution {@code identity_graph_rounds} has no equivalent here.
 */
public final class ResolutionCounters {
  /** Counter names, in the order of the run summary. */
  public static final String IDENTIFIERS = "identifiers";
  public static final String CUSTOMERS = "customers";
  public static final String IDENTIFIERS_PLACEHOLDER = "identifiers_placeholder";
  public static final String IDENTIFIERS_JUNK = "identifiers_junk";
  public static final String CUSTOMERS_SPLIT_FOR_LIMITS = "customers_split_for_limits";
  public static final String LINKS_DROPPED_FOR_LIMITS = "links_dropped_for_limits";
  public static final String CUSTOMERS_OVER_LIMIT_TOO_LARGE = "customers_over_limit_too_large";
  public static final String CUSTOMERS_OVER_LIMIT = "customers_over_limit";
  public static final String CUSTOMER_IDS_KEPT = "customer_ids_kept";
  public static final String CUSTOMERS_MERGED = "customers_merged";
  public static final String CUSTOMERS_SPLIT = "customers_split";

  long identifiers;
  long customers;
  long identifiersPlaceholder;
  long identifiersJunk;
  long customersSplitForLimits;
  long linksDroppedForLimits;
  long customersOverLimitTooLarge;
  long customersOverLimit;
  long customerIdsKept;
  long customersMerged;
  long customersSplit;

  ResolutionCounters() {}

  /** Every counter by name, in the run summary's order (0 for one that never counted). */
  public Map<String, Long> asMap() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put(IDENTIFIERS, identifiers);
    m.put(CUSTOMERS, customers);
    m.put(IDENTIFIERS_PLACEHOLDER, identifiersPlaceholder);
    m.put(IDENTIFIERS_JUNK, identifiersJunk);
    m.put(CUSTOMERS_SPLIT_FOR_LIMITS, customersSplitForLimits);
    m.put(LINKS_DROPPED_FOR_LIMITS, linksDroppedForLimits);
    m.put(CUSTOMERS_OVER_LIMIT_TOO_LARGE, customersOverLimitTooLarge);
    m.put(CUSTOMERS_OVER_LIMIT, customersOverLimit);
    m.put(CUSTOMER_IDS_KEPT, customerIdsKept);
    m.put(CUSTOMERS_MERGED, customersMerged);
    m.put(CUSTOMERS_SPLIT, customersSplit);
    return Collections.unmodifiableMap(m);
  }

  /** One counter by name; 0 for an unknown name. */
  public long get(String name) {
    return asMap().getOrDefault(name, 0L);
  }

  @Override
  public String toString() {
    return asMap().toString();
  }
}
