package dev.audiencesegmenter.pipelines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The README's command on the bundled sample writes the golden outputs ({@link GoldenOutputs}). */
@Timeout(900)
class GoldenSampleOutputsTest {
  @TempDir static Path work;

  @Test
  void onDirect() throws IOException {
    GoldenOutputs.check(work, "sample", GoldenOutputs.sample(), GoldenOutputs.DIRECT);
  }

  @Test
  void onFlink() throws IOException {
    GoldenOutputs.check(work, "sample", GoldenOutputs.sample(), GoldenOutputs.FLINK);
  }

  @Test
  void onFlinkWithDistributedGraph() throws IOException {
    List<String> args = GoldenOutputs.sample();
    args.add("--identityGraph=distributed");
    GoldenOutputs.check(work, "sample", args, GoldenOutputs.FLINK);
  }
}
