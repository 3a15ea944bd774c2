package dev.audiencesegmenter.clv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Not a test: times the BG/NBD + Gamma-Gamma fit on the full CDNOW file (23,570 customers)
 * and on the statistics of 10 million synthetic customers drawn from the CDNOW BG/NBD fit;
 * median of 10 fits after 3 warm-up fits. Prints a Markdown table.
 *
 * <pre>
 * mvn -q -pl transforms test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.audiencesegmenter.clv.ClvFitBenchmark \
 *     -Dexec.args=../../shared/data/cdnow/CDNOW_master.txt
 * </pre>
 */
public final class ClvFitBenchmark {
  private ClvFitBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path master = Path.of(args.length > 0 ? args[0] : "../../shared/data/cdnow/CDNOW_master.txt");
    SummaryHistogram cdnow = fromMaster(master);
    SummaryHistogram synthetic = synthetic(10_000_000, new BgNbdModel(0.243, 4.414, 0.793,
        2.426));
    System.out.println("| data | customers | distinct triples | fit median ms | min ms |");
    System.out.println("|---|---|---|---|---|");
    row("CDNOW master", cdnow);
    row("synthetic", synthetic);
  }

  private static void row(String name, SummaryHistogram h) {
    for (int i = 0; i < 3; i++) {
      fit(h);
    }
    double[] ms = new double[10];
    for (int i = 0; i < ms.length; i++) {
      long start = System.nanoTime();
      fit(h);
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %.1f | %.1f |%n", name, h.customers(),
        h.triples().size(), (ms[4] + ms[5]) / 2, ms[0]);
  }

  private static void fit(SummaryHistogram h) {
    BgNbdModel.fit(h, 0);
    GammaGammaModel.fit(h, 0);
  }

  /** customer_id, yyyyMMdd, cds, dollars; calibration to 1997-09-30, same-day merged. */
  static SummaryHistogram fromMaster(Path file) throws IOException {
    LocalDate end = LocalDate.parse("1997-09-30");
    Map<String, TreeMap<LocalDate, Double>> days = new TreeMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.strip().split("\\s+");
      if (f.length < 4 || !f[1].matches("\\d{8}")) {
        continue; // the header line
      }
      LocalDate date = LocalDate.parse(f[1], DateTimeFormatter.BASIC_ISO_DATE);
      if (!date.isAfter(end)) {
        days.computeIfAbsent(f[0], k -> new TreeMap<>())
            .merge(date, Double.parseDouble(f[3]), Double::sum);
      }
    }
    SummaryHistogram h = new SummaryHistogram();
    days.values().forEach(byDay -> {
      int x = byDay.size() - 1;
      double repeat = byDay.values().stream().mapToDouble(Double::doubleValue).sum()
          - byDay.firstEntry().getValue();
      h.add(x, ChronoUnit.DAYS.between(byDay.firstKey(), byDay.lastKey()) / 7.0,
          ChronoUnit.DAYS.between(byDay.firstKey(), end) / 7.0, x == 0 ? null : repeat / x);
    });
    return h;
  }

  /** Customers of a 12-week cohort, observed in whole days, simulated from the model. */
  static SummaryHistogram synthetic(int customers, BgNbdModel m) {
    SplittableRandom random = new SplittableRandom(42);
    SummaryHistogram h = new SummaryHistogram();
    for (int i = 0; i < customers; i++) {
      double lambda = gamma(random, m.r()) / m.alpha();
      double ga = gamma(random, m.a());
      double p = ga / (ga + gamma(random, m.b()));
      int startDay = random.nextInt(84);
      double t = (273 - startDay) / 7.0;
      double time = 0;
      int x = 0;
      double tx = 0;
      while (true) {
        time += -Math.log(1 - random.nextDouble()) / lambda;
        if (time > t) {
          break;
        }
        x++;
        tx = Math.floor(time * 7) / 7.0;
        if (random.nextDouble() < p) {
          break;
        }
      }
      h.add(x, Math.min(tx, t), t, x > 0 ? 10 + 30 * random.nextDouble() : null);
    }
    return h;
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang, boosted for shape below 1. */
  private static double gamma(SplittableRandom random, double shape) {
    if (shape < 1) {
      return gamma(random, shape + 1) * Math.pow(random.nextDouble(), 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double z = random.nextGaussian();
      double v = Math.pow(1 + c * z, 3);
      if (v > 0 && Math.log(random.nextDouble()) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }
}
