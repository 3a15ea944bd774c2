package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Runs {@link SegmentationPipeline} from command-line style arguments, as a user would. */
final class PipelineRuns {
  static final Path SAMPLE = Path.of("..", "sample");

  private PipelineRuns() {}

  /** The arguments of the README's run command on the bundled sample. */
  static List<String> sampleArgs(Path output) {
    return new ArrayList<>(List.of(
        "--input=" + SAMPLE.resolve("events") + "/*",
        "--profiles=" + SAMPLE.resolve("profiles") + "/*",
        "--segments=" + SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30",
        "--output=" + output));
  }

  static PipelineResult runToCompletion(List<String> args) {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    SegmentationPipelineOptions options = PipelineOptionsFactory
        .fromArgs(ArgumentFiles.expand(args.toArray(new String[0])))
        .withValidation()
        .as(SegmentationPipelineOptions.class);
    // as the main class does: writer locks held until the run has ended
    PipelineResult result = SegmentationPipeline.runToCompletion(options);
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    return result;
  }
}
