package dev.audiencesegmenter.progress;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a long run has come, in the log at INFO every {@value #PERIOD_SECONDS} seconds while
 * it changes: {@code progress: 412,300 events read, 20,000 customers folded, ...}, in the order
 * the stages were first reached, so the last one named is the stage the run is in.
 *
 * <p>Beam's metrics reach the launcher only when the run ends on some runners (the Flink runner
 * in local mode among them), so the steps count here, in the worker's JVM, and each worker logs
 * its own progress. A step takes its {@link Count} once (in {@code @Setup}) and adds to it per
 * record: a {@link LongAdder}, cheap on the hot path. Counts are per JVM: the job's launcher
 * calls {@link #restart} when it starts a run in its own JVM (Direct runner, Flink local); a
 * worker of a long-lived cluster (a Flink session's TaskManager) adds up the jobs it runs.
 * Counts are not reset when nothing moves for a while: one long stage without a count of its
 * own (identity resolution on one worker) would then erase the stages before it.
 */
public final class ProgressLog {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressLog.class);
  static final int PERIOD_SECONDS = 10;

  private static final Map<String, Count> COUNTS = new ConcurrentHashMap<>();
  private static final AtomicLong ORDER = new AtomicLong();
  private static volatile Thread reporter;

  private ProgressLog() {}

  /** One stage's count, as "{@code n what}" ("events read"). */
  public static final class Count {
    private final String what;
    private final long order;
    private final LongAdder value = new LongAdder();

    private Count(String what, long order) {
      this.what = what;
      this.order = order;
    }

    public void add(long n) {
      value.add(n);
    }

    long value() {
      return value.sum();
    }
  }

  /** The count of {@code what} (a plural noun and a verb: "customers folded"). */
  public static Count count(String what) {
    startReporter();
    return COUNTS.computeIfAbsent(what, w -> new Count(w, ORDER.incrementAndGet()));
  }

  /** Counts from zero: a launcher calls it when a new run starts in this JVM. */
  public static void restart() {
    COUNTS.values().forEach(c -> c.value.reset());
  }

  /** The line the log shows now, or null before any stage counted anything. */
  public static String line() {
    StringBuilder line = new StringBuilder();
    COUNTS.values().stream()
        .filter(c -> c.value() > 0)
        .sorted(java.util.Comparator.comparingLong(c -> c.order))
        .forEach(c -> line.append(line.length() == 0 ? "" : ", ")
            .append(String.format(java.util.Locale.ROOT, "%,d", c.value())).append(' ')
            .append(c.what));
    return line.length() == 0 ? null : "progress: " + line;
  }

  private static void startReporter() {
    if (reporter != null) {
      return;
    }
    synchronized (ProgressLog.class) {
      if (reporter != null) {
        return;
      }
      Thread thread = new Thread(ProgressLog::report, "audience-segmenter-progress");
      thread.setDaemon(true);
      thread.start();
      reporter = thread;
    }
  }

  private static void report() {
    String last = null;
    while (true) {
      try {
        Thread.sleep(PERIOD_SECONDS * 1000L);
      } catch (InterruptedException e) {
        return;
      }
      String now = line();
      if (now != null && !now.equals(last)) {
        LOG.info(now);
        last = now;
      }
    }
  }
}
