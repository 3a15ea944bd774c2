package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's choice of identity graph strategy: a bad value fails the launch naming it, and a
 * graph over --maxIdentifiersOnOneWorker fails the run pointing to the distributed strategy
 * (whose outputs the golden-output tests compare with the golden files).
 */
class IdentityGraphOptionsTest {
  @Test
  void anUnknownStrategyFailsTheLaunchNamingIt(@TempDir Path dir) {
    List<String> args = PipelineRuns.sampleArgs(dir.resolve("out"));
    args.add("--identityGraph=distrib");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PipelineRuns.runToCompletion(args));
    assertTrue(e.getMessage().contains("'distrib'"), e.getMessage());
    assertTrue(e.getMessage().contains("oneWorker or distributed"), e.getMessage());
  }

  @Test
  void aGraphOverTheOneWorkerLimitFailsTheRunPointingToTheDistributedStrategy(
      @TempDir Path dir) {
    // The sample has 12,008 distinct identifiers.
    List<String> args = PipelineRuns.sampleArgs(dir.resolve("out"));
    args.add("--maxIdentifiersOnOneWorker=1000");
    args.add("@../runner-configs/direct.args");
    Throwable e = assertThrows(RuntimeException.class, () -> PipelineRuns.runToCompletion(args));
    String messages = "";
    for (Throwable t = e; t != null; t = t.getCause()) {
      messages += t.getMessage() + "\n";
    }
    assertTrue(messages.contains("more than 1000 distinct identifiers"), messages);
    assertTrue(messages.contains("--identityGraph=distributed"), messages);
  }
}
