package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.JunkIdentifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * What {@link CompactIdentityResolver#resolve} computed: {@link ResolveIdentities}' identities,
 * junk rows, changes and graph counters, and the {@link CustomerLookup} that keys records.
 */
public final class CompactResolution {
  private final NodeTable nodes;
  private final boolean[] usable;
  private final int[] customer;
  private final CustomerIdTable ids;
  private final List<JunkIdentifier> junk;
  private final List<IdentityChange> changes;
  private final ResolutionCounters counters;
  private final CustomerLookup lookup;
  private String[] idTexts;

  CompactResolution(NodeTable nodes, boolean[] usable, int[] customer, CustomerIdTable ids,
      List<JunkIdentifier> junk, List<IdentityChange> changes, ResolutionCounters counters,
      CustomerLookup lookup) {
    this.nodes = nodes;
    this.usable = usable;
    this.customer = customer;
    this.ids = ids;
    this.junk = Collections.unmodifiableList(junk);
    this.changes = Collections.unmodifiableList(changes);
    this.counters = counters;
    this.lookup = lookup;
  }

  /** One row per linked identifier ({@code identities/}), streamed: nothing is kept. */
  public void forEachIdentity(Consumer<CustomerIdentity> out) {
    if (idTexts == null) {
      idTexts = new String[ids.size()];
      for (int i = 0; i < idTexts.length; i++) {
        idTexts[i] = ids.id(i);
      }
    }
    for (int n = 0; n < nodes.size(); n++) {
      if (usable[n]) {
        out.accept(CustomerIdentity.create(idTexts[customer[n]],
            nodes.typeName(nodes.type(n)), nodes.value(n)));
      }
    }
  }

  /** {@link #forEachIdentity} as a list. */
  public List<CustomerIdentity> identities() {
    List<CustomerIdentity> rows = new ArrayList<>();
    forEachIdentity(rows::add);
    return rows;
  }

  /**
   * Junk rows ({@code junk-identifiers/}): FindJunkIdentifiers' rows, then one {@code
   * limit_conflict} row per link dropped by a split.
   */
  public List<JunkIdentifier> junk() {
    return junk;
  }

  /** Merges and splits against the previous identities; empty without them. */
  public List<IdentityChange> changes() {
    return changes;
  }

  public ResolutionCounters counters() {
    return counters;
  }

  /** Per-record owner lookup, for workers ({@link CustomerLookupCoder}). */
  public CustomerLookup lookup() {
    return lookup;
  }

  /** Number of linked identifiers (rows of {@link #forEachIdentity}). */
  public long identifierCount() {
    return counters.identifiers;
  }
}
