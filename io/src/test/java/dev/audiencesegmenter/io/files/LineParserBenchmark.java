package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.CustomerEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Microseconds per line of the event line parser: the tree-model parser it replaced
 * ({@link TreeModelOracle}, "old") against the streaming one ({@link LineParser}, "new"), on
 * real files held in memory (decompressed, CSV rows rendered as JSON beforehand: only the
 * per-line parse is timed). Each round times one pass over a file with each parser, in
 * alternating order; the table gives the minimum and the median of the rounds, and the bytes
 * allocated per line. Not a test: run it by hand, on an otherwise quiet machine.
 *
 * <pre>
 * mvn -B -q -o -pl io test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=$PWD/io/target/bench.cp -Dmdep.includeScope=test
 * java -Xmx3g -cp "$(cat io/target/bench.cp):io/target/classes:io/target/test-classes" \
 *     dev.audiencesegmenter.io.files.LineParserBenchmark [rounds, default 9] [files...]
 * </pre>
 * Default files: /tmp/data/e1m/events/{shop.jsonl,web.jsonl.gz,email.jsonl.gz,app.csv} and
 * sample/events/*.
 */
public final class LineParserBenchmark {
  private LineParserBenchmark() {}

  /** One file's lines: raw, and for CSV rows the row as JSON (else null). */
  record Lines(String name, List<String> raw, List<String> json) {}

  public static void main(String[] args) throws IOException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    List<Path> files = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      files.add(Path.of(args[i]));
    }
    if (files.isEmpty()) {
      Path e1m = Path.of("/tmp/data/e1m/events");
      for (String name : List.of("shop.jsonl", "web.jsonl.gz", "email.jsonl.gz", "app.csv")) {
        if (Files.exists(e1m.resolve(name))) {
          files.add(e1m.resolve(name));
        }
      }
      files.addAll(LocalRecords.match(StreamingParserDifferentialTest.sampleFolder()
          .resolve("events/*").toString()));
    }
    List<Lines> inputs = new ArrayList<>();
    for (Path file : files) {
      inputs.add(load(file));
    }
    TreeModelOracle<CustomerEvent> old = TreeModelOracle.events(1 << 20);
    LineParser<CustomerEvent> now = LineParser.customerEvents(1 << 20);

    // Warm up both, and check they agree on what they accept.
    for (int warm = 0; warm < 3; warm++) {
      for (Lines in : inputs) {
        long a = pass(in, old::parse);
        long b = pass(in, now::parse);
        if (a != b) {
          throw new IllegalStateException(in.name() + ": old accepts " + a + ", new " + b);
        }
      }
    }

    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    System.out.printf(Locale.ROOT, "%d rounds; JVM %s; %d CPUs%n%n", rounds,
        System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
    System.out.println("| file | lines | accepted | old µs/line min | old median | new µs/line "
        + "min | new median | speedup (median) | old B/line | new B/line |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    long allLines = 0;
    double oldTotal = 0;
    double newTotal = 0;
    for (Lines in : inputs) {
      int n = in.raw().size();
      double[] oldUs = new double[rounds];
      double[] newUs = new double[rounds];
      long oldBytes = Long.MAX_VALUE;
      long newBytes = Long.MAX_VALUE;
      long accepted = 0;
      for (int round = 0; round < rounds; round++) {
        for (int which = 0; which < 2; which++) {
          boolean oldFirst = round % 2 == 0;
          boolean runOld = (which == 0) == oldFirst;
          long bytes = threads.getThreadAllocatedBytes(thread);
          long start = System.nanoTime();
          accepted = runOld ? pass(in, old::parse) : pass(in, now::parse);
          double us = (System.nanoTime() - start) / 1e3 / n;
          bytes = (threads.getThreadAllocatedBytes(thread) - bytes) / n;
          if (runOld) {
            oldUs[round] = us;
            oldBytes = Math.min(oldBytes, bytes);
          } else {
            newUs[round] = us;
            newBytes = Math.min(newBytes, bytes);
          }
        }
      }
      Arrays.sort(oldUs);
      Arrays.sort(newUs);
      double oldMedian = oldUs[rounds / 2];
      double newMedian = newUs[rounds / 2];
      allLines += n;
      oldTotal += oldMedian * n;
      newTotal += newMedian * n;
      System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2fx | %d | %d |%n",
          in.name(), n, accepted, oldUs[0], oldMedian, newUs[0], newMedian,
          oldMedian / newMedian, oldBytes, newBytes);
    }
    System.out.printf(Locale.ROOT, "| all (weighted by lines) | %d | | | %.2f | | %.2f | %.2fx | | |%n",
        allLines, oldTotal / allLines, newTotal / allLines, oldTotal / newTotal);
  }

  interface Parse {
    Object parse(String raw, String csvAsJson) throws BadRecordException;
  }

  /** One pass: the number of accepted lines (so the work cannot be skipped). */
  static long pass(Lines in, Parse parser) {
    long accepted = 0;
    List<String> raw = in.raw();
    List<String> json = in.json();
    for (int i = 0, n = raw.size(); i < n; i++) {
      try {
        if (parser.parse(raw.get(i), json == null ? null : json.get(i)) != null) {
          accepted++;
        }
      } catch (BadRecordException e) {
        // dead-lettered
      }
    }
    return accepted;
  }

  static Lines load(Path file) throws IOException {
    String name = file.getParent().getParent().getFileName() + "/" + file.getParent().getFileName()
        + "/" + file.getFileName();
    List<String> raw = new ArrayList<>();
    String fileName = file.getFileName().toString();
    try (InputStream in = fileName.endsWith(".gz")
        ? new GZIPInputStream(Files.newInputStream(file), 1 << 16) : Files.newInputStream(file);
        BufferedReader reader = new BufferedReader(
            new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      if (FileFormat.isCsvName(fileName)) {
        List<String> json = new ArrayList<>();
        CsvRecords.readRows(reader, file.toString(), new EventParser().csvMapColumns(),
            ReadCustomerEvents.DEFAULT_MAX_LINE_BYTES,
            (r, j) -> {
              raw.add(r);
              json.add(j);
            });
        return new Lines(name, raw, json);
      }
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        raw.add(line);
      }
    }
    return new Lines(name, raw, null);
  }
}
