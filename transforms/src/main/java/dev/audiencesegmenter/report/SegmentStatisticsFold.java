package dev.audiencesegmenter.report;

import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * The per-customer half of {@link SummarizeSegments}, for flows that hold a customer's features
 * and memberships together: adds the customer once to everyone's statistics and once to each
 * segment it is in, into a map of partial {@link SegmentStatistics} (any number of customers;
 * partial maps merge in any order; {@link SummarizeSegments#STATISTICS} takes them). The same
 * values as the transform's own join of features and memberships.
 */
public final class SegmentStatisticsFold implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TraitColumns columns;
  private final Map<String, List<String>> channels;
  private final int clvIndex;

  private SegmentStatisticsFold(SegmentDefinitions definitions, Schema featureSchema) {
    this.columns = new TraitColumns(featureSchema);
    this.channels = new HashMap<>(SummarizeSegments.plannedChannels(definitions));
    this.clvIndex = columns.numberIndex(TraitColumns.CLV);
  }

  /** For features of {@code featureSchema} (columns are found by name). */
  public static SegmentStatisticsFold of(SegmentDefinitions definitions, Schema featureSchema) {
    if (definitions == null || featureSchema == null) {
      throw new IllegalArgumentException("definitions and feature schema must not be null");
    }
    return new SegmentStatisticsFold(definitions, featureSchema);
  }

  /** Adds one customer: its feature row and every membership it has (none is fine). */
  public void add(Map<String, SegmentStatistics> totals, Row features,
      Iterable<SegmentMembership> memberships) {
    SummarizeSegments.memberValues(columns, channels, features, memberships,
        (segment, values) -> totals.computeIfAbsent(segment, s -> new SegmentStatistics(
            columns.numbers().size(), columns.categories().size())).add(values, clvIndex));
  }

  /** The coder of partial statistics. */
  public static Coder<SegmentStatistics> coder() {
    return ReportCoders.statistics();
  }
}
