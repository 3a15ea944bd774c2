package dev.audiencesegmenter.report;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.Row;

/**
 * The summary rows of {@link SummarizeSegments} ({@code summary/}) in one thread, in memory,
 * without Beam and without a previous run (no stability or response): every customer added to
 * the statistics with {@link SegmentStatisticsFold}, as the batch flow does, then the same
 * segment scores. For the plain-Java baseline of the benchmark.
 */
public final class LocalSegmentSummary {
  private LocalSegmentSummary() {}

  public static List<SegmentProfile> summaries(SegmentDefinitions definitions,
      SegmentValidation validation, List<CustomerFeatures> features,
      List<SegmentMembership> memberships) {
    SchemaRegistry schemas = SchemaRegistry.createDefault();
    SerializableFunction<CustomerFeatures, Row> toRow;
    Schema schema;
    try {
      toRow = schemas.getToRowFunction(CustomerFeatures.class);
      schema = schemas.getSchema(CustomerFeatures.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
    Map<String, List<SegmentMembership>> byCustomer = new HashMap<>();
    for (SegmentMembership m : memberships) {
      byCustomer.computeIfAbsent(m.getCustomerId(), k -> new ArrayList<>()).add(m);
    }
    SegmentStatisticsFold fold = SegmentStatisticsFold.of(definitions, schema);
    Map<String, SegmentStatistics> statistics = new HashMap<>();
    for (CustomerFeatures f : features) {
      fold.add(statistics, toRow.apply(f), byCustomer.getOrDefault(f.getCustomerId(),
          List.of()));
    }
    TraitColumns columns = new TraitColumns(schema);
    SegmentStatistics everyone = statistics.containsKey(SummarizeSegments.EVERYONE)
        ? statistics.remove(SummarizeSegments.EVERYONE) : SegmentProfiles.empty(columns);
    return SegmentProfiles.profiles(definitions, columns, statistics, everyone, null,
        validation);
  }
}
