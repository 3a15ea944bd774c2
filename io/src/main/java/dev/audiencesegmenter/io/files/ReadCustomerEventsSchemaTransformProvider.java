package dev.audiencesegmenter.io.files;

import com.google.auto.value.AutoValue;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldDescription;
import org.apache.beam.sdk.schemas.transforms.Convert;
import org.apache.beam.sdk.schemas.transforms.SchemaTransform;
import org.apache.beam.sdk.schemas.transforms.TypedSchemaTransformProvider;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@link ReadCustomerEvents} for Beam YAML and the other SDKs: event files to rows of the
 * {@code CustomerEvent} schema ({@code events}) and the rejected lines ({@code dead_letters}),
 * ready for the segment_customers schema transform. Found by {@link java.util.ServiceLoader}
 * under its {@link #IDENTIFIER}.
 *
 * <pre>{@code
 * - type: beam:schematransform:dev.audiencesegmenter:read_customer_events:v1
 *   name: ReadEvents
 *   config: {file_pattern: "gs://bucket/events/*.jsonl.gz"}
 * }</pre>
 */
public final class ReadCustomerEventsSchemaTransformProvider extends
    TypedSchemaTransformProvider<ReadCustomerEventsSchemaTransformProvider.Configuration> {
  public static final String IDENTIFIER =
      "beam:schematransform:dev.audiencesegmenter:read_customer_events:v1";

  /** The settings (Beam names the row's fields {@code file_pattern} and {@code format}). */
  @DefaultSchema(AutoValueSchema.class)
  @AutoValue
  public abstract static class Configuration {
    @SchemaFieldDescription("A file pattern (glob) of JSON Lines or CSV files, .gz allowed.")
    public abstract String getFilePattern();

    @SchemaFieldDescription("auto (by file name, the default), jsonl or csv.")
    public abstract @Nullable String getFormat();

    public static Builder builder() {
      return new AutoValue_ReadCustomerEventsSchemaTransformProvider_Configuration.Builder();
    }

    /** Builds a configuration. */
    @AutoValue.Builder
    public abstract static class Builder {
      public abstract Builder setFilePattern(String filePattern);

      public abstract Builder setFormat(@Nullable String format);

      public abstract Configuration build();
    }
  }

  @Override
  public String identifier() {
    return IDENTIFIER;
  }

  @Override
  public String description() {
    return "Reads customer events from JSON Lines or CSV files into rows; rejected lines are "
        + "dead letters with their reason.";
  }

  @Override
  public List<String> inputCollectionNames() {
    return List.of();
  }

  @Override
  public List<String> outputCollectionNames() {
    return List.of("events", "dead_letters");
  }

  @Override
  protected SchemaTransform from(Configuration configuration) {
    String pattern = configuration.getFilePattern();
    if (pattern == null || pattern.isBlank()) {
      throw new IllegalArgumentException(IDENTIFIER + ": file_pattern must name the event "
          + "files, e.g. 'data/events/*.jsonl', got nothing");
    }
    FileFormat format;
    String text = configuration.getFormat() == null ? "auto" : configuration.getFormat();
    try {
      format = FileFormat.valueOf(text.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(IDENTIFIER + ": format must be auto, jsonl or csv, got '"
          + text + "'", e);
    }
    return new Transform(ReadCustomerEvents.from(pattern).withFormat(format));
  }

  private static final class Transform extends SchemaTransform {
    private final ReadCustomerEvents read;

    Transform(ReadCustomerEvents read) {
      this.read = read;
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.include("read", read);
    }

    @Override
    public PCollectionRowTuple expand(PCollectionRowTuple input) {
      ReadResult<dev.audiencesegmenter.model.CustomerEvent> result =
          PBegin.in(input.getPipeline()).apply("ReadCustomerEvents", read);
      return PCollectionRowTuple
          .of("events", result.getRecords().apply("EventRows", Convert.toRows()))
          .and("dead_letters", result.getDeadLetters().apply("DeadLetterRows",
              Convert.toRows()));
    }
  }
}
