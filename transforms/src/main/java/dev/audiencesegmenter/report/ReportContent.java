package dev.audiencesegmenter.report;

import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Everything the segment report shows, gathered on one worker: the segment profiles in file
 * order, the population's lifecycle and RFM-grid counts (empty when those columns are absent),
 * the transitions and responses (empty without a previous run), and the definitions (for
 * descriptions and activation plans), and per segment the means of the key features, their
 * standardized differences from the rest and the category mixes (see {@link Detail}).
 */
public record ReportContent(SegmentDefinitions definitions, List<SegmentProfile> profiles,
    long customers, Map<String, Long> lifecycleStages, Map<String, Long> rfmCells,
    List<SegmentTransition> transitions, List<SegmentResponse> responses,
    Map<String, Detail> details) implements Serializable {

  /**
   * @param means key feature -> mean among members (features present in the run only)
   * @param differences key feature -> standardized mean difference against the rest
   * @param categories category column -> value -> members
   */
  public record Detail(Map<String, Double> means, Map<String, Double> differences,
      Map<String, Map<String, Long>> categories) implements Serializable {}
}
