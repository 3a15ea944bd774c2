package dev.audiencesegmenter.batch;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.features.AsOf;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.segments.InvalidSegmentDefinitionException;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.util.List;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldDescription;
import org.apache.beam.sdk.schemas.transforms.Convert;
import org.apache.beam.sdk.schemas.transforms.SchemaTransform;
import org.apache.beam.sdk.schemas.transforms.TypedSchemaTransformProvider;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * {@link SegmentCustomers} for Beam YAML and the other SDKs (Beam's managed / cross-language
 * convention): configured by a {@link Row}, taking and giving schema'd rows. Found by
 * {@link java.util.ServiceLoader} under its {@link #IDENTIFIER}.
 *
 * <pre>{@code
 * # Beam YAML, with this jar on the expansion service's classpath
 * - type: beam:schematransform:dev.audiencesegmenter:segment_customers:v1
 *   input: {events: ReadEvents}
 *   config:
 *     segments_yaml: |
 *       groups: [{name: lifecycle, segments: [{template: lapsed_customers}]}]
 *     as_of: "2024-06-30"
 * }</pre>
 *
 * <p>Inputs: {@code events} (rows of the {@link CustomerEvent} schema), optionally
 * {@code profiles} ({@link ProfileAttributes}). Outputs: {@code identities}, {@code features},
 * {@code memberships}, {@code summaries} and {@code dead_letters}, as the composite's.
 */
public final class SegmentCustomersSchemaTransformProvider extends
    TypedSchemaTransformProvider<SegmentCustomersSchemaTransformProvider.Configuration> {
  public static final String IDENTIFIER =
      "beam:schematransform:dev.audiencesegmenter:segment_customers:v1";
  public static final String EVENTS = "events";
  public static final String PROFILES = "profiles";
  public static final List<String> OUTPUTS = List.of("identities", "features", "memberships",
      "summaries", "dead_letters");

  /**
   * The settings, as a row: the segment file's text, the run's date, the value models (Beam
   * names the row's fields in snake case: {@code segments_yaml}, {@code as_of}, {@code
   * value_models}).
   */
  @DefaultSchema(AutoValueSchema.class)
  @AutoValue
  public abstract static class Configuration {
    @SchemaFieldDescription("The segment definitions: the text of a segment YAML file.")
    public abstract String getSegmentsYaml();

    @SchemaFieldDescription("The run's now: a date (its end, UTC) like 2024-06-30, or an "
        + "instant like 2024-06-30T12:00:00Z.")
    public abstract String getAsOf();

    @SchemaFieldDescription("Fit the lifetime value models (default true).")
    public abstract @Nullable Boolean getValueModels();

    public static Builder builder() {
      return new AutoValue_SegmentCustomersSchemaTransformProvider_Configuration.Builder();
    }

    /** Builds a configuration. */
    @AutoValue.Builder
    public abstract static class Builder {
      public abstract Builder setSegmentsYaml(String segmentsYaml);

      public abstract Builder setAsOf(String asOf);

      public abstract Builder setValueModels(@Nullable Boolean valueModels);

      public abstract Configuration build();
    }
  }

  @Override
  public String identifier() {
    return IDENTIFIER;
  }

  @Override
  public String description() {
    return "Resolves identities, computes features and value, assigns and summarizes segments: "
        + "the whole batch flow of Audience Segmenter on rows of customer events.";
  }

  @Override
  public List<String> inputCollectionNames() {
    return List.of(EVENTS, PROFILES);
  }

  @Override
  public List<String> outputCollectionNames() {
    return OUTPUTS;
  }

  @Override
  protected SchemaTransform from(Configuration configuration) {
    if (configuration.getSegmentsYaml() == null || configuration.getSegmentsYaml().isBlank()) {
      throw new IllegalArgumentException(IDENTIFIER + ": segments_yaml must hold the text of a "
          + "segment file, got nothing");
    }
    SegmentDefinitions definitions;
    try {
      definitions = SegmentDefinitions.parse(configuration.getSegmentsYaml(), "segments_yaml");
    } catch (InvalidSegmentDefinitionException e) {
      throw new IllegalArgumentException(IDENTIFIER + ": " + e.getMessage(), e);
    }
    Instant asOf = AsOf.parse(configuration.getAsOf(), "as_of");
    SegmentCustomers flow = SegmentCustomers.of(definitions,
        ComputeCustomerFeatures.create().withAsOf(asOf));
    if (Boolean.FALSE.equals(configuration.getValueModels())) {
      flow = flow.withValueModels(null);
    }
    return new Transform(flow, configuration);
  }

  private static final class Transform extends SchemaTransform {
    private final SegmentCustomers flow;
    private final Configuration configuration;

    Transform(SegmentCustomers flow, Configuration configuration) {
      this.flow = flow;
      this.configuration = configuration;
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("asOf", configuration.getAsOf()))
          .add(DisplayData.item("valueModels",
              !Boolean.FALSE.equals(configuration.getValueModels())))
          .include("segmentCustomers", flow);
    }

    @Override
    public PCollectionRowTuple expand(PCollectionRowTuple input) {
      if (!input.has(EVENTS)) {
        throw new IllegalArgumentException(IDENTIFIER + " needs the input '" + EVENTS
            + "' (rows of customer events), got " + input.getAll().keySet());
      }
      PCollection<CustomerEvent> events = input.get(EVENTS)
          .apply("ToEvents", Convert.fromRows(CustomerEvent.class));
      PCollection<ProfileAttributes> profiles = input.has(PROFILES)
          ? input.get(PROFILES).apply("ToProfiles", Convert.fromRows(ProfileAttributes.class))
          : null;
      SegmentCustomers.Result result =
          ResolveIdentities.inputs(events, profiles).apply("SegmentCustomers", flow);
      return PCollectionRowTuple
          .of("identities", result.getIdentities().getIdentities()
              .apply("IdentityRows", Convert.toRows()))
          .and("features", result.getFeatures().apply("FeatureRows", Convert.toRows()))
          .and("memberships", result.getMemberships()
              .apply("MembershipRows", Convert.toRows()))
          .and("summaries", result.getSummary().getSummaries()
              .apply("SummaryRows", Convert.toRows()))
          .and("dead_letters", result.getDeadLetters().apply("DeadLetterRows",
              Convert.toRows()));
    }
  }
}
