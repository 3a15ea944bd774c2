package dev.audiencesegmenter.io.activation;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.kit.KitConnector;
import dev.audiencesegmenter.io.klaviyo.KlaviyoConnector;
import dev.audiencesegmenter.io.mailchimp.MailchimpConnector;
import dev.audiencesegmenter.io.rails.ChangeLimits;
import dev.audiencesegmenter.io.salesforce.SalesforceConnector;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.BuildContactUpdates;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.zoho.ZohoCrmConnector;
import dev.audiencesegmenter.segments.Destination;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldDescription;
import org.apache.beam.sdk.schemas.transforms.Convert;
import org.apache.beam.sdk.schemas.transforms.SchemaTransform;
import org.apache.beam.sdk.schemas.transforms.TypedSchemaTransformProvider;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@link ActivateSegments} for Beam YAML and the other SDKs: the rows of the
 * segment_customers schema transform ({@code identities}, {@code features},
 * {@code memberships}) synced to one platform, with its state in a folder; gives the
 * platform's {@code dead_letters} and the exits the limits held back ({@code refused}, one
 * {@code line} each). Consent comes from the features' {@code consent_*} columns.
 *
 * <pre>{@code
 * - type: beam:schematransform:dev.audiencesegmenter:activate_segments:v1
 *   input: {identities: Segment.identities, features: Segment.features,
 *           memberships: Segment.memberships}
 *   config: {platform: hubspot, credential_env: HUBSPOT_TOKEN,
 *            sync_state: "gs://bucket/sync-state/hubspot/",
 *            field_mapping: {monetary_total: lifetime_value, frequency: orders}}
 * }</pre>
 */
public final class ActivateSegmentsSchemaTransformProvider extends
    TypedSchemaTransformProvider<ActivateSegmentsSchemaTransformProvider.Configuration> {
  public static final String IDENTIFIER =
      "beam:schematransform:dev.audiencesegmenter:activate_segments:v1";
  static final List<String> PLATFORMS = Destination.PLATFORMS;

  /** The settings, as a row. */
  @DefaultSchema(AutoValueSchema.class)
  @AutoValue
  public abstract static class Configuration {
    @SchemaFieldDescription("hubspot, mailchimp, klaviyo, braze, salesforce, zoho or kit.")
    public abstract String getPlatform();

    @SchemaFieldDescription("Name of the environment variable holding the platform's token or "
        + "key, read on the workers (give one of the three credential settings).")
    public abstract @Nullable String getCredentialEnv();

    @SchemaFieldDescription("File holding the token or key, read on the workers.")
    public abstract @Nullable String getCredentialFile();

    @SchemaFieldDescription("Secret Manager secret version holding the token or key.")
    public abstract @Nullable String getCredentialSecret();

    @SchemaFieldDescription("The folder of this platform's sync state; the same every run.")
    public abstract String getSyncState();

    @SchemaFieldDescription("The platform's API base URL (Salesforce: the org's instance URL, "
        + "required); default the platform's public one.")
    public abstract @Nullable String getBaseUrl();

    @SchemaFieldDescription("Mailchimp: the audience (list) id; required there.")
    public abstract @Nullable String getListId();

    @SchemaFieldDescription("Feature columns to send, each to the platform field named "
        + "(HubSpot and Klaviyo properties, Mailchimp merge fields, Braze attributes, "
        + "Salesforce fields).")
    public abstract @Nullable Map<String, String> getFieldMapping();

    @SchemaFieldDescription("Share of synced customers a run may lose (default 0.2).")
    public abstract @Nullable Double getMaxCustomerDrop();

    @SchemaFieldDescription("Share of memberships a run may end (default 0.2).")
    public abstract @Nullable Double getMaxExitShare();

    @SchemaFieldDescription("Send exits and removals beyond the limits (default false).")
    public abstract @Nullable Boolean getAllowLargeChanges();

    @SchemaFieldDescription("Write the requests here instead of sending them; the state is "
        + "left alone.")
    public abstract @Nullable String getDryRunDirectory();

    public static Builder builder() {
      return new AutoValue_ActivateSegmentsSchemaTransformProvider_Configuration.Builder();
    }

    /** Builds a configuration. */
    @AutoValue.Builder
    public abstract static class Builder {
      public abstract Builder setPlatform(String platform);

      public abstract Builder setCredentialEnv(@Nullable String name);

      public abstract Builder setCredentialFile(@Nullable String path);

      public abstract Builder setCredentialSecret(@Nullable String versionName);

      public abstract Builder setSyncState(String folder);

      public abstract Builder setBaseUrl(@Nullable String url);

      public abstract Builder setListId(@Nullable String listId);

      public abstract Builder setFieldMapping(@Nullable Map<String, String> mapping);

      public abstract Builder setMaxCustomerDrop(@Nullable Double share);

      public abstract Builder setMaxExitShare(@Nullable Double share);

      public abstract Builder setAllowLargeChanges(@Nullable Boolean allow);

      public abstract Builder setDryRunDirectory(@Nullable String directory);

      public abstract Configuration build();
    }
  }

  @Override
  public String identifier() {
    return IDENTIFIER;
  }

  @Override
  public String description() {
    return "Syncs customers and their segments to a CRM or email platform, sending only what "
        + "changed since the last run; dead letters say what the platform refused.";
  }

  @Override
  public List<String> inputCollectionNames() {
    return List.of("identities", "features", "memberships");
  }

  @Override
  public List<String> outputCollectionNames() {
    return List.of("dead_letters", "refused");
  }

  @Override
  protected SchemaTransform from(Configuration configuration) {
    String platform = configuration.getPlatform() == null ? ""
        : configuration.getPlatform().strip().toLowerCase(Locale.ROOT);
    if (!PLATFORMS.contains(platform)) {
      throw new IllegalArgumentException(identifier() + ": platform must be one of "
          + String.join(", ", PLATFORMS) + ", got '" + configuration.getPlatform() + "'");
    }
    SendContactUpdates sink = sink(platform, credential(configuration), configuration);
    if (configuration.getDryRunDirectory() != null) {
      sink = sink.withDryRunDirectory(configuration.getDryRunDirectory());
    }
    ChangeLimits limits = ChangeLimits.defaults();
    if (configuration.getMaxCustomerDrop() != null) {
      limits = limits.withMaxCustomerDrop(configuration.getMaxCustomerDrop());
    }
    if (configuration.getMaxExitShare() != null) {
      limits = limits.withMaxExitShare(configuration.getMaxExitShare());
    }
    if (configuration.getAllowLargeChanges() != null) {
      limits = limits.withAllowLargeChanges(configuration.getAllowLargeChanges());
    }
    ActivateSegments activate = ActivateSegments.create()
        .withFeatureColumns(List.copyOf(fields(configuration).keySet()))
        .withLimits(limits).to(sink, SyncStateStore.folder(configuration.getSyncState()));
    return new Transform(activate, platform);
  }

  private Credential credential(Configuration configuration) {
    String env = configuration.getCredentialEnv();
    String file = configuration.getCredentialFile();
    String secret = configuration.getCredentialSecret();
    long given = Stream.of(env, file, secret).filter(s -> s != null && !s.isBlank()).count();
    if (given != 1) {
      throw new IllegalArgumentException(identifier() + ": give one of credential_env, "
          + "credential_file, credential_secret (got " + given + ")");
    }
    if (env != null && !env.isBlank()) {
      return Credential.fromEnvironment(env);
    }
    return file != null && !file.isBlank() ? Credential.fromFile(file)
        : Credential.fromSecretManager(secret);
  }

  private static Map<String, String> fields(Configuration configuration) {
    return configuration.getFieldMapping() == null ? Map.of() : configuration.getFieldMapping();
  }

  private SendContactUpdates sink(String platform, Credential credential,
      Configuration configuration) {
    String baseUrl = configuration.getBaseUrl();
    Map<String, String> fields = fields(configuration);
    switch (platform) {
      case "hubspot": {
        HubSpotConnector hubspot = HubSpotConnector.create(credential)
            .withPropertyMapping(fields);
        return (baseUrl == null ? hubspot : hubspot.withBaseUrl(baseUrl)).sink();
      }
      case "mailchimp": {
        if (configuration.getListId() == null || configuration.getListId().isBlank()) {
          throw new IllegalArgumentException(identifier() + ": mailchimp needs list_id");
        }
        MailchimpConnector mailchimp = MailchimpConnector.create(credential,
            configuration.getListId()).withMergeFields(fields);
        return (baseUrl == null ? mailchimp : mailchimp.withBaseUrl(baseUrl)).sink();
      }
      case "klaviyo": {
        KlaviyoConnector klaviyo = KlaviyoConnector.create(credential)
            .withPropertyMapping(fields);
        return (baseUrl == null ? klaviyo : klaviyo.withBaseUrl(baseUrl)).sink();
      }
      case "braze": {
        BrazeConnector braze = BrazeConnector.create(credential).withAttributeMapping(fields);
        return (baseUrl == null ? braze : braze.withBaseUrl(baseUrl)).sink();
      }
      case "zoho": {
        ZohoCrmConnector zoho = ZohoCrmConnector.create(credential).withFieldMapping(fields);
        return (baseUrl == null ? zoho : zoho.withBaseUrl(baseUrl)).sink();
      }
      case "kit": {
        KitConnector kit = KitConnector.create(credential).withCustomFields(fields);
        return (baseUrl == null ? kit : kit.withBaseUrl(baseUrl)).sink();
      }
      default: {
        if (baseUrl == null) {
          throw new IllegalArgumentException(identifier() + ": salesforce needs base_url, the "
              + "org's instance URL");
        }
        return SalesforceConnector.create(credential, baseUrl, "Contact", "Customer_Id__c")
            .withFieldMapping(fields).sink();
      }
    }
  }

  private static final class Transform extends SchemaTransform {
    private static final Schema LINE = Schema.builder().addStringField("line").build();
    private final ActivateSegments activate;
    private final String platform;

    Transform(ActivateSegments activate, String platform) {
      this.activate = activate;
      this.platform = platform;
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.include("activate", activate);
    }

    @Override
    public PCollectionRowTuple expand(PCollectionRowTuple input) {
      PCollection<CustomerIdentity> identities = input.get("identities")
          .apply("Identities", Convert.fromRows(CustomerIdentity.class));
      PCollection<CustomerFeatures> features = input.get("features")
          .apply("Features", Convert.fromRows(CustomerFeatures.class));
      PCollection<SegmentMembership> memberships = input.get("memberships")
          .apply("Memberships", Convert.fromRows(SegmentMembership.class));
      PCollection<KV<String, CustomerEvent>> noEvents;
      try {
        noEvents = input.getPipeline().apply("NoEvents", Create.empty(KvCoder.of(
            StringUtf8Coder.of(), input.getPipeline().getSchemaRegistry()
                .getSchemaCoder(TypeDescriptor.of(CustomerEvent.class)))));
      } catch (NoSuchSchemaException e) {
        throw new IllegalStateException("CustomerEvent has no schema", e);
      }
      ActivateSegments.Result result = BuildContactUpdates
          .inputs(identities, features, noEvents, memberships)
          .apply("Activate", activate);
      PCollection<Row> refused = result.getRefused(platform)
          .apply("RefusedRows", MapElements.into(TypeDescriptors.rows())
              .via(line -> Row.withSchema(LINE).addValue(line).build()))
          .setRowSchema(LINE);
      return PCollectionRowTuple
          .of("dead_letters", result.getDeadLetters().apply("DeadLetterRows",
              Convert.toRows()))
          .and("refused", refused);
    }
  }
}
