package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.pipelines.bench.PairwiseScore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PairwiseScoreTest {

  @Test
  void countsPairsFromClusterSizes() {
    // Truth: {a,b,c} and {d,e}: 3 + 1 = 4 true pairs.
    Map<String, String> truth = Map.of("a", "T1", "b", "T1", "c", "T1", "d", "T2", "e", "T2");
    // Predicted: {a,b} and {c,d,e}: 1 + 3 = 4 predicted pairs; correct ones: ab, de = 2.
    Map<String, String> predicted = Map.of("a", "P1", "b", "P1", "c", "P2", "d", "P2", "e", "P2");
    PairwiseScore score = PairwiseScore.of(truth, predicted);
    assertEquals(new PairwiseScore(2, 4, 4), score);
    assertEquals(0.5, score.precision());
    assertEquals(0.5, score.recall());
  }

  @Test
  void overMergingCostsPrecisionNotRecall() {
    Map<String, String> truth = Map.of("a", "T1", "b", "T1", "c", "T2");
    Map<String, String> predicted = Map.of("a", "P", "b", "P", "c", "P");
    PairwiseScore score = PairwiseScore.of(truth, predicted);
    assertEquals(1.0 / 3, score.precision());
    assertEquals(1.0, score.recall());
  }
}
