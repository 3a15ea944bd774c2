package dev.audiencesegmenter.pipelines.bench;

import dev.audiencesegmenter.churn.ActivityHistory;
import dev.audiencesegmenter.churn.EngagementChurn;
import dev.audiencesegmenter.churn.EngagementChurnTable;
import dev.audiencesegmenter.churn.RenewalCounts;
import dev.audiencesegmenter.churn.SubscriptionChurn;
import dev.audiencesegmenter.churn.SubscriptionHistory;
import dev.audiencesegmenter.clv.AddCustomerValue;
import dev.audiencesegmenter.clv.CustomerValue;
import dev.audiencesegmenter.clv.LocalCustomerValue;
import dev.audiencesegmenter.clv.PredictCustomerValue;
import dev.audiencesegmenter.features.AsOf;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.features.LocalFeatures;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.identity.LocalIdentityResolution;
import dev.audiencesegmenter.io.files.LocalRecords;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.EventTypes;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.pipelines.ArgumentFiles;
import dev.audiencesegmenter.pipelines.SegmentationPipeline;
import dev.audiencesegmenter.pipelines.SegmentationPipelineOptions;
import dev.audiencesegmenter.report.LocalSegmentSummary;
import dev.audiencesegmenter.report.SegmentProfile;
import dev.audiencesegmenter.report.SegmentValidation;
import dev.audiencesegmenter.segments.AddSegmentScores;
import dev.audiencesegmenter.segments.LocalSegments;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The batch segmentation job as a single-threaded plain-Java program: the same inputs, options
 * and outputs as {@link SegmentationPipeline} ({@code identities/}, {@code features/},
 * {@code segments/}, {@code summary/}, {@code junk-identifiers/}, {@code dead-letter/},
 * {@code model/clv.json}), computed in memory with the same functions the transforms call
 * ({@code Local*} classes), with a hash-map union-find instead of distributed rounds. It is the
 * benchmark's baseline: the practical limit of one core, given memory for the whole input.
 *
 * <p>Not supported (rejected with a message): previous identities, previous segments, clusters
 * and lookalikes, sinks, the database, holdout validation. Does not write the HTML report.
 *
 * <pre>
 * java -cp audience-segmenter-pipelines.jar dev.audiencesegmenter.pipelines.bench.BaselineSegmentationJob \
 *     --input='sample/events/*' --profiles='sample/profiles/*' --segments=sample/segments.yaml \
 *     --asOf=2024-06-30 --output=/tmp/baseline/
 * </pre>
 *
 * <p>Prints one line {@code BASELINE_STAGES {"read_ms":..,...}} with the wall time of each stage.
 */
public final class BaselineSegmentationJob {
  /** Prefix of the printed stage timings, read by {@link PipelineBenchmark}. */
  public static final String STAGES_PREFIX = "BASELINE_STAGES ";

  private BaselineSegmentationJob() {}

  public static void main(String[] args) {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    SegmentationPipelineOptions options = PipelineOptionsFactory
        .fromArgs(ArgumentFiles.expand(args)).withValidation()
        .as(SegmentationPipelineOptions.class);
    Map<String, Long> stages = run(options);
    StringBuilder json = new StringBuilder("{");
    stages.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k)
        .append("\":").append(v));
    System.out.println(STAGES_PREFIX + json.append('}'));
  }

  /** Runs the job; returns the wall time of each stage in milliseconds, in order. */
  public static Map<String, Long> run(SegmentationPipelineOptions options) {
    checkSupported(options);
    if (options.getAsOf() == null || options.getAsOf().isBlank()) {
      throw new IllegalArgumentException("The baseline needs --asOf (runs are compared)");
    }
    Instant asOf = AsOf.parse(options.getAsOf(), "--asOf");
    SegmentDefinitions definitions = SegmentDefinitions.parse(
        SegmentationPipeline.readText(options.getSegments()), options.getSegments());
    IdentityRules rules = options.getIdentityRules() == null
        || options.getIdentityRules().isBlank() ? IdentityRules.defaults()
        : IdentityRules.parse(SegmentationPipeline.readText(options.getIdentityRules()),
            options.getIdentityRules());
    Path out = Path.of(options.getOutput());
    Map<String, Long> stages = new LinkedHashMap<>();
    Stopwatch clock = new Stopwatch(stages);

    LocalRecords<CustomerEvent> events = LocalRecords.events(nativePattern(options.getInput()),
        options.getMaxLineBytes(), options.getMaxIdentifiersPerRecord());
    List<ProfileAttributes> profiles = List.of();
    List<DeadLetter> deadLetters = new ArrayList<>(events.deadLetters());
    if (options.getProfiles() != null && !options.getProfiles().isEmpty()) {
      LocalRecords<ProfileAttributes> read = LocalRecords.profiles(
          nativePattern(options.getProfiles()),
          options.getMaxLineBytes(), options.getMaxIdentifiersPerRecord());
      profiles = read.records();
      deadLetters.addAll(read.deadLetters());
    }
    clock.lap("read_ms");

    LocalIdentityResolution identities = LocalIdentityResolution.resolve(events.records(),
        profiles, options.getDefaultRegion(), rules);
    deadLetters.addAll(identities.deadLetters());
    clock.lap("resolve_identities_ms");

    List<CustomerFeatures> features = LocalFeatures.compute(
        SegmentationPipeline.computeFeatures(options, asOf), identities.events(),
        identities.profiles());
    clock.lap("features_ms");

    String modelJson = null;
    if (options.getValueModels()) {
      LocalCustomerValue value = LocalCustomerValue.predict(
          SegmentationPipeline.valueModels(options, asOf), identities.events());
      Map<String, ActivityHistory> activity = new HashMap<>();
      Map<String, SubscriptionHistory> subscriptions = new HashMap<>();
      for (KV<String, CustomerEvent> e : identities.events()) {
        String type = e.getValue().getEventType();
        long t = e.getValue().getEventTime().getMillis();
        if (!EventTypes.isOutbound(type)) {
          activity.computeIfAbsent(e.getKey(), k -> new ActivityHistory(asOf.getMillis()))
              .add(t);
        }
        subscriptions.computeIfAbsent(e.getKey(), k -> new SubscriptionHistory(asOf.getMillis()))
            .add(type, t);
      }
      EngagementChurnTable churn = new EngagementChurnTable();
      activity.values().forEach(churn::add);
      PredictCustomerValue valueModels = SegmentationPipeline.valueModels(options, asOf);
      long period = valueModels.getSubscriptionPeriod().getMillis();
      RenewalCounts renewals = new RenewalCounts();
      subscriptions.values().forEach(h -> renewals.add(h, period));
      SubscriptionChurn sbg = new SubscriptionChurn(renewals.fit(), period,
          SubscriptionChurn.periodRate(valueModels.getAnnualDiscountRate(), period));
      List<CustomerFeatures> valued = new ArrayList<>(features.size());
      for (CustomerFeatures f : features) {
        CustomerValue v = value.values().get(f.getCustomerId());
        ActivityHistory a = activity.get(f.getCustomerId());
        CustomerFeatures row = v != null ? AddCustomerValue.withValue(f, v)
            : a == null ? f : EngagementChurn.withChurnRisk(f, churn, a);
        SubscriptionHistory subscription = subscriptions.get(f.getCustomerId());
        valued.add(subscription == null ? row : sbg.withChurnRisk(row, subscription));
      }
      features = valued;
      modelJson = value.modelJson();
    }
    clock.lap("value_models_ms");

    AssignLifecycleStage lifecycle = SegmentationPipeline.lifecycle(options);
    List<CustomerFeatures> staged = new ArrayList<>(features.size());
    for (CustomerFeatures f : features) {
      staged.add(f.toBuilder().setLifecycleStage(lifecycle.stageOf(f.getTenureDays(),
          f.getDaysInactive(), f.getReactivationGapDays(), f.getPAlive())).build());
    }
    features = LocalSegments.addScores(AddSegmentScores.create().withValueTiers(
        definitions.getValueTierCuts().vipTopPercent(),
        definitions.getValueTierCuts().lowBottomPercent()).withEngagementTiers(
        definitions.getEngagementCuts().highTopPercent(),
        definitions.getEngagementCuts().lowBottomPercent()), staged);
    clock.lap("lifecycle_and_scores_ms");

    List<SegmentMembership> memberships = LocalSegments.assign(definitions, features);
    clock.lap("assign_segments_ms");

    SegmentValidation defaults = SegmentValidation.DEFAULTS;
    List<SegmentProfile> summary = LocalSegmentSummary.summaries(definitions,
        new SegmentValidation(options.getMinSegmentSize(), defaults.minReachableShare(),
            defaults.minSmd(), defaults.maxMembershipChurn()), features, memberships);
    clock.lap("summarize_ms");

    write(out.resolve("identities"), identities.identities(),
        dev.audiencesegmenter.model.CustomerIdentity.class);
    write(out.resolve("features"), features, CustomerFeatures.class);
    write(out.resolve("segments"), memberships, SegmentMembership.class);
    write(out.resolve("summary"), summary, SegmentProfile.class);
    write(out.resolve("junk-identifiers"), identities.junk(),
        dev.audiencesegmenter.model.JunkIdentifier.class);
    write(out.resolve("dead-letter"), deadLetters, DeadLetter.class);
    if (modelJson != null) {
      writeLines(out.resolve("model"), "clv.json", Stream.of(modelJson));
    }
    clock.lap("write_ms");
    return stages;
  }

  private static void checkSupported(SegmentationPipelineOptions options) {
    List<String> unsupported = new ArrayList<>();
    if (notBlank(options.getPreviousIdentities())) {
      unsupported.add("--previousIdentities");
    }
    if (notBlank(options.getPreviousSegments())) {
      unsupported.add("--previousSegments");
    }
    if (notBlank(options.getSinks())) {
      unsupported.add("--sinks");
    }
    if (notBlank(options.getJdbcUrl())) {
      unsupported.add("--jdbcUrl");
    }
    if (notBlank(options.getHoldoutEnd())) {
      unsupported.add("--holdoutEnd");
    }
    if (!unsupported.isEmpty()) {
      throw new IllegalArgumentException("The plain-Java baseline does not support "
          + String.join(", ", unsupported));
    }
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  private static <T> void write(Path folder, List<T> rows, Class<T> type) {
    var toRow = toRowFunction(type);
    writeLines(folder, "part-00000-of-00001.jsonl",
        rows.stream().map(r -> JsonLines.toJson(toRow.apply(r))));
  }

  private static <T> org.apache.beam.sdk.transforms.SerializableFunction<T,
      org.apache.beam.sdk.values.Row> toRowFunction(Class<T> type) {
    try {
      return SchemaRegistry.createDefault().getToRowFunction(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("No schema for " + type, e);
    }
  }

  /** Replaces the folder's earlier files with one file of these lines. */
  private static void writeLines(Path folder, String name, Stream<String> lines) {
    try {
      Files.createDirectories(folder);
      try (Stream<Path> old = Files.list(folder)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          Files.deleteIfExists(p);
        }
      }
      try (BufferedWriter w = Files.newBufferedWriter(folder.resolve(name),
          StandardCharsets.UTF_8)) {
        for (String line : (Iterable<String>) lines::iterator) {
          w.write(line);
          w.write('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + folder, e);
    }
  }

  /** Wall time between laps, recorded by stage name. */
  private static final class Stopwatch {
    private final Map<String, Long> stages;
    private long start = System.nanoTime();

    Stopwatch(Map<String, Long> stages) {
      this.stages = stages;
    }

    void lap(String stage) {
      long now = System.nanoTime();
      stages.put(stage, (now - start) / 1_000_000);
      start = now;
    }
  }

  /** The baseline reads one source in the native format, as the benchmark gives it. */
  private static String nativePattern(List<String> values) {
    List<dev.audiencesegmenter.io.sources.SourceSpec> specs =
        dev.audiencesegmenter.io.sources.SourceSpec.parseAll(values);
    if (specs.size() != 1 || specs.get(0).isMapped()) {
      throw new IllegalArgumentException("the baseline reads one native source, got " + values);
    }
    return specs.get(0).pattern();
  }
}
