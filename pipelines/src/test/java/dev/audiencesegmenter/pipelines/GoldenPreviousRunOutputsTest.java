package dev.audiencesegmenter.pipelines;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample against a previous run's identities and segments writes the golden outputs
 * ({@link GoldenOutputs}): stable ids with 857 merges, stability and response.
 */
@Timeout(900)
class GoldenPreviousRunOutputsTest {
  @TempDir static Path work;

  @Test
  void onDirect() throws IOException {
    GoldenOutputs.check(work, "previous-run", GoldenOutputs.previousRun(),
        GoldenOutputs.DIRECT);
  }

  @Test
  void onFlink() throws IOException {
    GoldenOutputs.check(work, "previous-run", GoldenOutputs.previousRun(),
        GoldenOutputs.FLINK);
  }
}
