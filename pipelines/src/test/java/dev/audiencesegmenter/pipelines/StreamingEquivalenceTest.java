package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.features.AsOf;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.MembershipChange;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.streaming.SegmentContinuously;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming job replayed over a finite event set, out of order, with late and duplicate
 * events, ends with the batch job's features and memberships for {@code --asOf} (the columns
 * that depend on the customer alone), on the Direct and the Flink runner.
 */
@Timeout(900)
class StreamingEquivalenceTest {
  /** Filled by a pipeline in this JVM (the runners run in process). */
  private static final ConcurrentLinkedQueue<CustomerEvent> READ = new ConcurrentLinkedQueue<>();
  /** Filled by the streaming job: its tagged outputs, folded after it ends. */
  private static final ConcurrentLinkedQueue<String> STREAMED = new ConcurrentLinkedQueue<>();

  @TempDir static Path work;
  private static List<CustomerEvent> events;
  private static IdentityRules rules;
  private static BatchReference reference;

  @BeforeAll
  static void runBatchAndReadEvents() throws IOException {
    Path data = work.resolve("data");
    new SampleDataGenerator(5, LocalDate.parse(BatchReference.AS_OF)).write(data, 60);
    reference = BatchReference.of(data.resolve("events") + "/*", work.resolve("batch"));
    // Fan-out junk is found by the batch job over the whole graph; streaming is told.
    IdentityRules r = IdentityRules.defaults();
    for (Map.Entry<String, List<String>> e : reference.junk.entrySet()) {
      r = r.withBlockedValues(e.getKey(), e.getValue());
    }
    rules = r;

    READ.clear();
    Pipeline read = Pipeline.create(flinkOptions(false));
    read.apply(ReadCustomerEvents.from(data.resolve("events") + "/*")).getRecords()
        .apply(ParDo.of(new Collect()));
    assertEquals(PipelineResult.State.DONE, read.run().waitUntilFinish());
    events = new ArrayList<>(READ);
    events.sort(Comparator.comparing(CustomerEvent::getEventTime)
        .thenComparing(CustomerEvent::getSource).thenComparing(CustomerEvent::getSourceRecordId));
    assertTrue(events.size() > 500, "events: " + events.size());
  }

  @Nested
  class OnTheDirectRunner {
    @RegisterExtension
    final TestPipelineExtension direct = TestPipelineExtension.fromOptions(directOptions());

    @Test
    void endsWithTheBatchResults(TestPipeline pipeline) {
      replayAndCompare(pipeline);
    }
  }

  @Nested
  class OnTheFlinkRunner {
    @RegisterExtension
    final TestPipelineExtension flink = TestPipelineExtension.fromOptions(flinkOptions(true));

    @Test
    void endsWithTheBatchResults(TestPipeline pipeline) {
      replayAndCompare(pipeline);
    }
  }

  private static PipelineOptions directOptions() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    options.setTargetParallelism(2);
    return options;
  }

  private static void replayAndCompare(TestPipeline pipeline) {
    SegmentDefinitions definitions = SegmentDefinitions.parse(
        SegmentationPipeline.readText(BatchReference.SEGMENTS.toString()), BatchReference.SEGMENTS.toString());
    Instant until = AsOf.parse(BatchReference.AS_OF, "--asOf");
    PCollection<CustomerEvent> input = pipeline.apply("Replay", replay(pipeline));
    SegmentContinuously.Result result = input.apply(SegmentContinuously.of(definitions)
        .withIdentityRules(rules)
        .withFeatures(SegmentationPipeline.computeFeatures(defaultOptions(), until))
        .withEvaluationInterval(Duration.standardHours(6))
        .withReevaluation(Duration.standardDays(30), Duration.standardDays(400))
        .withAllowedLateness(Duration.standardDays(3650))
        .withUntil(until));

    PCollection<String> tagged = PCollectionList
        .of(result.getFeatures().apply("TagFeatures", ParDo.of(new TagFeatures())))
        .and(result.getChanges().apply("TagChanges", MapElements.into(TypeDescriptors.strings())
            .via((MembershipChange c) -> "C|" + c.getAt().getMillis() + "|"
                + (c.getChange().equals(MembershipChange.ENTERED) ? 1 : 0) + "|"
                + c.getCustomerId() + "|" + c.getSegment() + "|" + c.getGroup() + "|"
                + c.getHoldout())))
        .and(result.getMerges().apply("TagMerges", MapElements.into(TypeDescriptors.strings())
            .via(m -> "M|" + m.getOtherId())))
        .apply(Flatten.pCollections());
    // Collected in this JVM, not through PAssert: PAssert gathers every line into one bag
    // state, which the Direct runner copies for each of the stream's many small bundles.
    STREAMED.clear();
    tagged.apply("Collect", ParDo.of(new CollectLines()));
    assertEquals(PipelineResult.State.DONE, pipeline.run().waitUntilFinish());
    assertFinalState(new ArrayList<>(STREAMED), reference.features, reference.members);
  }

  /** Folds the stream's outputs into its final state and compares it with the batch run. */
  private static void assertFinalState(Iterable<String> lines, Set<String> expectedFeatures,
      Set<String> expectedMembers) {
    Set<String> merged = new HashSet<>();
    Map<String, long[]> latestAt = new HashMap<>();
    Map<String, String> latestFeatures = new HashMap<>();
    List<String[]> changes = new ArrayList<>();
    for (String line : lines) {
      String[] p = line.split("\\|", 4);
      switch (p[0]) {
        case "M" -> merged.add(line.substring(2));
        case "F" -> {
          long at = Long.parseLong(p[1]);
          long[] seen = latestAt.computeIfAbsent(p[2], k -> new long[] {Long.MIN_VALUE});
          if (at > seen[0]) {
            seen[0] = at;
            latestFeatures.put(p[2], p[3]);
          }
        }
        default -> changes.add(line.split("\\|"));
      }
    }
    TreeSet<String> features = new TreeSet<>();
    latestFeatures.forEach((customer, row) -> {
      if (!merged.contains(customer)) {
        features.add(row);
      }
    });
    changes.sort(Comparator.comparingLong((String[] c) -> Long.parseLong(c[1]))
        .thenComparing(c -> c[2]));
    Map<String, String> last = new TreeMap<>();
    for (String[] c : changes) {
      last.put(c[3] + "|" + c[4], c[2].equals("1")
          ? BatchReference.member(c[3], c[4], c[5], Boolean.parseBoolean(c[6])) : null);
    }
    TreeSet<String> members = new TreeSet<>();
    last.forEach((key, member) -> {
      if (member != null && !merged.contains(key.substring(0, key.indexOf('|')))) {
        members.add(member);
      }
    });
    assertSame("features", expectedFeatures, features);
    assertSame("memberships", expectedMembers, members);
  }

  /** Equal sets, or a failure listing only the differences. */
  private static void assertSame(String what, Set<String> expected, Set<String> actual) {
    TreeSet<String> missing = new TreeSet<>(expected);
    missing.removeAll(actual);
    TreeSet<String> extra = new TreeSet<>(actual);
    extra.removeAll(expected);
    assertTrue(missing.isEmpty() && extra.isEmpty(), what + ": " + expected.size()
        + " expected, " + actual.size() + " streamed; only in batch:\n"
        + String.join("\n", missing) + "\nonly in streaming:\n" + String.join("\n", extra));
  }

  /**
   * The events in shuffled chunks (out of order), the watermark following each chunk, a few
   * events held back until after the watermark passed them (late), and a few sent twice.
   */
  private static TestStream<CustomerEvent> replay(TestPipeline pipeline) {
    SchemaCoder<CustomerEvent> coder;
    try {
      coder = pipeline.getSchemaRegistry().getSchemaCoder(CustomerEvent.class);
    } catch (org.apache.beam.sdk.schemas.NoSuchSchemaException e) {
      throw new IllegalStateException(e);
    }
    Random random = new Random(42);
    TestStream.Builder<CustomerEvent> stream = TestStream.create(coder);
    List<CustomerEvent> heldBack = new ArrayList<>();
    int chunk = 100;
    for (int from = 0; from < events.size(); from += chunk) {
      List<CustomerEvent> part = new ArrayList<>(events.subList(from,
          Math.min(events.size(), from + chunk)));
      Collections.shuffle(part, random);
      List<TimestampedValue<CustomerEvent>> now = new ArrayList<>();
      for (CustomerEvent e : part) {
        if (random.nextInt(20) == 0 && !Boolean.getBoolean("noLate")) {
          heldBack.add(e);
          continue;
        }
        now.add(TimestampedValue.of(e, e.getEventTime()));
        if (random.nextInt(30) == 0) {
          now.add(TimestampedValue.of(e, e.getEventTime())); // a duplicate delivery
        }
      }
      if (!now.isEmpty()) {
        stream = stream.addElements(now.get(0), now.subList(1, now.size())
            .toArray(TimestampedValue[]::new));
      }
      Instant newest = part.stream().map(CustomerEvent::getEventTime).max(Comparator
          .naturalOrder()).orElseThrow();
      stream = stream.advanceWatermarkTo(newest);
      if (from / chunk % 3 == 2 && !heldBack.isEmpty()) {
        List<TimestampedValue<CustomerEvent>> late = new ArrayList<>();
        heldBack.forEach(e -> late.add(TimestampedValue.of(e, e.getEventTime())));
        stream = stream.addElements(late.get(0), late.subList(1, late.size())
            .toArray(TimestampedValue[]::new));
        heldBack.clear();
      }
    }
    for (CustomerEvent e : heldBack) {
      stream = stream.addElements(TimestampedValue.of(e, e.getEventTime()));
    }
    return stream.advanceWatermarkToInfinity();
  }

  private static SegmentationPipelineOptions defaultOptions() {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs("--segments=x", "--input=x", "--output=x")
        .as(SegmentationPipelineOptions.class);
  }

  private static FlinkPipelineOptions flinkOptions(boolean streaming) {
    FlinkPipelineOptions options = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setStreaming(streaming);
    return options;
  }

  private static final class Collect extends DoFn<CustomerEvent, Void> {
    @ProcessElement
    public void process(@Element CustomerEvent event) {
      READ.add(event);
    }
  }

  private static final class CollectLines extends DoFn<String, Void> {
    @ProcessElement
    public void process(@Element String line) {
      STREAMED.add(line);
    }
  }

  /** "F|at|customer|row without population columns" for each evaluation. */
  private static final class TagFeatures extends DoFn<CustomerFeatures, String> {
    private transient SchemaCoder<CustomerFeatures> coder;

    @ProcessElement
    public void process(@Element CustomerFeatures f, @Timestamp Instant at,
        OutputReceiver<String> out, PipelineOptions options) throws Exception {
      if (coder == null) {
        coder = org.apache.beam.sdk.schemas.SchemaRegistry.createDefault()
            .getSchemaCoder(CustomerFeatures.class);
      }
      String json = JsonLines.toJson(coder.getToRowFunction().apply(f));
      out.output("F|" + at.getMillis() + "|" + f.getCustomerId() + "|"
          + BatchReference.withoutPopulationColumns(json));
    }
  }
}
