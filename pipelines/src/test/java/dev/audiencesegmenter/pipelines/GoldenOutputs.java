package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * What the golden-output tests share ({@link GoldenSampleOutputsTest}, {@link
 * GoldenGeneratedOutputsTest}, {@link GoldenPreviousRunOutputsTest}; one class per data set, so
 * that the test forks share the runs). The job writes exactly what it wrote before its
 * dataflow was rebuilt for speed: the outputs of three runs, made with the job as it was
 * (commit {@code cc5c45f}) and kept under {@code src/test/resources/golden/} (see the README
 * there), against the same runs now, on the Direct runner and on Flink (the sample with both
 * identity graph strategies). Every folder is compared as its sorted lines (sharding and line
 * order are the runner's), and the set of folders must be the same.
 *
 * <ul>
 *   <li>{@code sample}: the README's command on the bundled sample.
 *   <li>{@code generated}: 5,000 generated customers (seed 7, 115,274 events) with the advanced
 *       segment file (clusters, lookalikes) and holdout validation.
 *   <li>{@code previous-run}: the sample against a previous run's identities and segments (a
 *       run on part of the sources as of a month earlier): stable ids with 857 merges,
 *       stability and response.
 * </ul>
 */
final class GoldenOutputs {
  private static final Path GOLDEN = Path.of("src", "test", "resources", "golden");
  static final String DIRECT = "@../runner-configs/direct.args";
  static final String FLINK = "@../runner-configs/flink-local.args";

  private GoldenOutputs() {}

  /** Writes the generated data set (5,000 customers, seed 7) to {@code folder}. */
  static Path generate(Path folder) throws IOException {
    new SampleDataGenerator(7, LocalDate.parse("2024-06-30")).write(folder, 5000);
    return folder;
  }

  static List<String> sample() {
    return new ArrayList<>(List.of(
        "--input=" + PipelineRuns.SAMPLE.resolve("events") + "/*",
        "--profiles=" + PipelineRuns.SAMPLE.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30"));
  }

  static List<String> generated(Path generated) {
    return new ArrayList<>(List.of(
        "--input=" + generated.resolve("events") + "/*",
        "--profiles=" + generated.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments-advanced.yaml"),
        "--asOf=2024-06-30",
        "--holdoutEnd=2024-09-30"));
  }

  static List<String> previousRun() {
    List<String> args = sample();
    Path input = GOLDEN.resolve("previous-run").resolve("input");
    args.add("--previousIdentities=" + input.resolve("identities") + "/*");
    args.add("--previousSegments=" + input.resolve("segments") + "/*");
    args.add("--previousAsOf=2024-05-31");
    return args;
  }

  /** Runs the job with {@code args} on {@code runner} and compares with golden {@code name}. */
  static void check(Path work, String name, List<String> args, String runner)
      throws IOException {
    Path out = Files.createTempDirectory(work, name);
    args.add("--output=" + out);
    args.add(runner);
    PipelineRuns.runToCompletion(args);
    Path golden = GOLDEN.resolve(name);
    assertEquals(expectedFolders(golden), writtenFolders(out),
        "output folders of " + name + " (" + runner + ")");
    List<String> differences = new ArrayList<>();
    for (String folder : expectedFolders(golden)) {
      if (folder.equals("model") || folder.equals("report")) {
        try (Stream<Path> files = Files.list(golden.resolve(folder))) {
          for (Path file : files.sorted().toList()) {
            String written = file.getFileName().toString().replaceFirst("\\.gz$", "");
            compare(name + "/" + folder + "/" + written, gunzipLines(file, true),
                sorted(lines(out.resolve(folder).resolve(written), true)), differences);
          }
        }
      } else {
        compare(name + "/" + folder, gunzipLines(golden.resolve(folder + ".jsonl.gz"), false),
            OutputFiles.sortedLines(out.resolve(folder)), differences);
      }
    }
    if (!differences.isEmpty()) {
      fail("Outputs differ from the golden files (" + runner + "):\n"
          + String.join("\n", differences));
    }
  }

  /** Folders a case must write: one golden file (or folder, for model/ and report/) each. */
  private static TreeSet<String> expectedFolders(Path golden) throws IOException {
    TreeSet<String> folders = new TreeSet<>();
    try (Stream<Path> entries = Files.list(golden)) {
      for (Path p : entries.toList()) {
        String f = p.getFileName().toString();
        if (!f.equals("input")) {
          folders.add(f.replaceFirst("\\.jsonl\\.gz$", ""));
        }
      }
    }
    return folders;
  }

  private static TreeSet<String> writtenFolders(Path out) throws IOException {
    TreeSet<String> folders = new TreeSet<>();
    try (Stream<Path> entries = Files.list(out)) {
      entries.filter(Files::isDirectory).forEach(p -> folders.add(p.getFileName().toString()));
    }
    return folders;
  }

  /** Appends a readable account of how two sorted line lists differ: counts, first lines. */
  private static void compare(String what, List<String> expected, List<String> actual,
      List<String> differences) {
    if (expected.equals(actual)) {
      return;
    }
    TreeSet<String> missing = new TreeSet<>(expected);
    actual.forEach(missing::remove);
    TreeSet<String> extra = new TreeSet<>(actual);
    expected.forEach(extra::remove);
    differences.add(what + ": " + expected.size() + " lines expected, " + actual.size()
        + " written; " + missing.size() + " distinct lines missing, " + extra.size()
        + " unexpected");
    missing.stream().limit(3).forEach(l -> differences.add("  missing:    " + cut(l)));
    extra.stream().limit(3).forEach(l -> differences.add("  unexpected: " + cut(l)));
  }

  private static String cut(String line) {
    return line.length() <= 400 ? line : line.substring(0, 400) + "...";
  }

  private static List<String> gunzipLines(Path file, boolean keepEmpty) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      return sorted(read(in, keepEmpty));
    }
  }

  private static List<String> lines(Path file, boolean keepEmpty) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, keepEmpty);
    }
  }

  private static List<String> read(InputStream in, boolean keepEmpty) {
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (keepEmpty || !line.isEmpty()) {
          lines.add(line);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines;
  }

  private static List<String> sorted(List<String> lines) {
    lines.sort(null);
    return lines;
  }
}
