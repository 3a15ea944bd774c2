package dev.audiencesegmenter.report;

import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Everything the segment report shows, gathered on one worker: the segment profiles in file
 * order, the population's lifecycle and RFM-grid counts (empty when those columns are absent),
 * the transitions and responses (empty without a previous run), and the definitions (for
 * descriptions and activation plans).
 */
public record ReportContent(SegmentDefinitions definitions, List<SegmentProfile> profiles,
    long customers, Map<String, Long> lifecycleStages, Map<String, Long> rfmCells,
    List<SegmentTransition> transitions, List<SegmentResponse> responses)
    implements Serializable {}
