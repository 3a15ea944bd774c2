package dev.audiencesegmenter.segments;

import java.io.Serializable;
import java.util.List;

/**
 * The lookalike family: customers outside {@code seedSegment} (whose condition is {@code
 * seedWhen}) scored by similarity to it on {@code columns}, keeping the {@code topN} best
 * (0: no such limit) and those scoring at least {@code minScore}.
 */
public record LookalikeSpec(String seedSegment, String seedWhen, List<String> columns,
    int topN, double minScore) implements Serializable {
  public LookalikeSpec {
    columns = List.copyOf(columns);
    if (topN < 0) {
      throw new IllegalArgumentException("top_n must be 0 or more, got " + topN);
    }
    if (!(minScore >= 0 && minScore <= 1)) {
      throw new IllegalArgumentException("min_score must be from 0 to 1, got " + minScore);
    }
    if (topN == 0 && minScore == 0) {
      throw new IllegalArgumentException("a lookalike group needs top_n or min_score");
    }
  }
}
