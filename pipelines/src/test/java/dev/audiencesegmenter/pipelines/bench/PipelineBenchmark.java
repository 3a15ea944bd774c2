package dev.audiencesegmenter.pipelines.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.audiencesegmenter.pipelines.SegmentationPipeline;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * End-to-end throughput of the batch job, not a test: for each input size (in events, written
 * by {@link SampleDataGenerator}), runs the plain-Java {@link BaselineSegmentationJob}, the
 * pipeline on the Direct runner, and on the Flink runner in local mode with parallelism 1 and
 * 2, each several times, each run in a child JVM of its own (so that runs share neither heap
 * nor JIT, and each run's heap is measured from its GC log). Prints a Markdown table (events
 * per second, min and median; median over the baseline's median; peak heap) and writes the
 * same as JSON.
 *
 * <pre>
 * java -cp audience-segmenter-pipelines-VERSION.jar dev.audiencesegmenter.pipelines.bench.PipelineBenchmark \
 *     --sizes=100000,1000000 --repetitions=3 --runners=baseline,direct,flink1,flink2 \
 *     --timeoutSeconds=900 --heap=4g --work=/tmp/bench --json=bench.json
 * </pre>
 *
 * <p>Every child JVM gets {@code --jvmFlags} (default {@link Config#DEFAULT_JVM_FLAGS}; give
 * {@code --jvmFlags=} for the JVM's own defaults).
 *
 * <p>Wall time is the child JVM's, from start to exit: JVM start, job construction, run and
 * output. Peak heap is the largest heap occupancy before a collection in the GC log (garbage
 * included); "live" the largest after one. A run that exceeds the time limit is killed and
 * reported as timed out; the runner's later runs at that size and above are skipped.
 */
public final class PipelineBenchmark {
  private static final Pattern GC_PAUSE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
  private static final Pattern STAGES = Pattern.compile(
      Pattern.quote(BaselineSegmentationJob.STAGES_PREFIX) + "(\\{.*})");
  /** Flink's task state changes, logged at INFO with millisecond times (see jvmFlags). */
  private static final Pattern FLINK_TASK = Pattern.compile("^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) "
      + ".*? org\\.apache\\.flink\\.runtime\\.taskmanager\\.Task - (.+?) \\(\\d+/\\d+\\)#\\d+ "
      + "\\(.*\\) switched from \\w+ to (RUNNING|FINISHED)\\.?$");
  private static final Pattern STEP = Pattern.compile(" at ([A-Za-z0-9]+)");
  /** Flink tasks listed per run, longest first. */
  private static final int FLINK_TASKS_LISTED = 6;

  /** One way to run the job. */
  enum Runner {
    DUCKDB("duckdb", "DuckDB SQL peer, 2 threads"),
    BASELINE("baseline", "plain Java, 1 thread"),
    DIRECT("direct", "Direct runner, 2 threads"),
    FLINK1("flink1", "Flink local, parallelism 1"),
    FLINK2("flink2", "Flink local, parallelism 2");

    final String id;
    final String label;

    Runner(String id, String label) {
      this.id = id;
      this.label = label;
    }

    static Runner of(String id) {
      for (Runner r : values()) {
        if (r.id.equals(id)) {
          return r;
        }
      }
      throw new IllegalArgumentException("Unknown runner '" + id
          + "'; known: duckdb, baseline, direct, flink1, flink2");
    }

    /**
     * JVM flags: Flink's task state changes logged, for per-task wall times; the baseline's
     * heap ({@code heap}, as {@code -Xmx}) reserved up front, half of it young. The baseline
     * holds its whole input in memory, and a heap that grows as it fills is grown by full
     * collections that copy that input again and again: at 1,000,000 events they took 10 of
     * the baseline's 24 s (2026-12-07; 17.7 s with the heap sized up front). The Flink runs
     * gain nothing from the same flags (24.6 and 25.2 s against 24.3 and 24.8 s).
     */
    List<String> jvmFlags(String heap) {
      if (this == BASELINE) {
        long mb = Long.parseLong(heap.substring(0, heap.length() - 1))
            * (Character.toLowerCase(heap.charAt(heap.length() - 1)) == 'g' ? 1024 : 1);
        return List.of("-Xms" + heap, "-Xmn" + mb / 2 + "m");
      }
      return this == FLINK1 || this == FLINK2 ? List.of(
          "-Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.taskmanager.Task=info",
          "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS") : List.of();
    }

    /**
     * The job's options for this runner: those of runner-configs/direct.args or
     * flink-local.args (read from {@code configs}), with the parallelism set.
     */
    List<String> jobArgs(Path configs) throws IOException {
      if (this == BASELINE || this == DUCKDB) {
        return List.of();
      }
      Path file = configs.resolve(this == DIRECT ? "direct.args" : "flink-local.args");
      List<String> args = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String arg = line.strip();
        if (arg.isEmpty() || arg.startsWith("#")) {
          continue;
        }
        args.add(this == FLINK1 && arg.startsWith("--parallelism=") ? "--parallelism=1" : arg);
      }
      return args;
    }

    String mainClass() {
      return this == BASELINE ? BaselineSegmentationJob.class.getName()
          : SegmentationPipeline.class.getName();
    }
  }

  /** The outcome of one run. */
  record Run(String status, double wallSeconds, long peakHeapMb, long liveHeapMb,
      Map<String, Long> stages) {}

  private final Config config;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private PipelineBenchmark(Config config) {
    this.config = config;
  }

  /** Options: every one has a default. */
  record Config(List<Long> sizes, int repetitions, List<Runner> runners, long timeoutSeconds,
      long directMaxEvents, String heap, Path work, Path jsonFile, String segments, String asOf,
      boolean jfr, Path peer, Path duckdbJar, Path runnerConfigs, List<String> jvmFlags) {
    /**
     * JVM options of every child (all runners alike): by default the throughput collector,
     * which the README recommends for batch runs on one machine (G1's concurrent work and
     * barriers cost a batch job about a fifth of its time on 2 cores), and less inlining by
     * the optimizing compiler, which otherwise spends a third of a 1,000,000-event Flink run's
     * CPU compiling (pipelines/README.md, Runners).
     */
    static final String DEFAULT_JVM_FLAGS =
        "-XX:+UseParallelGC -XX:FreqInlineSize=70 -XX:InlineSmallCode=700";

    static Config parse(String[] args) {
      List<Long> sizes = List.of(100_000L, 1_000_000L);
      int repetitions = 3;
      List<Runner> runners = List.of(Runner.values());
      long timeout = 900;
      long directMax = 100_000;
      String heap = "4g";
      Path work = Path.of(System.getProperty("java.io.tmpdir"), "audience-segmenter-bench");
      Path jsonFile = null; // default: bench-results.json in the work folder, not the checkout
      String segments = "sample/segments.yaml";
      String asOf = "2024-06-30";
      boolean jfr = false;
      Path peer = Path.of("..", "shared", "bench", "DuckDbEndToEndPeer.java");
      Path duckdbJar = Path.of(System.getProperty("user.home"), ".m2", "repository", "org",
          "duckdb", "duckdb_jdbc", "1.4.4.0", "duckdb_jdbc-1.4.4.0.jar");
      Path runnerConfigs = Path.of("runner-configs");
      List<String> jvmFlags = flags(DEFAULT_JVM_FLAGS);
      for (String arg : args) {
        String[] kv = arg.replaceFirst("^--", "").split("=", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException("Expected --name=value, got '" + arg + "'");
        }
        switch (kv[0]) {
          case "sizes" -> sizes = Stream.of(kv[1].split(",")).map(Long::parseLong).toList();
          case "repetitions" -> repetitions = Integer.parseInt(kv[1]);
          case "runners" -> runners = Stream.of(kv[1].split(",")).map(Runner::of).toList();
          case "timeoutSeconds" -> timeout = Long.parseLong(kv[1]);
          case "directMaxEvents" -> directMax = Long.parseLong(kv[1]);
          case "heap" -> heap = kv[1];
          case "work" -> work = Path.of(kv[1]);
          case "json" -> jsonFile = Path.of(kv[1]);
          case "segments" -> segments = kv[1];
          case "asOf" -> asOf = kv[1];
          case "jfr" -> jfr = Boolean.parseBoolean(kv[1]);
          case "peer" -> peer = Path.of(kv[1]);
          case "duckdbJar" -> duckdbJar = Path.of(kv[1]);
          case "runnerConfigs" -> runnerConfigs = Path.of(kv[1]);
          case "jvmFlags" -> jvmFlags = flags(kv[1]);
          default -> throw new IllegalArgumentException("Unknown option '" + kv[0] + "'; known: "
              + "sizes, repetitions, runners, timeoutSeconds, directMaxEvents, heap, work, "
              + "json, segments, asOf, jfr, peer, duckdbJar, runnerConfigs, jvmFlags");
        }
      }
      if (repetitions < 1 || timeout < 1 || sizes.isEmpty() || runners.isEmpty()) {
        throw new IllegalArgumentException("Need at least one size, runner and repetition, and "
            + "a positive timeout");
      }
      if (!heap.matches("\\d+[mMgG]")) {
        throw new IllegalArgumentException("--heap must look like 4g or 512m, got " + heap);
      }
      if (runners.contains(Runner.DUCKDB) && !(Files.isRegularFile(peer)
          && Files.isRegularFile(duckdbJar))) {
        throw new IllegalArgumentException("The DuckDB peer needs --peer=" + peer + " and "
            + "--duckdbJar=" + duckdbJar + " (mvn dependency:get "
            + "-Dartifact=org.duckdb:duckdb_jdbc:1.4.4.0); one of them is missing");
      }
      for (String flag : jvmFlags) {
        if (!flag.startsWith("-X") && !flag.startsWith("-D")) {
          throw new IllegalArgumentException("--jvmFlags takes JVM options (-X..., -D...) "
              + "separated by spaces, got '" + flag + "'");
        }
      }
      if (jsonFile == null) {
        jsonFile = work.resolve("bench-results.json");
      }
      return new Config(sizes, repetitions, runners, timeout, directMax, heap, work, jsonFile,
          segments, asOf, jfr, peer, duckdbJar, runnerConfigs, jvmFlags);
    }

    private static List<String> flags(String spaced) {
      return spaced.isBlank() ? List.of() : List.of(spaced.strip().split("\\s+"));
    }
  }

  public static void main(String[] args) throws Exception {
    new PipelineBenchmark(Config.parse(args)).run();
  }

  private void run() throws Exception {
    Files.createDirectories(config.work());
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("date", LocalDate.now().toString());
    report.put("cores", Runtime.getRuntime().availableProcessors());
    report.put("java", System.getProperty("java.version"));
    report.put("child_heap", config.heap());
    report.put("child_jvm_flags", String.join(" ", config.jvmFlags()));
    report.put("timeout_seconds", config.timeoutSeconds());
    List<Map<String, Object>> rows = new ArrayList<>();
    report.put("results", rows);
    Map<Runner, Long> timedOutAt = new LinkedHashMap<>();
    for (long size : config.sizes()) {
      Path data = config.work().resolve("data-jsonl-" + size);
      SampleDataGenerator.Counts counts = generate(data, size);
      Map<Runner, List<Run>> runs = new LinkedHashMap<>();
      for (int rep = 1; rep <= config.repetitions(); rep++) {
        for (Runner runner : config.runners()) {
          List<Run> done = runs.computeIfAbsent(runner, r -> new ArrayList<>());
          if (runner == Runner.DIRECT && size > config.directMaxEvents()) {
            if (done.isEmpty()) {
              done.add(new Run("skipped: more than --directMaxEvents="
                  + config.directMaxEvents(), 0, 0, 0, Map.of()));
            }
            continue;
          }
          if (timedOutAt.containsKey(runner) && size >= timedOutAt.get(runner)) {
            if (done.isEmpty() || done.get(done.size() - 1).status().equals("ok")) {
              done.add(new Run("skipped: timed out at " + timedOutAt.get(runner) + " events",
                  0, 0, 0, Map.of()));
            }
            continue;
          }
          Run result = runOnce(runner, data, size, rep);
          done.add(result);
          System.err.printf("%s %d events, run %d: %s, %.1f s, peak heap %d MB%n", runner.id,
              size, rep, result.status(), result.wallSeconds(), result.peakHeapMb());
          if (result.status().startsWith("timed out")) {
            timedOutAt.put(runner, size);
          }
        }
      }
      Double baseline = medianRate(runs.get(Runner.BASELINE), counts.events());
      Double peer = medianRate(runs.get(Runner.DUCKDB), counts.events());
      runs.forEach((runner, list) -> rows.add(row(runner, counts, list, baseline, peer)));
      json.writeValue(config.jsonFile().toFile(), report); // after every size: partial results
    }
    System.out.println(markdown(rows));
    json.writeValue(config.jsonFile().toFile(), report);
  }

  private SampleDataGenerator.Counts generate(Path data, long events) throws IOException {
    Path countsFile = data.resolve("counts.json");
    if (Files.exists(countsFile)) {
      return json.readValue(countsFile.toFile(), SampleDataGenerator.Counts.class);
    }
    long start = System.nanoTime();
    // Every source as JSON Lines: the DuckDB peer reads nothing else, and all runners read
    // the same files.
    SampleDataGenerator.Counts counts = new SampleDataGenerator(42, LocalDate.parse(
        config.asOf()), true).writeEvents(data, events);
    System.err.printf("Generated %d events, %d customers in %.1f s%n", counts.events(),
        counts.customers(), (System.nanoTime() - start) / 1e9);
    json.writeValue(countsFile.toFile(), counts);
    return counts;
  }

  private Run runOnce(Runner runner, Path data, long size, int rep) throws Exception {
    String name = runner.id + "-" + size + "-" + rep;
    Path out = config.work().resolve("out-" + name);
    Path gcLog = config.work().resolve("gc-" + name + ".log");
    Path log = config.work().resolve("log-" + name + ".txt");
    deleteTree(out);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + config.heap(), "-Xlog:gc:file=" + gcLog));
    command.addAll(config.jvmFlags());
    command.addAll(runner.jvmFlags(config.heap()));
    if (config.jfr()) {
      command.add("-XX:StartFlightRecording=filename=" + config.work().resolve(name + ".jfr")
          + ",settings=profile");
    }
    if (runner == Runner.DUCKDB) {
      // The peer reads the events only (its rules are simpler; see ../shared/bench/README.md).
      command.addAll(List.of("-cp", config.duckdbJar().toString(), config.peer().toString(),
          data.resolve("events") + File.separator + "*.jsonl*", out.toString(), config.asOf(),
          "2"));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), runner.mainClass(),
          "--input=" + data.resolve("events") + File.separator + "*",
          "--profiles=" + data.resolve("profiles") + File.separator + "*",
          "--segments=" + config.segments(), "--asOf=" + config.asOf(),
          "--output=" + out + File.separator));
      command.addAll(runner.jobArgs(config.runnerConfigs()));
    }
    long start = System.nanoTime();
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    boolean finished = process.waitFor(config.timeoutSeconds(), TimeUnit.SECONDS);
    double wall = (System.nanoTime() - start) / 1e9;
    String status;
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      status = "timed out after " + config.timeoutSeconds() + " s";
    } else {
      status = process.exitValue() == 0 ? "ok" : "failed (exit " + process.exitValue()
          + "; see " + log + ")";
    }
    long[] heap = heapFromGcLog(gcLog);
    Map<String, Long> stages = stages(log);
    deleteTree(out);
    return new Run(status, wall, heap[0], heap[1], stages);
  }

  /** {largest occupancy before a collection, largest after one}, in MB. */
  static long[] heapFromGcLog(Path gcLog) throws IOException {
    long before = 0;
    long after = 0;
    if (Files.exists(gcLog)) {
      for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
        Matcher m = GC_PAUSE.matcher(line);
        if (m.find()) {
          before = Math.max(before, Long.parseLong(m.group(1)));
          after = Math.max(after, Long.parseLong(m.group(2)));
        }
      }
    }
    return new long[] {before, after};
  }

  @SuppressWarnings("unchecked")
  private Map<String, Long> stages(Path log) throws IOException {
    if (!Files.exists(log)) {
      return Map.of();
    }
    Map<String, long[]> tasks = new LinkedHashMap<>(); // task -> {first RUNNING, last FINISHED}
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      Matcher m = STAGES.matcher(line);
      if (m.find()) {
        Map<String, Long> stages = new LinkedHashMap<>();
        ((Map<String, Number>) json.readValue(m.group(1), LinkedHashMap.class))
            .forEach((k, v) -> stages.put(k, v.longValue()));
        return stages;
      }
      Matcher t = FLINK_TASK.matcher(line);
      if (t.find()) {
        long ms = ((Long.parseLong(t.group(1)) * 60 + Long.parseLong(t.group(2))) * 60
            + Long.parseLong(t.group(3))) * 1000 + Long.parseLong(t.group(4));
        long[] span = tasks.computeIfAbsent(stepsOf(t.group(5)),
            k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
        if (t.group(6).equals("RUNNING")) {
          span[0] = Math.min(span[0], ms);
        } else {
          span[1] = Math.max(span[1], ms);
        }
      }
    }
    // Tasks of one pipelined region run at the same time: their spans overlap.
    Map<String, Long> longest = new LinkedHashMap<>();
    tasks.entrySet().stream()
        .filter(e -> e.getValue()[0] != Long.MAX_VALUE && e.getValue()[1] != Long.MIN_VALUE)
        .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) ->
            e.getValue()[0] - e.getValue()[1]))
        .limit(FLINK_TASKS_LISTED)
        .forEach(e -> longest.put(e.getKey(), Math.floorMod(e.getValue()[1] - e.getValue()[0],
            86_400_000L)));
    return longest;
  }

  /** The job's top-level steps that a Flink task (an operator chain) runs, joined by '+'. */
  static String stepsOf(String task) {
    java.util.LinkedHashSet<String> steps = new java.util.LinkedHashSet<>();
    Matcher m = STEP.matcher(task);
    while (m.find()) {
      steps.add(m.group(1));
    }
    return steps.isEmpty() ? task.substring(0, Math.min(60, task.length()))
        : String.join("+", steps);
  }

  private static Double medianRate(List<Run> runs, long events) {
    List<Double> rates = rates(runs, events);
    return rates.isEmpty() ? null : median(rates);
  }

  /** The median of ascending {@code values}: the mean of the two middle ones for an even count. */
  static double median(List<Double> values) {
    int n = values.size();
    return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
  }

  /** Events per second of the finished runs, ascending. */
  private static List<Double> rates(List<Run> runs, long events) {
    if (runs == null) {
      return List.of();
    }
    return runs.stream().filter(r -> r.status().equals("ok"))
        .map(r -> events / r.wallSeconds()).sorted().toList();
  }

  private static Map<String, Object> row(Runner runner, SampleDataGenerator.Counts counts,
      List<Run> runs, Double baseline, Double peer) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("events", counts.events());
    row.put("customers", counts.customers());
    row.put("runner", runner.id);
    row.put("runner_label", runner.label);
    List<Double> rates = rates(runs, counts.events());
    row.put("runs_ok", rates.size());
    if (!rates.isEmpty()) {
      double median = median(rates);
      row.put("events_per_s_min", Math.round(rates.get(0)));
      row.put("events_per_s_median", Math.round(median));
      row.put("ratio_to_baseline", baseline == null ? null
          : Math.round(median / baseline * 1000) / 1000.0);
      // Time over the peer's time (the peer's rate over this one's): 5 means 5 times as long.
      row.put("time_over_duckdb", peer == null ? null
          : Math.round(peer / median * 100) / 100.0);
      row.put("wall_s_median", Math.round(counts.events() / median * 10) / 10.0);
      row.put("peak_heap_mb", runs.stream().mapToLong(Run::peakHeapMb).max().orElse(0));
      row.put("live_heap_mb", runs.stream().mapToLong(Run::liveHeapMb).max().orElse(0));
    }
    row.put("runs", runs);
    return row;
  }

  static String markdown(List<Map<String, Object>> rows) {
    StringBuilder md = new StringBuilder(
        "| events | customers | runner | runs | events/s min | events/s median | × baseline "
            + "| time ÷ DuckDB | wall (median) | wall (min) | peak heap | live heap | status |\n"
            + "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Map<String, Object> r : rows) {
      @SuppressWarnings("unchecked")
      List<Run> runs = (List<Run>) r.get("runs");
      String status = runs.stream().map(Run::status).filter(s -> !s.equals("ok")).findFirst()
          .orElse("ok");
      double fastest = runs.stream().filter(x -> x.status().equals("ok"))
          .mapToDouble(Run::wallSeconds).min().orElse(-1);
      md.append(String.format(
          "| %,d | %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          (Long) r.get("events"), (Long) r.get("customers"), r.get("runner_label"),
          r.get("runs_ok") + "/" + runs.stream().filter(x -> x.wallSeconds() > 0).count(),
          num(r.get("events_per_s_min")), num(r.get("events_per_s_median")),
          r.get("ratio_to_baseline") == null ? "–" : r.get("ratio_to_baseline") + "×",
          r.get("time_over_duckdb") == null ? "–" : r.get("time_over_duckdb") + "×",
          r.get("wall_s_median") == null ? "–" : r.get("wall_s_median") + " s",
          fastest < 0 ? "–" : String.format("%.1f s", fastest),
          mb(r.get("peak_heap_mb")), mb(r.get("live_heap_mb")), status));
    }
    if (!rows.isEmpty()) {
      md.append("\nStages (ms, fastest run; for Flink the longest tasks, first RUNNING to last "
          + "FINISHED, overlapping):\n\n");
      for (Map<String, Object> r : rows) {
        @SuppressWarnings("unchecked")
        List<Run> runs = (List<Run>) r.get("runs");
        runs.stream().filter(x -> x.status().equals("ok"))
            .min(Comparator.comparingDouble(Run::wallSeconds))
            .ifPresent(best -> md.append(String.format("- %,d events, %s: %s%n",
                (Long) r.get("events"), r.get("runner_label"), best.stages())));
      }
    }
    return md.toString();
  }

  private static String num(Object v) {
    return v == null ? "–" : String.format("%,d", (Long) v);
  }

  private static String mb(Object v) {
    return v == null ? "–" : String.format("%,d MB", (Long) v);
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + root, e);
    }
  }
}
