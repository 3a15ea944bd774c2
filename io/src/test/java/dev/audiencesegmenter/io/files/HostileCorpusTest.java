package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's hostile-input corpus ({@link HostileCorpus}) through the readers: every kind,
 * mixed with good events and profiles in JSON Lines and CSV. The run finishes; {@code
 * lines_read = records_parsed + dead_lettered}; each hostile line is a dead letter with its
 * kind's reason or a record; the good records are exactly those of a run without the hostile
 * files.
 */
@ExtendWith(TestPipelineExtension.class)
class HostileCorpusTest {
  static List<HostileCorpus.Kind> events;
  static List<HostileCorpus.Kind> profiles;

  @BeforeAll
  static void corpus() {
    events = HostileCorpus.events();
    profiles = HostileCorpus.profiles();
  }

  static final String GOOD_EVENTS_JSONL = String.join("\n",
      ReadCustomerEventsTest.GOOD_1, ReadCustomerEventsTest.GOOD_2,
      ReadCustomerEventsTest.GOOD_3) + "\n";
  static final String GOOD_EVENTS_CSV = "source,id,type,time,revenue,ids.email,props.sku\n"
      + "shop,o-2,purchase,2024-05-01T10:00:00Z,19.99,ann@x.com,B-2\n"
      + "shop,o-3,purchase,2024-05-02T10:00:00Z,5,bob@x.com,\n";
  static final String GOOD_PROFILES_JSONL = "{\"source\":\"crm\",\"id\":\"c-9\","
      + "\"time\":\"2024-02-01T00:00:00Z\",\"ids\":{\"crm_id\":9,\"email\":\"ann@x.com\"},"
      + "\"attrs\":{\"city\":\"Oakland\",\"plan\":\"pro\"}}\n";
  static final String GOOD_PROFILES_CSV = "source,id,time,ids.crm_id,attrs.city\n"
      + "crm,c-10,2024-01-01T00:00:00Z,10,Oslo\n";

  static void writeGood(Path events, Path profiles) throws IOException {
    Files.createDirectories(events);
    Files.createDirectories(profiles);
    Files.writeString(events.resolve("good.jsonl"), GOOD_EVENTS_JSONL);
    Files.writeString(events.resolve("good.csv"), GOOD_EVENTS_CSV);
    Files.writeString(profiles.resolve("good.jsonl"), GOOD_PROFILES_JSONL);
    Files.writeString(profiles.resolve("good.csv"), GOOD_PROFILES_CSV);
  }

  @Test
  void theCorpusHasThirtyKindsAndMore() {
    assertTrue(events.size() + profiles.size() >= 30, "kinds: " + events.size() + " + "
        + profiles.size());
  }

  /** Each kind alone, read locally: its outcomes line by line, as listed. */
  @Test
  void eachKindGivesItsOutcomes(@TempDir Path dir) throws IOException {
    Map<String, String> wrong = new TreeMap<>();
    for (HostileCorpus.Kind k : events) {
      Path folder = Files.createDirectories(dir.resolve("e-" + k.file()));
      HostileCorpus.write(List.of(k), folder);
      LocalRecords<CustomerEvent> read = LocalRecords.events(folder + "/*", 1 << 20);
      check(k, read.records().size(), read.deadLetters(), wrong);
    }
    for (HostileCorpus.Kind k : profiles) {
      Path folder = Files.createDirectories(dir.resolve("p-" + k.file()));
      HostileCorpus.write(List.of(k), folder);
      LocalRecords<ProfileAttributes> read = LocalRecords.profiles(folder + "/*", 1 << 20);
      check(k, read.records().size(), read.deadLetters(), wrong);
    }
    assertEquals(Map.of(), wrong);
  }

  /**
   * Every kind at once, with the good files, through the pipeline readers: the counters add
   * up, every hostile line has its outcome, and the good records are a clean read's.
   */
  @Test
  void theReadersTakeTheWholeCorpus(TestPipeline p, @TempDir Path dir) throws IOException {
    Path good = dir.resolve("good");
    writeGood(good.resolve("events"), good.resolve("profiles"));
    Path all = dir.resolve("all");
    writeGood(all.resolve("events"), all.resolve("profiles"));
    HostileCorpus.write(events, all.resolve("events"));
    HostileCorpus.write(profiles, all.resolve("profiles"));
    List<CustomerEvent> cleanEvents =
        LocalRecords.events(good.resolve("events") + "/*", 1 << 20).records();
    List<ProfileAttributes> cleanProfiles =
        LocalRecords.profiles(good.resolve("profiles") + "/*", 1 << 20).records();
    assertEquals(5, cleanEvents.size());
    assertEquals(2, cleanProfiles.size());

    ReadResult<CustomerEvent> e = p.apply("Events",
        ReadCustomerEvents.from(all.resolve("events") + "/*").withDuplicateGroups(4));
    ReadResult<ProfileAttributes> pr = p.apply("Profiles",
        ReadProfileAttributes.from(all.resolve("profiles") + "/*").withDuplicateGroups(4));
    PAssert.that(e.getRecords().apply("GoodEvents",
            Filter.by(r -> !r.getSource().equals("hostile"))))
        .containsInAnyOrder(cleanEvents);
    PAssert.that(pr.getRecords().apply("GoodProfiles",
            Filter.by(r -> !r.getSource().equals("hostile"))))
        .containsInAnyOrder(cleanProfiles);
    PAssert.that(e.getRecords().apply("HostileEvents", MapElements
            .into(TypeDescriptors.strings()).via(r -> r.getSource())))
        .satisfies(sources -> {
          assertEquals(parsed(events) + 5, count(sources));
          return null;
        });
    PAssert.that(pr.getRecords().apply("HostileProfiles", MapElements
            .into(TypeDescriptors.strings()).via(r -> r.getSource())))
        .satisfies(sources -> {
          assertEquals(parsed(profiles) + 2, count(sources));
          return null;
        });
    PAssert.that(e.getDeadLetters().apply("EventOutcomes", MapElements
            .into(TypeDescriptors.strings()).via(d -> outcomeOf(d.getReason(), outcomes(events)))))
        .containsInAnyOrder(deadLetters(events));
    PAssert.that(pr.getDeadLetters().apply("ProfileOutcomes", MapElements
            .into(TypeDescriptors.strings())
            .via(d -> outcomeOf(d.getReason(), outcomes(profiles)))))
        .containsInAnyOrder(deadLetters(profiles));
    // As runner-configs/direct.args: the Direct runner's per-element checks (each element
    // encoded again, a megabyte line too) are not what this test is about.
    p.getOptions().as(DirectOptions.class).setEnforceEncodability(false);
    p.getOptions().as(DirectOptions.class).setEnforceImmutability(false);
    PipelineResult result = p.run();
    result.waitUntilFinish();

    for (Class<?> reader : List.of(ReadCustomerEvents.class, ReadProfileAttributes.class)) {
      List<HostileCorpus.Kind> kinds = reader == ReadCustomerEvents.class ? events : profiles;
      long read = counter(result, reader, "lines_read");
      long parsed = counter(result, reader, "records_parsed");
      long dead = counter(result, reader, "dead_lettered");
      long goodLines = reader == ReadCustomerEvents.class ? 5 : 2;
      assertEquals(goodLines + outcomes(kinds).size(), read, reader.getSimpleName());
      assertEquals(read, parsed + dead, reader.getSimpleName());
      assertEquals(outcomes(kinds).stream()
              .filter(HostileCorpus.UNREADABLE_CONSENT::equals).count(),
          counter(result, reader, "consent_values_unreadable"), reader.getSimpleName());
    }
  }

  private static long count(Iterable<?> items) {
    long n = 0;
    for (Object ignored : items) {
      n++;
    }
    return n;
  }

  /** Every line's outcome, in corpus order. */
  private static List<String> outcomes(List<HostileCorpus.Kind> kinds) {
    List<String> all = new ArrayList<>();
    kinds.forEach(k -> all.addAll(k.outcomes()));
    return all;
  }

  /**
   * Records kept: parsed lines, with or without an unreadable consent value (a duplicate's
   * kept line is listed as parsed).
   */
  private static long parsed(List<HostileCorpus.Kind> kinds) {
    return outcomes(kinds).stream().filter(o -> o.equals(HostileCorpus.PARSED)
        || o.equals(HostileCorpus.UNREADABLE_CONSENT)).count();
  }

  /** Dead letters: one per line not kept, one per kept line with an unreadable consent. */
  private static List<String> deadLetters(List<HostileCorpus.Kind> kinds) {
    List<String> out = new ArrayList<>(outcomes(kinds));
    out.removeIf(HostileCorpus.PARSED::equals);
    return out;
  }

  static long counter(PipelineResult result, Class<?> namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(namespace.getName(), name)).build())
        .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  private static void check(HostileCorpus.Kind k, int records, List<DeadLetter> dead,
      Map<String, String> wrong) {
    List<String> expected = new ArrayList<>(k.outcomes());
    // a kept record with an unreadable consent value: a record and its dead letter
    k.outcomes().stream().filter(HostileCorpus.UNREADABLE_CONSENT::equals)
        .forEach(o -> expected.add(HostileCorpus.PARSED));
    expected.sort(null);
    List<String> actual = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      actual.add(HostileCorpus.PARSED);
    }
    for (DeadLetter d : dead) {
      actual.add(outcomeOf(d.getReason(), k.outcomes()));
      if (d.getReason().startsWith(HostileCorpus.DUPLICATE)) {
        actual.add(HostileCorpus.PARSED); // the one kept, counted once
        actual.remove(HostileCorpus.PARSED);
      }
    }
    actual.sort(null);
    if (!expected.equals(actual)) {
      List<String> reasons = new ArrayList<>();
      dead.forEach(d -> reasons.add(d.getReason()));
      wrong.put(k.name(), "expected " + expected + " got " + records + " records and "
          + reasons);
    }
  }

  /** The longest listed outcome the reason starts with, else the reason itself. */
  static String outcomeOf(String reason, Collection<String> outcomes) {
    String best = reason;
    int length = -1;
    for (String o : outcomes) {
      if (reason.startsWith(o) && o.length() > length) {
        best = o;
        length = o.length();
      }
    }
    return best;
  }
}
