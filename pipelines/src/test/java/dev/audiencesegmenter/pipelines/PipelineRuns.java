package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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

  /**
   * The sample's segment file without its value tiers, in a file of its own, for runs with
   * {@code --valueModels=false} (too few customers to fit the models): the job refuses rules
   * on value columns when the models are off.
   */
  static Path sampleSegmentsWithoutValueTiers() {
    String group = "  - name: value\n    family: value_tiers\n    vip_top_percent: 10\n"
        + "    low_bottom_percent: 50\n";
    try {
      String yaml = Files.readString(SAMPLE.resolve("segments.yaml"));
      if (!yaml.contains(group)) {
        throw new IllegalStateException("sample/segments.yaml no longer has the value group "
            + "this helper removes");
      }
      Path file = Files.createTempFile("segments-without-value-tiers", ".yaml");
      file.toFile().deleteOnExit();
      return Files.writeString(file, yaml.replace(group, ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
