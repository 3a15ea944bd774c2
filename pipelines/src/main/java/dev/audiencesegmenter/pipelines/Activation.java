package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.io.activation.ActivateSegments;
import dev.audiencesegmenter.io.activation.Routing;
import dev.audiencesegmenter.io.activation.SyncStateStore;
import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.kit.KitConnector;
import dev.audiencesegmenter.io.klaviyo.KlaviyoConnector;
import dev.audiencesegmenter.io.rails.ChangeLimits;
import dev.audiencesegmenter.io.rails.GuardExits;
import dev.audiencesegmenter.io.mailchimp.MailchimpConnector;
import dev.audiencesegmenter.io.salesforce.SalesforceConnector;
import dev.audiencesegmenter.io.sink.BuildContactUpdates;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.zoho.ZohoCrmConnector;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.Destination;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The activation part of {@link SegmentationPipeline} ({@code --sinks}): builds one
 * {@link ContactUpdate} per customer, and for each platform keeps only what changed since the
 * last sync ({@link DeltaSync} against the platform's state in {@code --syncState}), holds
 * back exits beyond the rails ({@link GuardExits}), sends it, and commits the new state after
 * the send (never after a dry run). Sink dead letters join the run's dead-letter/.
 *
 * <p>Everything is checked while the pipeline is built: unknown platforms, a bad
 * {@code --sinkMapping}, a missing credential, list id or instance URL fail the launch.
 */
final class Activation {
  static final String DRY_RUN_FOLDER = "activation-dry-run";
  /** Only named in the message that asks for --syncState: there is no default location. */
  static final String SYNC_STATE_FOLDER = "sync-state";

  /** Environment variables read on local runs when no credential option is given. */
  static final String HUBSPOT_TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN";
  static final String MAILCHIMP_KEY_ENV = "MAILCHIMP_API_KEY";
  static final String KLAVIYO_KEY_ENV = "KLAVIYO_API_KEY";
  static final String BRAZE_KEY_ENV = "BRAZE_API_KEY";
  static final String SALESFORCE_TOKEN_ENV = "SALESFORCE_ACCESS_TOKEN";
  static final String ZOHO_TOKEN_ENV = "ZOHO_ACCESS_TOKEN";
  static final String KIT_TOKEN_ENV = "KIT_ACCESS_TOKEN";
  /** The last name of a new Zoho CRM contact whose mapped fields give none. */
  static final String ZOHO_LAST_NAME_FALLBACK = "(unknown)";

  private Activation() {}

  /**
   * The platforms this run syncs: those of {@code --sinks}, then those the segment file routes
   * segments to.
   */
  static List<String> sinks(@Nullable String option, SegmentDefinitions segments) {
    Set<String> sinks = new LinkedHashSet<>(sinks(option));
    segments.getDestinations().values().forEach(list -> list.forEach(
        destination -> sinks.add(destination.platform())));
    return new ArrayList<>(sinks);
  }

  /**
   * What {@code platform} receives: with destinations in the segment file, the segments routed
   * there (add-only where the file says so, everyone when it says so); else every segment.
   */
  static Routing routing(String platform, SegmentDefinitions segments, SinkMapping mapping) {
    Routing routing = routing(platform, segments);
    String receives = mapping.text(platform, "receives"); // the command line's word wins
    return receives == null ? routing : routing.withEveryone(receives.equals("everyone"));
  }

  private static Routing routing(String platform, SegmentDefinitions segments) {
    Set<String> routed = new java.util.TreeSet<>();
    Set<String> addOnly = new java.util.TreeSet<>();
    boolean everyone = false;
    for (Map.Entry<String, List<Destination>> entry : segments.getDestinations().entrySet()) {
      for (Destination destination : entry.getValue()) {
        if (destination.platform().equals(platform)) {
          routed.add(entry.getKey());
          if (destination.addOnly()) {
            addOnly.add(entry.getKey());
          }
          everyone = destination.everyone();
        }
      }
    }
    return routed.isEmpty() ? Routing.all()
        : Routing.all().withSegments(routed).withAddOnlySegments(addOnly).withEveryone(everyone);
  }

  /** The platforms of {@code --sinks}, checked, in the given order without repeats. */
  static List<String> sinks(@Nullable String option) {
    if (option == null || option.isBlank()) {
      return List.of();
    }
    Set<String> sinks = new LinkedHashSet<>();
    for (String part : option.split(",")) {
      String sink = part.trim().toLowerCase(java.util.Locale.ROOT);
      if (sink.isEmpty()) {
        continue;
      }
      if (!SinkMapping.PLATFORMS.contains(sink)) {
        throw new IllegalArgumentException("--sinks: unknown platform '" + part.trim()
            + "'; known: " + String.join(", ", SinkMapping.PLATFORMS));
      }
      sinks.add(sink);
    }
    return new ArrayList<>(sinks);
  }

  /**
   * Adds activation to the pipeline, with its sync log in {@code <output>/sync-log/}; returns
   * the sinks' dead letters and sync logs.
   */
  static ActivateSegments.Result apply(SegmentationPipelineOptions options,
      SegmentDefinitions segments, ChangeLimits limits, OutputFolders outputs,
      PCollection<CustomerIdentity> identities, PCollection<CustomerFeatures> features,
      PCollection<KV<String, CustomerEvent>> events,
      PCollection<SegmentMembership> memberships) {
    List<String> sinks = sinks(options.getSinks(), segments);
    SinkMapping mapping = mapping(options, segments).withDestinations(segments.getDestinations());
    List<SendContactUpdates> configured = new ArrayList<>();
    for (String sink : sinks) {
      configured.add(configure(sink, options, mapping, outputs)); // all checked before wiring
    }
    ActivateSegments activate = ActivateSegments.create()
        .withFeatureColumns(mapping.featureColumns(sinks)).withBuckets(options.getGroups())
        .withLimits(limits).withFullResync(options.getFullResync());
    for (int i = 0; i < sinks.size(); i++) {
      SendContactUpdates sink = configured.get(i);
      activate = activate.to(sink, stateStore(options, sink.getConnector().vendor()),
          routing(sinks.get(i), segments, mapping));
    }
    ActivateSegments.Result activated = BuildContactUpdates
        .inputs(identities, features, events, memberships)
        .apply("Activate", activate);
    for (String vendor : activated.getVendors()) {
      SegmentationPipeline.writeRefused(activated.getRefused(vendor),
          "Activate " + vendor + "/WriteRefusedExits", outputs, vendor);
    }
    activated.getSyncLogs().apply("WriteSyncLog", TextIO.<String>writeCustomType()
        .withFormatFunction(line -> line).to(outputs.folder(OutputFolders.SYNC_LOG)
            + "destinations").withSuffix(".jsonl").withoutSharding());
    return activated;
  }

  /** Where {@code vendor}'s state lives: its table in the database, or its folder. */
  private static SyncStateStore stateStore(SegmentationPipelineOptions options, String vendor) {
    JdbcIO.DataSourceConfiguration database = stateDatabase(options);
    return database != null ? SyncStateStore.database(database, stateTable(vendor))
        : SyncStateStore.folder(stateFolder(options) + vendor + "/");
  }

  private static SinkMapping mapping(SegmentationPipelineOptions options,
      SegmentDefinitions segments) {
    if (options.getSinkMapping() == null || options.getSinkMapping().isBlank()) {
      return SinkMapping.empty();
    }
    Set<String> segmentNames = new HashSet<>();
    segments.getSegments().forEach(segment -> segmentNames.add(segment.name()));
    return SinkMapping.parse(SegmentationPipeline.readText(options.getSinkMapping()),
        options.getSinkMapping(), new HashSet<>(BuildContactUpdates.featureSchema()
            .getFieldNames()), segmentNames);
  }

  /** The sync state table of a platform in the {@code --syncState} database. */
  static String stateTable(String sink) {
    return "sync_state_" + sink;
  }

  /**
   * The sync state location: {@code --syncState}, or one of its older spellings
   * {@code --syncStateDir} and {@code --syncStateJdbcUrl}; null when none is given.
   */
  static @Nullable String syncState(SegmentationPipelineOptions options) {
    Map<String, String> given = new LinkedHashMap<>();
    given.put("--syncState", options.getSyncState());
    given.put("--syncStateDir", options.getSyncStateDir());
    given.put("--syncStateJdbcUrl", options.getSyncStateJdbcUrl());
    given.values().removeIf(value -> value == null || value.isBlank());
    if (given.size() > 1) {
      throw new IllegalArgumentException("Give the sync state once: --syncState, --syncStateDir "
          + "or --syncStateJdbcUrl (got " + String.join(" and ", given.keySet()) + ")");
    }
    return given.isEmpty() ? null : given.values().iterator().next();
  }

  /**
   * Fails the launch of a run with sinks but no sync state. There is no default: the state
   * used to be kept under the output folder, which a new folder per run (the Dataflow example)
   * leaves empty every time, so no customer was ever removed from a platform.
   */
  static void requireSyncState(SegmentationPipelineOptions options, OutputFolders outputs) {
    if (syncState(options) == null) {
      throw new IllegalArgumentException("--sinks needs --syncState: a folder (e.g. "
          + "gs://bucket/sync-state/) or a jdbc:postgresql: URL that every run of this job "
          + "uses. The sync state is how a run knows what each platform already holds, and so "
          + "which customers to remove from it; a state kept under a new --output folder per "
          + "run would start empty every time, and nobody would ever be removed. To keep the "
          + "state under a fixed output folder, pass --syncState="
          + outputs.folder(SYNC_STATE_FOLDER));
    }
  }

  /** The sync state folder (ending in '/'), or null when the state is in a database. */
  static @Nullable String stateFolder(SegmentationPipelineOptions options) {
    String location = syncState(options);
    if (location == null || isDatabase(location)) {
      return null;
    }
    return location.endsWith("/") ? location : location + "/";
  }

  private static boolean isDatabase(String location) {
    return location.startsWith("jdbc:");
  }

  static JdbcIO.@Nullable DataSourceConfiguration stateDatabase(
      SegmentationPipelineOptions options) {
    String url = syncState(options);
    if (url == null || !isDatabase(url)) {
      return null;
    }
    return SegmentationPipeline.dataSource(url, options);
  }

  /**
   * {@code braze.sms_subscription_group}: the SMS group where withdrawals go; {@code none} for
   * a workspace that sends no SMS (no SMS withdrawals); unset, SMS withdrawals are due but
   * dead-lettered until it is set.
   */
  static BrazeConnector brazeSms(BrazeConnector braze, SinkMapping mapping) {
    String group = mapping.text("braze", "sms_subscription_group");
    if (group == null) {
      return braze;
    }
    return group.equals("none") ? braze.withoutSmsWithdrawals()
        : braze.withSmsSubscriptionGroup(group);
  }

  private static SendContactUpdates configure(String sink, SegmentationPipelineOptions options,
      SinkMapping mapping, OutputFolders outputs) {
    boolean dryRun = options.getDryRun();
    SendContactUpdates send = switch (sink) {
      case "hubspot" -> {
        HubSpotConnector hubspot = HubSpotConnector.create(
            CredentialOptions.forSink(options, dryRun, sink, "hubspotAccessToken",
                options.getHubspotAccessToken(), options.getHubspotAccessTokenEnv(),
                options.getHubspotAccessTokenFile(),
                options.getHubspotAccessTokenSecret(), HUBSPOT_TOKEN_ENV))
            .withBaseUrl(options.getHubspotBaseUrl())
            .withPropertyMapping(mapping.map(sink, "properties"))
            .withSegmentLists(mapping.map(sink, "segment_lists"));
        if (mapping.text(sink, "segments_property") != null) {
          hubspot = hubspot.withSegmentsProperty(mapping.text(sink, "segments_property"));
        }
        yield hubspot.sink();
      }
      case "mailchimp" -> {
        String listId = options.getMailchimpListId() != null ? options.getMailchimpListId()
            : mapping.text(sink, "list_id");
        if (listId == null) {
          throw new IllegalArgumentException("--sinks=mailchimp needs --mailchimpListId or "
              + "mailchimp.list_id in " + mapping.source());
        }
        MailchimpConnector mailchimp = MailchimpConnector.create(
            CredentialOptions.forSink(options, dryRun, sink, "mailchimpApiKey",
                options.getMailchimpApiKey(), options.getMailchimpApiKeyEnv(),
                options.getMailchimpApiKeyFile(),
                options.getMailchimpApiKeySecret(), MAILCHIMP_KEY_ENV),
                listId)
            .withMergeFields(mapping.map(sink, "merge_fields"))
            .withSegmentTags(mapping.map(sink, "segment_tags"));
        if (options.getMailchimpBaseUrl() != null) {
          mailchimp = mailchimp.withBaseUrl(options.getMailchimpBaseUrl());
        }
        yield mailchimp.sink();
      }
      case "klaviyo" -> {
        KlaviyoConnector klaviyo = KlaviyoConnector.create(
            CredentialOptions.forSink(options, dryRun, sink, "klaviyoApiKey",
                options.getKlaviyoApiKey(), options.getKlaviyoApiKeyEnv(),
                options.getKlaviyoApiKeyFile(),
                options.getKlaviyoApiKeySecret(), KLAVIYO_KEY_ENV))
            .withBaseUrl(options.getKlaviyoBaseUrl())
            .withPropertyMapping(mapping.map(sink, "properties"))
            .withSegmentLists(mapping.map(sink, "segment_lists"));
        if (mapping.text(sink, "segments_property") != null) {
          klaviyo = klaviyo.withSegmentsProperty(mapping.text(sink, "segments_property"));
        }
        if (mapping.text(sink, "list_id") != null) {
          klaviyo = klaviyo.withListId(mapping.text(sink, "list_id"));
        }
        if (mapping.text(sink, "revision") != null) {
          klaviyo = klaviyo.withRevision(mapping.text(sink, "revision"));
        }
        yield klaviyo.sink();
      }
      case "braze" -> {
        BrazeConnector braze = BrazeConnector.create(
            CredentialOptions.forSink(options, dryRun, sink, "brazeApiKey",
                options.getBrazeApiKey(), options.getBrazeApiKeyEnv(),
                options.getBrazeApiKeyFile(),
                options.getBrazeApiKeySecret(), BRAZE_KEY_ENV))
            .withBaseUrl(options.getBrazeBaseUrl())
            .withAttributeMapping(mapping.map(sink, "attributes"));
        if (!mapping.map(sink, "segment_attributes").isEmpty()) {
          braze = braze.withSegmentAttributes(mapping.map(sink, "segment_attributes"));
        }
        yield brazeSms(braze, mapping).sink();
      }
      case "salesforce" -> {
        if (options.getSalesforceBaseUrl() == null) {
          throw new IllegalArgumentException("--sinks=salesforce needs --salesforceBaseUrl "
              + "(the org's instance URL, e.g. https://mycompany.my.salesforce.com)");
        }
        String sObject = mapping.text(sink, "sobject") != null
            ? mapping.text(sink, "sobject") : "Contact";
        String externalId = mapping.text(sink, "external_id_field") != null
            ? mapping.text(sink, "external_id_field") : "Customer_Id__c";
        SalesforceConnector salesforce = SalesforceConnector.create(
            CredentialOptions.forSink(options, dryRun, sink, "salesforceAccessToken",
                options.getSalesforceAccessToken(), options.getSalesforceAccessTokenEnv(),
                options.getSalesforceAccessTokenFile(),
                options.getSalesforceAccessTokenSecret(), SALESFORCE_TOKEN_ENV),
            options.getSalesforceBaseUrl(), sObject, externalId)
            .withFieldMapping(mapping.map(sink, "fields"))
            .withBulk(SalesforceConnector.BulkMode.parse(options.getSalesforceBulk()),
                options.getSalesforceBulkThreshold());
        if (mapping.text(sink, "email_field") != null) {
          salesforce = salesforce.withEmailField(mapping.text(sink, "email_field"));
        }
        if (mapping.text(sink, "segments_field") != null) {
          salesforce = salesforce.withSegmentsField(mapping.text(sink, "segments_field"));
        }
        if (mapping.text(sink, "api_version") != null) {
          salesforce = salesforce.withApiVersion(mapping.text(sink, "api_version"));
        }
        yield salesforce.sink();
      }
      case "zoho" -> {
        ZohoCrmConnector zoho = ZohoCrmConnector.create(
            CredentialOptions.forSink(options, dryRun, sink, "zohoAccessToken",
                options.getZohoAccessToken(), options.getZohoAccessTokenEnv(),
                options.getZohoAccessTokenFile(),
                options.getZohoAccessTokenSecret(), ZOHO_TOKEN_ENV))
            .withBaseUrl(options.getZohoBaseUrl())
            .withFieldMapping(mapping.map(sink, "fields"))
            .withSegmentTags(mapping.map(sink, "segment_tags"));
        if (mapping.text(sink, "module") != null) {
          zoho = zoho.withModule(mapping.text(sink, "module"));
        }
        if (mapping.text(sink, "external_id_field") != null) {
          zoho = zoho.withExternalIdField(mapping.text(sink, "external_id_field"));
        }
        if (mapping.text(sink, "email_field") != null) {
          zoho = zoho.withEmailField(mapping.text(sink, "email_field"));
        }
        if (mapping.text(sink, "segments_field") != null) {
          zoho = zoho.withSegmentsField(mapping.text(sink, "segments_field"));
        }
        if (mapping.text(sink, "api_version") != null) {
          zoho = zoho.withApiVersion(mapping.text(sink, "api_version"));
        }
        // Zoho refuses a new contact without a last name, which our data rarely has
        String lastName = mapping.text(sink, "last_name_fallback") != null
            ? mapping.text(sink, "last_name_fallback") : ZOHO_LAST_NAME_FALLBACK;
        if (!lastName.equals("none")) {
          zoho = zoho.withLastNameFallback(lastName);
        }
        yield zoho.sink();
      }
      case "kit" -> KitConnector.create(
              CredentialOptions.forSink(options, dryRun, sink, "kitAccessToken",
                  options.getKitAccessToken(), options.getKitAccessTokenEnv(),
                  options.getKitAccessTokenFile(),
                  options.getKitAccessTokenSecret(), KIT_TOKEN_ENV))
          .withBaseUrl(options.getKitBaseUrl())
          .withCustomFields(mapping.map(sink, "custom_fields"))
          .withSegmentTags(mapping.map(sink, "segment_tags")).sink();
      default -> throw new IllegalArgumentException("unknown platform " + sink);
    };
    Number rate = mapping.number(sink, "requests_per_second");
    if (rate != null) {
      send = send.withMaxRequestsPerSecond(rate.doubleValue());
    }
    Number concurrent = mapping.number(sink, "concurrent_requests");
    if (concurrent != null) {
      send = send.withMaxConcurrentRequests(concurrent.intValue());
    }
    Number shards = mapping.number(sink, "shards");
    if (shards != null) {
      send = send.withNumShards(shards.intValue());
    }
    Number retries = mapping.number(sink, "max_retries");
    if (retries != null) {
      send = send.withMaxRetries(retries.intValue());
    }
    if (dryRun) {
      send = send.withDryRunDirectory(outputs.folder(DRY_RUN_FOLDER));
    }
    return send;
  }
}
