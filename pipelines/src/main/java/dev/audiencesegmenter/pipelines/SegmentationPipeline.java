package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.batch.SegmentCustomers;
import dev.audiencesegmenter.clv.PredictCustomerValue;
import dev.audiencesegmenter.clv.PurchaseCovariates;
import dev.audiencesegmenter.clv.PurchaseModel;
import dev.audiencesegmenter.features.AsOf;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.features.EngagementWeights;
import dev.audiencesegmenter.identity.IdentityRules;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.io.activation.ActivateSegments;
import dev.audiencesegmenter.io.files.ReadCustomerIdentities;
import dev.audiencesegmenter.io.files.ReadSegmentMemberships;
import dev.audiencesegmenter.io.files.WriteJsonLinesFolders;
import dev.audiencesegmenter.io.files.WriteTextFile;
import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.io.jdbc.MembershipHistory;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.rails.ChangeCounts;
import dev.audiencesegmenter.io.rails.ChangeLimits;
import dev.audiencesegmenter.io.rails.GuardedDelete;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.report.SegmentValidation;
import dev.audiencesegmenter.report.SummarizeSegments;
import dev.audiencesegmenter.report.WriteSegmentReport;
import dev.audiencesegmenter.progress.ProgressLog;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch segmentation job: reads events and profiles, resolves identities, computes
 * features as of {@code --asOf}, assigns the segments of {@code --segments}, and writes
 * {@code identities/}, {@code features/}, {@code segments/}, {@code summary/},
 * {@code dead-letter/} and the segment report ({@code report/}) under {@code --output}; with
 * {@code --previousSegments} also {@code stability/} (and with {@code --previousAsOf}
 * {@code response/}); with {@code --jdbcUrl} it also upserts features and memberships into
 * PostgreSQL; with {@code --sinks} it syncs customers and their segments to CRM and email
 * platforms ({@link Activation}), sending only what changed since the last sync.
 *
 * <pre>
 * java -jar audience-segmenter-pipelines-VERSION.jar --input='events/*' --profiles='profiles/*'
 *     --segments=segments.yaml --asOf=2024-06-30 --output=out/ [@runner-configs/flink-local.args]
 * </pre>
 */
public final class SegmentationPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentationPipeline.class);

  /** Environment variable read when {@code --jdbcPassword} is not given. */
  public static final String JDBC_PASSWORD_ENV = "AUDIENCE_SEGMENTER_JDBC_PASSWORD";

  /** Set by Dataflow's Flex Template launcher (the job's main class). */
  static final String FLEX_TEMPLATE_ENV = "FLEX_TEMPLATE_JAVA_MAIN_CLASS";

  static final String FEATURES_TABLE = "customer_features";
  static final String MEMBERSHIPS_TABLE = "segment_memberships";
  static final String MEMBERSHIP_HISTORY_TABLE = "segment_membership_history";
  /** The name of the --jdbcUrl tables in the rails' messages and refused/ listing. */
  static final String DATABASE_DESTINATION = "postgresql";

  private SegmentationPipeline() {}

  /** How the job is started, as {@code --help} shows it. */
  static final String USAGE = "java -jar audience-segmenter-pipelines.jar --input=<events> "
      + "--segments=<segments.yaml> --output=<folder> [--asOf=<date>] [options] "
      + "[@runner-configs/<runner>.args]";

  public static void main(String[] args) {
    // Exits as soon as the run is over, also when it succeeded: the Flink runner leaves a
    // non-daemon thread behind (Netty's global event executor) that would hold the JVM for its
    // one-second quiet period after the job and its summary are done.
    System.exit(launch(args, System.out, System.err));
  }

  /**
   * Runs the job for {@code args} and gives its exit status: 0 done, 1 the run failed,
   * {@value CommandLine#USAGE_ERROR} a mistake in the command line or the configuration it
   * names (said in one message on {@code err}, before any data is read).
   */
  static int launch(String[] args, PrintStream out, PrintStream err) {
    return CommandLine.launch(args, SegmentationPipelineOptions.class, USAGE, true, out, err,
        SegmentationPipeline::runFromCommandLine);
  }

  private static int runFromCommandLine(SegmentationPipelineOptions options, PrintStream out) {
    if (System.getenv(FLEX_TEMPLATE_ENV) != null) {
      // a Flex Template launcher must exit once the job is submitted, not wait for it: the
      // writer locks then only keep two launches apart, not two running jobs
      try (WriterLocks locks = WriterLocks.acquire(options)) {
        run(options);
      }
      LOG.info("Submitted from a Flex Template launcher; not waiting for the job");
      return 0;
    }
    PipelineResult result = runToCompletion(options);
    PipelineResult.State state = result.waitUntilFinish(); // ended: returns at once
    LOG.info("Pipeline finished: {}", state);
    if (state != PipelineResult.State.DONE) {
      return 1;
    }
    RunSummary summary = RunSummary.of(result);
    summary.writeTo(options.getOutput());
    out.print(summary.toTable());
    return 0;
  }


  /**
   * Takes the run's writer locks ({@link WriterLocks}: a second run on the same tables or sync
   * state fails here, naming the first), then runs the pipeline and waits for it to end; the
   * locks are held until then.
   */
  static PipelineResult runToCompletion(SegmentationPipelineOptions options) {
    try (WriterLocks locks = WriterLocks.acquire(options)) {
      PipelineResult result = run(options);
      result.waitUntilFinish();
      return result;
    }
  }

  /** Builds and starts the pipeline; the caller waits for the result. */
  public static PipelineResult run(SegmentationPipelineOptions options) {
    ProgressLog.restart();
    Pipeline pipeline = Pipeline.create(
        RunnerOptions.of(options, SegmentationPipelineOptions.class));
    // a previous run's files that this run is about to replace are read from a copy
    OutputFolders outputs = new OutputFolders(options.getOutput());
    options.setPreviousSegments(
        outputs.keepIfReplaced(options.getPreviousSegments(), OutputFolders.SEGMENTS));
    options.setPreviousIdentities(
        outputs.keepIfReplaced(options.getPreviousIdentities(), OutputFolders.IDENTITIES));
    build(pipeline, options);
    outputs.removeEarlierParts();
    return LargeStackSubmission.run(pipeline);
  }

  /**
   * The segment file, checked: rules may name only the traits the profile sources declare,
   * when all of them do, and compare typed ones as their types.
   */
  static SegmentDefinitions segments(SegmentationPipelineOptions options,
      List<InputSources.Source> profileSources, @Nullable SourceMapping profilesDatabaseMapping) {
    return SegmentDefinitions.parse(readText(options.getSegments()), options.getSegments(),
        InputSources.declaredTraits(profileSources, profilesDatabaseMapping),
        InputSources.declaredTraitTypes(profileSources, profilesDatabaseMapping));
  }

  /** The segment file as {@link #build} reads it, for what is decided before (the locks). */
  static SegmentDefinitions segments(SegmentationPipelineOptions options) {
    InputSources.DatabaseSource profilesDatabase = InputSources.DatabaseSource.profiles(options);
    return segments(options, InputSources.resolve(options.getProfiles(),
            SourceMapping.Kind.PROFILES, "--profiles"),
        profilesDatabase.isGiven() ? profilesDatabase.sourceMapping(SourceMapping.Kind.PROFILES)
            : null);
  }

  /**
   * Adds the whole job to {@code pipeline}. Configuration is read and checked here, before any
   * data is: a bad segment file or option fails the launch, not the run.
   */
  static OutputFolders build(Pipeline pipeline, SegmentationPipelineOptions options) {
    Instant asOf = resolveAsOf(options.getAsOf());
    // Every source and its mapping, read once: mistakes stop the job here.
    List<InputSources.Source> eventSources = InputSources.resolve(options.getInput(),
        SourceMapping.Kind.EVENTS, "--input");
    if (eventSources.isEmpty()) {
      throw new IllegalArgumentException("--input needs at least one file pattern");
    }
    List<InputSources.Source> profileSources = InputSources.resolve(options.getProfiles(),
        SourceMapping.Kind.PROFILES, "--profiles");
    InputSources.DatabaseSource eventsDatabase = InputSources.DatabaseSource.events(options);
    SourceMapping eventsDatabaseMapping = eventsDatabase.isGiven()
        ? eventsDatabase.sourceMapping(SourceMapping.Kind.EVENTS) : null;
    InputSources.DatabaseSource profilesDatabase = InputSources.DatabaseSource.profiles(options);
    SourceMapping profilesDatabaseMapping = profilesDatabase.isGiven()
        ? profilesDatabase.sourceMapping(SourceMapping.Kind.PROFILES) : null;
    SegmentDefinitions segments = segments(options, profileSources, profilesDatabaseMapping);
    if (options.getValueModels()) {
      checkPurchaseCovariates(options,
          InputSources.declaredTraits(profileSources, profilesDatabaseMapping));
    }
    OutputFolders outputs = new OutputFolders(options.getOutput());
    ChangeLimits limits = changeLimits(options);
    boolean activation = !Activation.sinks(options.getSinks(), segments).isEmpty();
    if (activation) {
      Activation.requireSyncState(options, outputs);
    }

    // The readers' rejects travel with the records to the end of the flow: no second output
    // to ship (see SegmentCustomers).
    PCollection<Checked<CustomerEvent>> events = InputSources.events(pipeline, eventSources,
        read -> read
            .withMaxLineBytes(options.getMaxLineBytes())
            .withMaxIdentifiersPerRecord(options.getMaxIdentifiersPerRecord())
            .withDuplicateGroups(options.getGroups())
            .withDeadLettersInBand());
    if (eventsDatabaseMapping != null) {
      events = PCollectionList.of(events)
          .and(InputSources.eventsFromDatabase(pipeline, options, eventsDatabaseMapping))
          .apply("AllEvents", Flatten.pCollections());
    }
    PCollectionTuple input = PCollectionTuple.of(ResolveIdentities.CHECKED_EVENTS, events);
    List<PCollection<Checked<ProfileAttributes>>> profiles = new ArrayList<>();
    if (!profileSources.isEmpty()) {
      profiles.add(InputSources.profiles(pipeline, profileSources, read -> read
          .withMaxLineBytes(options.getMaxLineBytes())
          .withMaxIdentifiersPerRecord(options.getMaxIdentifiersPerRecord())
          .withDuplicateGroups(options.getGroups())
          .withDeadLettersInBand()));
    }
    if (profilesDatabaseMapping != null) {
      profiles.add(InputSources.profilesFromDatabase(pipeline, options,
          profilesDatabaseMapping));
    }
    if (!profiles.isEmpty()) {
      input = input.and(ResolveIdentities.CHECKED_PROFILES, profiles.size() == 1
          ? profiles.get(0)
          : PCollectionList.of(profiles).apply("AllProfiles", Flatten.pCollections()));
    }

    ResolveIdentities resolve = ResolveIdentities.create()
        .withDefaultRegion(options.getDefaultRegion())
        .withMaxIdentifiersOnOneWorker(options.getMaxIdentifiersOnOneWorker());
    switch (options.getIdentityGraph()) {
      case "oneWorker" -> { }
      case "distributed" -> resolve = resolve.withDistributedGraph();
      default -> throw new IllegalArgumentException("--identityGraph must be oneWorker or "
          + "distributed, got '" + options.getIdentityGraph() + "'");
    }
    if (options.getIdentityRules() != null && !options.getIdentityRules().isBlank()) {
      resolve = resolve.withRules(IdentityRules.parse(readText(options.getIdentityRules()),
          options.getIdentityRules(), options.getDefaultRegion()));
    }
    if (options.getPreviousIdentities() != null && !options.getPreviousIdentities().isBlank()) {
      input = input.and(ResolveIdentities.PREVIOUS_IDENTITIES, pipeline.apply(
          "ReadPreviousIdentities",
          ReadCustomerIdentities.from(options.getPreviousIdentities())));
    }
    SegmentCustomers flow = segmentCustomers(options, segments, asOf).withResolve(resolve);
    boolean previous = options.getPreviousSegments() != null
        && !options.getPreviousSegments().isBlank();
    boolean previousAsOf = options.getPreviousAsOf() != null
        && !options.getPreviousAsOf().isBlank();
    if (previousAsOf && !previous) {
      throw new IllegalArgumentException("--previousAsOf needs --previousSegments: response is "
          + "measured on the previous run's members and holdouts");
    }
    if (previous) {
      input = input.and(SegmentCustomers.PREVIOUS_MEMBERSHIPS, pipeline.apply(
          "ReadPreviousSegments", ReadSegmentMemberships.from(options.getPreviousSegments())));
    }
    if (previousAsOf) {
      Instant from = AsOf.parse(options.getPreviousAsOf(), "--previousAsOf");
      if (!from.isBefore(asOf)) {
        throw new IllegalArgumentException("--previousAsOf (" + options.getPreviousAsOf()
            + ") must be before --asOf: the outcome window is [previousAsOf, asOf)");
      }
      flow = flow.withPreviousAsOf(from);
    }
    if (options.getValueModels() && options.getHoldoutEnd() != null
        && !options.getHoldoutEnd().isBlank()) {
      flow = flow.withHoldoutEnd(AsOf.parse(options.getHoldoutEnd(), "--holdoutEnd"));
    }
    if (activation) {
      flow = flow.withKeyedEvents();
    }
    SegmentCustomers.Result result = input.apply("SegmentCustomers", flow);
    ResolveIdentities.Result identities = result.getIdentities();
    PCollectionList<DeadLetter> deadLetters = PCollectionList.of(result.getDeadLetters());
    PCollection<CustomerFeatures> features = result.getFeatures();
    if (result.getModelJson() != null) {
      result.getModelJson().apply("WriteModel",
          WriteTextFile.to(outputs.folder(OutputFolders.MODEL) + "clv.json"));
    }
    if (result.getHoldoutJson() != null) {
      result.getHoldoutJson().apply("WriteHoldoutValidation",
          WriteTextFile.to(outputs.folder(OutputFolders.MODEL) + "holdout-validation.json"));
    }
    if (result.getClusterProfiles() != null) {
      result.getClusterProfiles().apply("WriteClusterProfiles",
          WriteTextFile.to(outputs.folder(OutputFolders.MODEL) + "clusters.json"));
    }
    PCollection<SegmentMembership> memberships = result.getMemberships();
    SummarizeSegments.Result summary = result.getSummary();

    PCollection<String> syncLogs = null;
    if (activation) {
      ActivateSegments.Result activated = Activation.apply(options, segments, limits, outputs,
          identities.getIdentities(), features, result.getKeyedEvents(), memberships);
      deadLetters = deadLetters.and(activated.getDeadLetters());
      syncLogs = activated.getSyncLogs();
    }

    // every part-file folder in one write: a runner pays per step, not per folder
    PCollectionTuple folders = PCollectionTuple
        .of(new TupleTag<>(OutputFolders.IDENTITIES), identities.getIdentities())
        .and(new TupleTag<>(OutputFolders.FEATURES), features)
        .and(new TupleTag<>(OutputFolders.SEGMENTS), memberships)
        .and(new TupleTag<>(OutputFolders.SUMMARY), summary.getSummaries());
    if (summary.getTransitions() != null) {
      folders = folders.and(new TupleTag<>(OutputFolders.STABILITY), summary.getTransitions());
    }
    if (summary.getResponses() != null) {
      folders = folders.and(new TupleTag<>(OutputFolders.RESPONSE), summary.getResponses());
    }
    folders = folders
        .and(new TupleTag<>(OutputFolders.JUNK_IDENTIFIERS), identities.getJunkIdentifiers())
        .and(new TupleTag<>(OutputFolders.MERGES), identities.getChanges())
        .and(new TupleTag<>(OutputFolders.DEAD_LETTER),
            deadLetters.apply("CollectDeadLetters", Flatten.pCollections()));
    folders.apply("WriteOutputs", WriteJsonLinesFolders.under(outputs.root())
        .withNumShards(options.getNumShards()));
    WriteSegmentReport report = WriteSegmentReport.to(outputs.folder(OutputFolders.REPORT));
    if (result.getHoldoutJson() != null) {
      report = report.withHoldoutValidation(result.getHoldoutJson());
    }
    if (syncLogs != null) {
      report = report.withSyncLogs(syncLogs);
    }
    summary.getReport().apply("WriteReport", report);

    if (options.getJdbcUrl() != null && !options.getJdbcUrl().isBlank()) {
      writeToDatabase(options, asOf, limits, outputs, features, memberships);
    }
    return outputs;
  }

  /** The whole flow as the options configure it (identity settings are added by the caller). */
  static SegmentCustomers segmentCustomers(SegmentationPipelineOptions options,
      SegmentDefinitions segments, Instant asOf) {
    SegmentValidation defaults = SegmentValidation.DEFAULTS;
    SegmentCustomers flow = SegmentCustomers.of(segments, computeFeatures(options, asOf))
        .withLifecycle(lifecycle(options))
        .withValidation(new SegmentValidation(options.getMinSegmentSize(),
            defaults.minReachableShare(), defaults.minSmd(), defaults.maxMembershipChurn()))
        .withCustomerGroups(options.getGroups());
    return flow.withValueModels(options.getValueModels() ? valueModels(options, asOf) : null);
  }

  /** The value-model settings of the command line (whether they are on or not). */
  public static PredictCustomerValue valueModels(SegmentationPipelineOptions options,
      Instant asOf) {
    PredictCustomerValue value = PredictCustomerValue.create().withAsOf(asOf)
        .withAnnualDiscountRate(options.getDiscountRate())
        .withMargin(options.getMargin());
    if (options.getSubscriptionPeriodDays() < 1) {
      throw new IllegalArgumentException("--subscriptionPeriodDays must be at least 1, got "
          + options.getSubscriptionPeriodDays());
    }
    value = value.withSubscriptionPeriod(
        Duration.standardDays(options.getSubscriptionPeriodDays()))
        .withPurchaseCovariates(purchaseCovariates(options));
    if (AUTO.equals(options.getPurchaseModel())) {
      if (options.getBacktestWeeks() < 1) {
        throw new IllegalArgumentException("--backtestWeeks must be at least 1, got "
            + options.getBacktestWeeks());
      }
      value = value.withPurchaseModelChosenOnBacktest(
          Duration.standardDays(7L * options.getBacktestWeeks()));
    } else {
      try {
        value = value.withPurchaseModel(PurchaseModel.parse(options.getPurchaseModel()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--purchaseModel: " + e.getMessage() + ", or "
            + AUTO, e);
      }
    }
    return value;
  }

  /** --purchaseCovariates as names. */
  static List<String> purchaseCovariates(SegmentationPipelineOptions options) {
    List<String> names = new ArrayList<>();
    String value = options.getPurchaseCovariates();
    if (value != null) {
      for (String name : value.split(",")) {
        if (!name.isBlank()) {
          names.add(name.trim());
        }
      }
    }
    return names;
  }

  /**
   * Fails when a purchase covariate is neither a covariate column nor a trait the profile
   * sources declare (when they all declare theirs).
   */
  static void checkPurchaseCovariates(SegmentationPipelineOptions options,
      @Nullable Set<String> declaredTraits) {
    for (String name : purchaseCovariates(options)) {
      if (!PurchaseCovariates.COLUMNS.contains(name) && declaredTraits != null
          && !declaredTraits.contains(name)) {
        throw new IllegalArgumentException("--purchaseCovariates: '" + name + "' is neither "
            + "a covariate column (" + String.join(", ", PurchaseCovariates.COLUMNS)
            + ") nor a trait of the profile sources (" + String.join(", ", declaredTraits)
            + ")");
      }
    }
  }

  /** --purchaseModel's value for a model chosen on a backtest. */
  private static final String AUTO = "auto";

  /**
   * The feature settings of the command line, checked before any data is read: for every job
   * that takes these options (this one, the streaming job, a team's own pipeline built on
   * {@link SegmentationPipelineOptions}).
   */
  public static ComputeCustomerFeatures computeFeatures(SegmentationPipelineOptions options,
      Instant asOf) {
    List<String> keyFeatures = new ArrayList<>();
    if (options.getKeyFeatures() != null) {
      for (String feature : options.getKeyFeatures().split(",")) {
        if (!feature.isBlank()) {
          keyFeatures.add(feature.trim());
        }
      }
    }
    double halfLifeDays = options.getEngagementHalfLifeDays();
    if (!(halfLifeDays > 0) || halfLifeDays > 36_500) {
      throw new IllegalArgumentException("--engagementHalfLifeDays must be in (0, 36500], was "
          + halfLifeDays);
    }
    if (options.getCartAbandonmentWindowHours() <= 0) {
      throw new IllegalArgumentException("--cartAbandonmentWindowHours must be positive, was "
          + options.getCartAbandonmentWindowHours());
    }
    if (options.getLifecycleReactivationDays() <= 0) {
      throw new IllegalArgumentException("--lifecycleReactivationDays must be positive, was "
          + options.getLifecycleReactivationDays());
    }
    return ComputeCustomerFeatures.create().withAsOf(asOf)
        .withKeyFeatures(keyFeatures)
        .withEngagementWeights(EngagementWeights.parse(options.getEngagementWeights()))
        .withEngagementHalfLife(Duration.millis(Math.round(halfLifeDays * 86_400_000L)))
        .withCartAbandonmentWindow(
            Duration.standardHours(options.getCartAbandonmentWindowHours()))
        .withReactivationWindow(Duration.standardDays(options.getLifecycleReactivationDays()));
  }

  /** The lifecycle settings of the command line, for every job that takes these options. */
  public static AssignLifecycleStage lifecycle(SegmentationPipelineOptions options) {
    return AssignLifecycleStage.create()
        .withNewDays(options.getLifecycleNewDays())
        .withInactivityDays(options.getLifecycleAtRiskDays(), options.getLifecycleChurnDays())
        .withPAliveThresholds(options.getLifecycleAtRiskPAlive(),
            options.getLifecycleChurnPAlive());
  }

  private static void writeToDatabase(
      SegmentationPipelineOptions options,
      Instant asOf,
      ChangeLimits limits,
      OutputFolders outputs,
      PCollection<CustomerFeatures> features,
      PCollection<SegmentMembership> memberships) {
    Credential password = password(options);
    // A fresh id per launch: rows a run did not write are stale and removed after it.
    String runId = UUID.randomUUID().toString();
    // the rows of earlier runs are deleted only once the run is measured against them
    GuardedDelete guard = GuardedDelete.of(DATABASE_DESTINATION, FEATURES_TABLE,
            MEMBERSHIPS_TABLE)
        .withDataSourceConfiguration(JdbcUpsert.postgresDataSource(options.getJdbcUrl(),
            options.getJdbcUsername(), password))
        .withRunId(runId).withLimits(limits);
    PCollection<ChangeCounts> before = features.getPipeline()
        .apply("CountTableRowsBefore", guard.countBefore());
    PCollection<Void> featuresWritten = features
        .apply("AfterCountingFeatures", Wait.on(before)).setCoder(features.getCoder())
        .apply("UpsertFeatures",
            database(JdbcUpsert.<CustomerFeatures>into(FEATURES_TABLE), options, password)
                .withKeyColumns("customer_id")
                .withRunId(runId).withoutDeletingRowsOfOtherRuns());
    PCollection<Void> membershipsWritten = memberships
        .apply("AfterCountingMemberships", Wait.on(before)).setCoder(memberships.getCoder())
        .apply("UpsertMemberships",
            database(JdbcUpsert.<SegmentMembership>into(MEMBERSHIPS_TABLE), options, password)
                .withKeyColumns("customer_id", "segment")
                .withRunId(runId).withoutDeletingRowsOfOtherRuns());
    GuardedDelete.Result deletes = before
        .apply("AfterUpserts", Wait.on(featuresWritten, membershipsWritten))
        .apply("DeleteRowsOfEarlierRuns", guard.deleteOrRefuse());
    writeRefused(deletes.getRefused(), "WriteRefusedDeletes", outputs, DATABASE_DESTINATION);
    // entered_at / exited_at per customer and segment, from the table this run left behind
    MembershipHistory history = MembershipHistory.of(MEMBERSHIPS_TABLE, MEMBERSHIP_HISTORY_TABLE)
        .withJdbcUrl(options.getJdbcUrl()).withAsOf(asOf);
    if (options.getJdbcUsername() != null) {
      history = history.withUsername(options.getJdbcUsername());
    }
    if (password != null) {
      history = history.withPassword(password);
    }
    deletes.getDone().apply("UpdateMembershipHistory", history);
  }

  /** The rails of the command line, checked at launch. */
  static ChangeLimits changeLimits(SegmentationPipelineOptions options) {
    return ChangeLimits.defaults().withMaxCustomerDrop(options.getMaxCustomerDrop())
        .withMaxExitShare(options.getMaxExitShare())
        .withAllowLargeChanges(options.getAllowLargeChanges());
  }

  /** {@code <output>/refused/<destination>.jsonl}, written only when something was refused. */
  static void writeRefused(PCollection<String> lines, String step, OutputFolders outputs,
      String destination) {
    lines.apply(step, TextIO.<String>writeCustomType().withFormatFunction(line -> line)
        .to(outputs.refused(destination)).withSuffix(".jsonl").withoutSharding()
        .skipIfEmpty());
  }

  /**
   * The database password as a reference resolved where it is used ({@code --jdbcPassword},
   * {@code --jdbcPasswordEnv}, {@code --jdbcPasswordFile}, or else the default variable when it
   * is set); null when there is none.
   */
  static @Nullable Credential password(SegmentationPipelineOptions options) {
    return CredentialOptions.forDatabase(options, "jdbcPassword", "--jdbcUrl",
        options.getJdbcPassword(), options.getJdbcPasswordEnv(), options.getJdbcPasswordFile(),
        options.getJdbcPasswordSecret(), JDBC_PASSWORD_ENV);
  }

  /**
   * The PostgreSQL database at {@code jdbcUrl} with {@code --jdbcUsername} and the password of
   * {@link #password}: a password in the URL is taken out of it (and masked in messages).
   */
  static JdbcIO.DataSourceConfiguration dataSource(String jdbcUrl,
      SegmentationPipelineOptions options) {
    return JdbcUpsert.postgresDataSource(jdbcUrl, options.getJdbcUsername(), password(options));
  }

  static <T> JdbcUpsert<T> database(
      JdbcUpsert<T> upsert, SegmentationPipelineOptions options, @Nullable Credential password) {
    JdbcUpsert<T> configured = upsert.withJdbcUrl(options.getJdbcUrl());
    if (options.getJdbcUsername() != null) {
      configured = configured.withUsername(options.getJdbcUsername());
    }
    if (password != null) {
      configured = configured.withPassword(password);
    }
    return configured;
  }

  private static Instant resolveAsOf(String option) {
    if (option == null || option.isBlank()) {
      LocalDate today = LocalDate.now(ZoneOffset.UTC);
      LOG.warn("No --asOf given: using the end of today, {} (UTC). Pass --asOf to make the run "
          + "reproducible.", today);
      return AsOf.endOfDay(today);
    }
    return AsOf.parse(option, "--asOf");
  }

  /** Reads a small text file through Beam's file systems, so gs:// and s3:// paths work too. */
  public static String readText(String path) {
    try {
      MatchResult.Metadata file = FileSystems.matchSingleFileSpec(path);
      try (InputStream in = Channels.newInputStream(FileSystems.open(file.resourceId()))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("Configuration file " + path + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + path, e);
    }
  }
}
