package dev.audiencesegmenter.pipelines;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 5,000 generated customers (seed 7, 115,274 events) with the advanced segment file (clusters,
 * lookalikes) and holdout validation write the golden outputs ({@link GoldenOutputs}).
 */
@Timeout(900)
class GoldenGeneratedOutputsTest {
  @TempDir static Path work;
  static Path data;

  @BeforeAll
  static void generate() throws IOException {
    data = GoldenOutputs.generate(work.resolve("generated-data"));
  }

  @Test
  void onDirect() throws IOException {
    GoldenOutputs.check(work, "generated", GoldenOutputs.generated(data), GoldenOutputs.DIRECT);
  }

  @Test
  void onFlink() throws IOException {
    GoldenOutputs.check(work, "generated", GoldenOutputs.generated(data), GoldenOutputs.FLINK);
  }
}
