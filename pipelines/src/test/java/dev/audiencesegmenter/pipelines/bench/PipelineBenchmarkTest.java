package dev.audiencesegmenter.pipelines.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineBenchmarkTest {
  /** Two runs are the benchmark's usual count: their median is not the faster one. */
  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertEquals(34_000.0, PipelineBenchmark.median(List.of(33_000.0, 35_000.0)));
    assertEquals(2.5, PipelineBenchmark.median(List.of(1.0, 2.0, 3.0, 10.0)));
    assertEquals(2.0, PipelineBenchmark.median(List.of(1.0, 2.0, 30.0)));
    assertEquals(7.0, PipelineBenchmark.median(List.of(7.0)));
  }
}
