package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's command line: mistakes are one message and status 2; --help lists the job's own. */
class CommandLineTest {
  private static final String HELP_LINE = "Run with --help to list the options.";

  @TempDir Path dir;

  /** What a launch printed and returned. */
  private record Launch(int status, String out, String err) {}

  private static Launch batch(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = SegmentationPipeline.launch(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Launch(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private static Launch streaming(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = StreamingSegmentationPipeline.launch(args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Launch(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private static List<String> lines(String text) {
    return text.lines().toList();
  }

  @Test
  void aMisspeltOptionIsNamedWithTheClosestOne() {
    Launch launch = batch("--input=events/*", "--segmnets=segments.yaml", "--output=out/");
    assertEquals(2, launch.status());
    assertEquals(List.of("error: unknown option --segmnets (did you mean --segments?)",
        HELP_LINE), lines(launch.err()));
    assertEquals("", launch.out());
  }

  @Test
  void anUnknownOptionFarFromEveryNameHasNoSuggestion() {
    Launch launch = batch("--input=events/*", "--segments=s.yaml", "--output=out/",
        "--zzzzzzzzzzzzzzzz=1");
    assertEquals(2, launch.status());
    assertEquals(List.of("error: unknown option --zzzzzzzzzzzzzzzz", HELP_LINE),
        lines(launch.err()));
  }

  @Test
  void aBadValueFromAnOptionsFileIsNamedWithItsOption() throws Exception {
    Path file = dir.resolve("bad.args");
    Files.writeString(file, "--groups=many\n");
    Launch launch = batch("--input=events/*", "--segments=s.yaml", "--output=out/", "@" + file);
    assertEquals(2, launch.status());
    assertTrue(lines(launch.err()).get(0).startsWith("error: --groups: 'many' is not a valid "),
        launch.err());
  }

  @Test
  void aMissingRequiredOptionIsNamedWithWhatItIs() {
    Launch launch = batch("--segments=s.yaml", "--output=out/");
    assertEquals(2, launch.status());
    List<String> err = lines(launch.err());
    assertEquals(2, err.size(), launch.err());
    assertTrue(err.get(0).startsWith("error: missing required option --input: Customer events: "
        + "a file pattern (glob)"), err.get(0));
    assertEquals(HELP_LINE, err.get(1));
  }

  @Test
  void aValueOfTheWrongTypeIsOneMessageWithoutAStackTrace() {
    Launch launch = batch("--input=events/*", "--segments=s.yaml", "--output=out/",
        "--maxLineBytes=lots");
    assertEquals(2, launch.status());
    assertEquals(List.of("error: --maxLineBytes: 'lots' is not a valid int", HELP_LINE),
        lines(launch.err()));
  }

  @Test
  void aBadSettingFoundWhileBuildingIsAUsageErrorAndNothingIsWritten() throws Exception {
    Path segments = dir.resolve("segments.yaml");
    Files.writeString(segments, "segments:\n  - name: buyers\n    rule: \"orders >= 1\"\n");
    Path out = dir.resolve("out");
    Launch launch = batch("--input=" + dir.resolve("none-*.jsonl"), "--segments=" + segments,
        "--output=" + out + "/", "--asOf=yesterday");
    assertEquals(2, launch.status());
    assertEquals(List.of("error: --asOf must be a date like 2024-06-30 or an instant like "
        + "2024-06-30T12:00:00Z, got 'yesterday'", HELP_LINE), lines(launch.err()));
    assertFalse(Files.exists(out.resolve("segments")), "no output folder is written");
  }

  @Test
  void aBadDateNamesTheOptionItWasGivenTo() {
    Launch launch = batch("--input=" + dir.resolve("none-*.jsonl"), "--segments="
        + PipelineRuns.SAMPLE.resolve("segments.yaml"), "--output=" + dir.resolve("out") + "/",
        "--asOf=2024-06-30", "--holdoutEnd=end of Q3");
    assertEquals(2, launch.status());
    assertEquals(List.of("error: --holdoutEnd must be a date like 2024-06-30 or an instant like "
        + "2024-06-30T12:00:00Z, got 'end of Q3'", HELP_LINE), lines(launch.err()));
  }

  @Test
  void rulesOnValueColumnsWithTheValueModelsOffAreAUsageError() {
    Path out = dir.resolve("out");
    Launch launch = batch("--input=" + PipelineRuns.SAMPLE.resolve("events") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"), "--asOf=2024-06-30",
        "--valueModels=false", "--output=" + out + "/");
    assertEquals(2, launch.status());
    assertEquals(2, lines(launch.err()).size(), launch.err());
    assertTrue(lines(launch.err()).get(0).startsWith("error: SegmentCustomers: the value "
        + "models are off (withValueModels(null); the job's --valueModels=false), so these "
        + "rules would be false for every customer: segment 'value_low' reads value_tier"),
        launch.err());
    assertFalse(Files.exists(out.resolve("segments")), "no output folder is written");
  }

  @Test
  void aPurchaseCovariateThatIsNeitherAColumnNorADeclaredTraitIsAUsageError() throws Exception {
    // the built-in HubSpot format declares its traits
    Path segments = dir.resolve("segments.yaml");
    Files.writeString(segments, "groups:\n  - name: all\n    segments:\n"
        + "      - name: everyone\n        when: tenure_days >= 0\n");
    Path out = dir.resolve("out");
    Launch launch = batch("--input=" + PipelineRuns.SAMPLE.resolve("events") + "/*",
        "--profiles=hubspot:" + PipelineRuns.SAMPLE.resolve("sources/hubspot") + "/*",
        "--segments=" + segments, "--asOf=2024-06-30",
        "--purchaseCovariates=preferred_channel,planz", "--output=" + out + "/");
    assertEquals(2, launch.status(), launch.err());
    assertTrue(lines(launch.err()).get(0).startsWith("error: --purchaseCovariates: 'planz' is "
        + "neither a covariate column (preferred_channel, "), launch.err());
    assertFalse(Files.exists(out.resolve("segments")), "no output folder is written");
    Launch streaming = streaming("--input=" + PipelineRuns.SAMPLE.resolve("events") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments-streaming.yaml"),
        "--purchaseCovariates=plan", "--output=" + out + "/");
    assertEquals(2, streaming.status(), streaming.err());
    assertEquals(List.of("error: --purchaseCovariates is an option of the batch job: the "
        + "streaming job fits no value models to give covariates to", HELP_LINE),
        lines(streaming.err()));
  }

  @Test
  void helpListsTheJobsOwnOptionsRequiredFirst() {
    Launch launch = batch("--help");
    assertEquals(0, launch.status());
    assertEquals("", launch.err());
    List<String> out = lines(launch.out());
    assertTrue(out.get(0).startsWith("Usage: java -jar audience-segmenter-pipelines.jar"));
    List<String> optionLines = out.stream().filter(l -> l.startsWith("  --")).toList();
    // the three required options, by name, then the others by name
    assertEquals(List.of("  --input=<String...>  (required)", "  --output=<String>  (required)",
        "  --segments=<String>  (required)"), optionLines.subList(0, 3));
    assertTrue(optionLines.contains("  --defaultRegion=<String>  (default: US)"), launch.out());
    int region = out.indexOf("  --defaultRegion=<String>  (default: US)");
    assertEquals("      ISO 3166 region used to read phone numbers written without a country "
        + "code.", out.get(region + 1));
    // Beam's and the runners' options are not listed, only pointed to
    assertFalse(optionLines.stream().anyMatch(l -> l.startsWith("  --runner=")), launch.out());
    assertTrue(out.get(out.size() - 1).contains("--help=FlinkPipelineOptions"));
    List<String> names = optionLines.subList(3, optionLines.size()).stream()
        .map(l -> l.substring(4, l.indexOf('='))).toList();
    assertEquals(names.stream().sorted().toList(), names, "the optional ones by name");
    assertEquals(CommandLine.options(SegmentationPipelineOptions.class).size(),
        optionLines.size(), "every option of the job once");
  }

  @Test
  void theStreamingJobSpeaksTheSameWay() {
    Launch launch = streaming("--kafkaBootstrapServer=localhost:9092");
    assertEquals(2, launch.status());
    assertEquals(List.of("error: unknown option --kafkaBootstrapServer (did you mean "
        + "--kafkaBootstrapServers?)", HELP_LINE), lines(launch.err()));
    Launch help = streaming("-h");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("  --kafkaEventsTopic=<String>"), help.out());
  }
}
