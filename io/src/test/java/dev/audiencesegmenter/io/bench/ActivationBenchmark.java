package dev.audiencesegmenter.io.bench;

import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.braze.BrazeConnectorTest;
import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.klaviyo.FakeKlaviyo;
import dev.audiencesegmenter.io.klaviyo.KlaviyoConnector;
import dev.audiencesegmenter.io.mailchimp.FakeMailchimp;
import dev.audiencesegmenter.io.mailchimp.MailchimpConnector;
import dev.audiencesegmenter.io.salesforce.SalesforceConnector;
import dev.audiencesegmenter.io.salesforce.SalesforceConnectorTest;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.Credential;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SinkTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
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

  /** One platform: its fake, its sink, how many writes each key got. */
  record Platform(String name, double rate, int recordsPerRequest, int shards, int concurrency,
      Supplier<Fixture> fixture) {}

  /** A started fake and what it knows. */
  interface Fixture extends AutoCloseable {
    FakeVendorServer server();

    SendContactUpdates sink();

    /** Writes per record key the vendor stored. */
    Map<String, AtomicInteger> writes();

    /** The key the vendor stores a record under. */
    String vendorKey(ContactUpdate update);

    @Override
    void close();
  }

  static SendContactUpdates tune(SendContactUpdates sink, Platform p) {
    return sink.withMaxRequestsPerSecond(p.rate()).withNumShards(p.shards())
        .withMaxConcurrentRequests(p.concurrency()).withMaxRetries(10)
        .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(2))
        .withRequestTimeout(Duration.ofSeconds(5));
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 25;
    List<Platform> platforms = List.of(
        new Platform("hubspot", 19, 100, 8, 8, () -> hubspot()),
        new Platform("mailchimp", 4, 500, 8, 5, () -> mailchimp()),
        new Platform("klaviyo", 2.5, 2500, 16, 4, () -> klaviyo()),
        new Platform("braze", 40, 75, 8, 8, () -> braze()),
        new Platform("salesforce", 10, 200, 8, 4, () -> salesforce()));
    List<String> rows = new ArrayList<>();
    for (Platform platform : platforms) {
      if (args.length > 1 && !List.of(args).subList(1, args.length).contains(platform.name())) {
        continue;
      }
      rows.add(run(platform, seconds));
      System.err.println(rows.get(rows.size() - 1));
    }
    System.out.println();
    System.out.println("| platform | rate limit (req/s) | records | requests | achieved req/s "
        + "(sustained) | % of limit | req/s first to last | retries | faults injected | lost "
        + "| duplicates |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
  }

  static String run(Platform platform, double seconds) {
    // Klaviyo: requests are job creates and status polls (4 per job of one shard's batch)
    int requestsWanted = (int) Math.round(platform.rate() * seconds);
    int records = platform.name().equals("klaviyo")
        ? platform.shards() * platform.recordsPerRequest()
        : requestsWanted * platform.recordsPerRequest();
    try (Fixture fixture = platform.fixture().get()) {
      fixture.server().faultRate = 0.05;
      fixture.server().faultTimeoutMillis = 6_000; // past the sink's 5 s request timeout
      List<ContactUpdate> input = SinkTesting.contacts(records);
      DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
      options.setTargetParallelism(Math.max(8, platform.shards()));
      options.setEnforceImmutability(false);
      options.setEnforceEncodability(false);
      Pipeline pipeline = Pipeline.create(options);
      pipeline.apply(Create.of(input)).apply(tune(fixture.sink(), platform));
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
      return String.format(Locale.ROOT, "| %s | %.1f | %,d | %,d | %.2f | %.1f%% | %.2f | %d "
              + "| %d | %d | %d |", platform.name(), platform.rate(), records, requests.size(),
          achieved, 100 * achieved / platform.rate(), overall, retries,
          fixture.server().faultsInjected(), lost, duplicates);
    }
  }

  static Fixture hubspot() {
    try {
      String token = "pat-bench-token";
      FakeHubSpot fake = new FakeHubSpot(token);
      return fixture(fake.server, HubSpotConnector.create(Credential.of(token))
          .withBaseUrl(fake.baseUrl()).withAccount("bench").sink(), fake.writesPerEmail,
          ContactUpdate::getEmail, fake::close);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Fixture mailchimp() {
    try {
      String key = "0123456789abcdef0123456789abcdef-us21";
      FakeMailchimp fake = new FakeMailchimp(key, "a1b2c3d4e5");
      Map<String, AtomicInteger> writes = new java.util.AbstractMap<>() {
        @Override
        public AtomicInteger get(Object hash) {
          FakeMailchimp.Member member = fake.membersByHash.get(hash);
          return member == null ? null : member.writes;
        }

        @Override
        public java.util.Set<Entry<String, AtomicInteger>> entrySet() {
          throw new UnsupportedOperationException();
        }
      };
      return fixture(fake.server, MailchimpConnector.create(Credential.of(key), "a1b2c3d4e5")
              .withBaseUrl(fake.server.baseUrl() + "/3.0").withAccount("bench").sink(),
          writes, update -> MailchimpConnector.subscriberHash(update.getEmail()), fake::close);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Fixture klaviyo() {
    try {
      String key = "pk_bench_key";
      FakeKlaviyo fake = new FakeKlaviyo(key);
      return fixture(fake.server, KlaviyoConnector.create(Credential.of(key))
              .withBaseUrl(fake.server.baseUrl()).withAccount("bench")
              .withJobPolling(Duration.ofMillis(200), 1000).sink(),
          fake.importsPerProfile, ContactUpdate::getKey, fake::close);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Fixture braze() {
    try {
      BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
      return fixture(fake.server, BrazeConnector.create(Credential.of(BrazeConnectorTest.KEY))
              .withBaseUrl(fake.server.baseUrl()).withAccount("bench").sink(), fake.writes,
          ContactUpdate::getKey, fake.server::close);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Fixture salesforce() {
    try {
      SalesforceConnectorTest.FakeSalesforce fake = new SalesforceConnectorTest.FakeSalesforce();
      return fixture(fake.server, SalesforceConnector.create(Credential.of(
              SalesforceConnectorTest.TOKEN), fake.server.baseUrl(), "Contact", "Customer_Id__c")
              .sink(), fake.writes, ContactUpdate::getKey, fake.server::close);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Fixture fixture(FakeVendorServer server, SendContactUpdates sink,
      Map<String, AtomicInteger> writes, java.util.function.Function<ContactUpdate, String> key,
      Runnable close) {
    return new Fixture() {
      @Override
      public FakeVendorServer server() {
        return server;
      }

      @Override
      public SendContactUpdates sink() {
        return sink;
      }

      @Override
      public Map<String, AtomicInteger> writes() {
        return writes;
      }

      @Override
      public String vendorKey(ContactUpdate update) {
        return key.apply(update);
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }
}
