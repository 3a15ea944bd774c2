package dev.audiencesegmenter.io.bench;

import dev.audiencesegmenter.io.PlatformFixtures;
import dev.audiencesegmenter.io.PlatformFixtures.Fixture;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SinkTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;

/**
 * Sustained throughput of every sink against its local fake with 5% injected faults (503, 429,
 * connection resets, timeouts, all before the fake stores anything): does the sink keep the
 * configured request rate (its Failsafe rate limiter, retries included), and does every record
 * arrive exactly once? Prints a Markdown table. Not a test: run it by hand.
 *
 * <pre>
 * mvn -B -q -o -pl io -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=$PWD/io/target/bench.cp -Dmdep.includeScope=test
 * java -cp "$(cat io/target/bench.cp):io/target/classes:io/target/test-classes:transforms/target/classes" \
 *     dev.audiencesegmenter.io.bench.ActivationBenchmark [seconds per platform, default 25]
 * </pre>
 */
public final class ActivationBenchmark {
  private ActivationBenchmark() {}

  /**
   * One platform: its limit (requests per second, or for a platform that limits calls in
   * flight, that many calls: {@code concurrencyLimited}), batch size and sink settings.
   */
  record Platform(String name, double rate, int recordsPerRequest, int shards, int concurrency,
      boolean concurrencyLimited) {
    Platform(String name, double rate, int recordsPerRequest, int shards, int concurrency) {
      this(name, rate, recordsPerRequest, shards, concurrency, false);
    }
  }

  static SendContactUpdates tune(SendContactUpdates sink, Platform p) {
    return sink.withMaxRequestsPerSecond(p.rate()).withNumShards(p.shards())
        .withMaxConcurrentRequests(p.concurrency()).withMaxRetries(10)
        .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(2))
        .withRequestTimeout(Duration.ofSeconds(5));
  }

  static final long ZOHO_LATENCY_MILLIS = 200;

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 25;
    List<Platform> platforms = List.of(
        new Platform("hubspot", 19, 100, 8, 8),
        new Platform("mailchimp", 4, 500, 8, 5),
        new Platform("klaviyo", 2.5, 2500, 16, 4),
        new Platform("braze", 40, 75, 8, 8),
        new Platform("salesforce", 10, 200, 8, 4),
        // Zoho limits calls in flight (10 for upserts of more than 10 records), not calls per
        // second; the fake takes 200 ms per call, so 10 in flight are 50 calls a second
        new Platform("zoho", 10, 100, 8, 10, true),
        // 600 requests per rolling minute per OAuth token
        new Platform("kit", 10, 100, 8, 4));
    List<String> rows = new ArrayList<>();
    for (Platform platform : platforms) {
      if (args.length > 1 && !List.of(args).subList(1, args.length).contains(platform.name())) {
        continue;
      }
      rows.add(run(platform, seconds));
      System.err.println(rows.get(rows.size() - 1));
    }
    System.out.println();
    System.out.println("| platform | limit | records | requests | achieved req/s "
        + "(sustained) | mean in flight | % of limit | req/s first to last | retries | faults "
        + "injected | lost | duplicates |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
  }

  static String run(Platform platform, double seconds) throws Exception {
    // Klaviyo: requests are job creates and status polls (4 per job of one shard's batch)
    double perSecond = platform.concurrencyLimited()
        ? platform.rate() * 1000.0 / ZOHO_LATENCY_MILLIS : platform.rate();
    int requestsWanted = (int) Math.round(perSecond * seconds);
    int records = platform.name().equals("klaviyo")
        ? platform.shards() * platform.recordsPerRequest()
        : requestsWanted * platform.recordsPerRequest();
    try (Fixture fixture = platform.name().equals("zoho")
        ? PlatformFixtures.zoho(ZOHO_LATENCY_MILLIS) : PlatformFixtures.start(platform.name())) {
      fixture.server().faultRate = 0.05;
      fixture.server().faultTimeoutMillis = 6_000; // past the sink's 5 s request timeout

      List<ContactUpdate> input = SinkTesting.contacts(records);
      DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
      options.setTargetParallelism(Math.max(8, platform.shards()));
      options.setEnforceImmutability(false);
      options.setEnforceEncodability(false);
      Pipeline pipeline = Pipeline.create(options);
      SendContactUpdates sink = tune(fixture.sink(), platform);
      if (platform.concurrencyLimited()) { // no rate of its own: the calls in flight bind
        sink = sink.withMaxRequestsPerSecond(1_000);
      }
      pipeline.apply(Create.of(input)).apply(sink);
      PipelineResult result = pipeline.run();
      result.waitUntilFinish();

      List<FakeVendorServer.Request> requests = fixture.server().requests();
      double span = (requests.get(requests.size() - 1).receivedNanos()
          - requests.get(0).receivedNanos()) / 1e9;
      // n requests spaced 1/rate apart span (n - 1) / rate seconds
      double overall = (requests.size() - 1) / span;
      // sustained: the middle 80% of the requests, without the pipeline's start and the
      // tail where the last shards finish one by one
      int from = requests.size() / 10;
      int to = requests.size() - 1 - requests.size() / 10;
      double achieved = (to - from) / ((requests.get(to).receivedNanos()
          - requests.get(from).receivedNanos()) / 1e9);
      long lost = 0;
      long duplicates = 0;
      for (ContactUpdate update : input) {
        AtomicInteger writes = fixture.writes().get(fixture.vendorKey(update));
        if (writes == null) {
          lost++;
        } else if (writes.get() > 1) {
          duplicates++;
        }
      }
      long retries = SinkTesting.counter(result, "sink." + platform.name(), "requests_retried");
      // a concurrency limit is used as much as calls are in flight on average (the vendor
      // counts a call until it answers, hung ones included)
      double inFlight = fixture.server().meanInFlight(requests.get(from).receivedNanos(),
          requests.get(to).receivedNanos());
      double share = platform.concurrencyLimited() ? inFlight / platform.rate()
          : achieved / platform.rate();
      return String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %.2f | %.2f | %.1f%% | %.2f "
              + "| %d | %d | %d | %d |", platform.name(), platform.concurrencyLimited()
              ? String.format(Locale.ROOT, "%.0f in flight", platform.rate())
              : String.format(Locale.ROOT, "%.1f req/s", platform.rate()), records,
          requests.size(), achieved, inFlight, 100 * share, overall, retries,
          fixture.server().faultsInjected(), lost, duplicates);
    }
  }
}
