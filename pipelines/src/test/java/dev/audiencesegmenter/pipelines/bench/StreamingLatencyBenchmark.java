package dev.audiencesegmenter.pipelines.bench;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.pipelines.LargeStackSubmission;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.streaming.SegmentContinuously;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Streaming latency (not a test): events generated at a fixed rate with the wall clock as
 * event time run through {@link SegmentContinuously} on the Flink runner in local mode; for
 * every evaluation, latency is the wall-clock time it is emitted minus the event time of the
 * newest event it counts ({@code last_seen}): the time from an event to its effect on the
 * customer's features and segment memberships (entered / exited changes are emitted by the
 * same evaluation). After 10 s of warm-up, measures for the given seconds, then exits. Prints p50 / p90 / p99 / max.
 *
 * <pre>
 * java -cp audience-segmenter-pipelines-VERSION.jar \
 *     dev.audiencesegmenter.pipelines.bench.StreamingLatencyBenchmark [eventsPerSecond] [seconds]
 * </pre>
 */
public final class StreamingLatencyBenchmark {
  /** Filled by the pipeline: it runs in this JVM (Flink local mode). */
  private static final ConcurrentLinkedQueue<long[]> LATENCIES = new ConcurrentLinkedQueue<>();

  private static final SegmentDefinitions SEGMENTS = SegmentDefinitions.parse("""
      salt: "bench"
      groups:
        - name: value
          exclusive: true
          segments:
            - name: big_spenders
              when: monetary_total >= 150.0
            - name: buyers
              when: frequency > 0
      """, "bench.yaml");

  private StreamingLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int customers = rate * 10; // every customer gets an event about every 10 s
    FlinkPipelineOptions options = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setStreaming(true);
    options.setAutoWatermarkInterval(100L);
    // Flink's Beam operators finish a bundle after 1,000 elements or 1 s by default and hold
    // the watermark until then; every stateful step would add up to a second.
    options.setMaxBundleTimeMills(50L);
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        // Unbounded: a bounded read holds the watermark until it is done.
        .apply("Generate", GenerateSequence.from(0)
            .withRate(rate, Duration.standardSeconds(1))
            .withTimestampFn(i -> Instant.now()))
        .apply("ToEvents", MapElements.into(TypeDescriptor.of(CustomerEvent.class))
            .via(i -> event(i, customers)))
        .setCoder(schemaCoder(pipeline))
        .apply("SegmentContinuously", SegmentContinuously.of(SEGMENTS)
            .withEvaluationInterval(Duration.millis(100))
            .withReevaluation(Duration.standardDays(1), Duration.ZERO))
        .getFeatures()
        .apply("Measure", ParDo.of(new Measure()));
    // In local mode the runner returns only when the job ends, and this one never does: it
    // runs on a thread of its own until the JVM exits.
    Thread job = new Thread(() -> LargeStackSubmission.run(pipeline), "streaming-job");
    job.setDaemon(true);
    job.start();
    Thread.sleep(10_000); // warm-up: JIT, Flink start
    LATENCIES.clear();
    long measuredFrom = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    double wall = (System.nanoTime() - measuredFrom) / 1e9;
    long[] all = LATENCIES.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    System.out.printf("%n| rate (events/s) | measured (s) | evaluations | evaluations/s | p50 (ms)"
        + " | p90 (ms) | p99 (ms) | max (ms) |%n|---:|---:|---:|---:|---:|---:|---:|---:|%n");
    System.out.printf("| %,d | %.0f | %,d | %,.0f | %d | %d | %d | %d |%n", rate, wall,
        all.length, all.length / wall, pct(all, 0.50), pct(all, 0.90), pct(all, 0.99),
        all[all.length - 1]);
    System.exit(0);
  }

  private static long pct(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
  }

  private static CustomerEvent event(long i, int customers) {
    boolean purchase = i % 3 == 0;
    return CustomerEvent.builder().setSource("bench").setSourceRecordId(Long.toString(i))
        .setEventType(purchase ? "purchase" : "page_view").setEventTime(Instant.now())
        .setIdentifiers(Map.of("user_id", "u" + (i % customers)))
        .setRevenue(purchase ? BigDecimal.valueOf(50 + i % 100) : null)
        .setProperties(Map.of()).build();
  }

  private static org.apache.beam.sdk.coders.Coder<CustomerEvent> schemaCoder(Pipeline p) {
    try {
      return p.getSchemaRegistry().getSchemaCoder(CustomerEvent.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Latency of each evaluation, kept in arrays of 1,000 to keep the queue small. */
  private static final class Measure extends DoFn<CustomerFeatures, Void> {
    private transient long[] batch;
    private transient int size;

    @ProcessElement
    public void process(@Element CustomerFeatures f) {
      if (batch == null) {
        batch = new long[1000];
      }
      batch[size++] = System.currentTimeMillis() - f.getLastSeen().getMillis();
      if (size == batch.length) {
        LATENCIES.add(batch);
        batch = null;
        size = 0;
      }
    }

    @FinishBundle
    public void flush() {
      if (size > 0) {
        LATENCIES.add(Arrays.copyOf(batch, size));
        batch = null;
        size = 0;
      }
    }
  }
}
